from harness.registry import Recipe, register

register(Recipe(name="step_dpo", description="Step-DPO: pairs at the first flawed step",
                trainer="dpo", pairs="step", weights="uniform", order=60))
