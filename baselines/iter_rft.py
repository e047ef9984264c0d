from harness.registry import Recipe, register

# 3 rounds of rft (the chosen side's NLL on the hard pairs' rows): rejection-sampling fine-tuning iterated, each
# round on correct, clean samples of the last round's policy
register(Recipe(name="iter_rft", description="rft iterated: 3 rounds, each on a fresh pool",
                trainer="dpo", pairs="hard", weights="uniform", loss_type=("sft",), overrides={"rpo_alpha": 1.0},
                rounds=3, order=82))
