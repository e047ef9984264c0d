from harness.registry import Recipe, register

register(Recipe(name="step_rpo", description="Step-DPO + NLL on the chosen step",
                trainer="dpo", pairs="step", weights="uniform", loss_type=("sigmoid", "sft"), order=64))
