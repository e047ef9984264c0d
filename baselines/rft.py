from harness.registry import Recipe, register

# loss ("sft",) in the DPO trainer: the NLL of the chosen completions only (the rejected are never in the loss),
# on the hard pairs' rows, with the DPO section's steps, batch and learning rate; rpo_alpha 1 so the NLL is unscaled.
register(Recipe(name="rft", description="SFT on the hard pairs' chosen side at the DPO budget",
                trainer="dpo", pairs="hard", weights="uniform",
                loss_type=("sft",), overrides={"rpo_alpha": 1.0}, order=7))
