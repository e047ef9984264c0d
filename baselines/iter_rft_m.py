from harness.registry import Recipe, register

# iter_rft nearer an offline recipe's compute: 3 rounds of 30 steps (see iter_hn_w_dpo_m.py)
register(Recipe(name="iter_rft_m", description="iter_rft, 3 rounds of 30 steps",
                trainer="dpo", pairs="hard", weights="uniform", loss_type=("sft",),
                overrides={"rpo_alpha": 1.0, "max_steps": 30}, rounds=3, order=84))
