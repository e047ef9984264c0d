from harness.registry import Recipe, register

register(Recipe(name="rpo", description="RPO: DPO + NLL on the chosen solution, hard pairs",
                trainer="dpo", pairs="hard", weights="uniform", loss_type=("sigmoid", "sft"), order=50))
