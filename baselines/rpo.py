from harness.registry import Recipe, register

register(Recipe(name="rpo", description="RPO: sigmoid DPO + SFT loss on the chosen solution, hard pairs",
                trainer="dpo", pairs="hard", weights="uniform", loss_type=("sigmoid", "sft"), order=50))
