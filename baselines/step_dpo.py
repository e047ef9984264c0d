from harness.registry import Recipe, register

register(Recipe(name="step_dpo", description="Step-DPO: preference at the verifier's first flawed step "
                "(harness/pairs/step.py), uniform weights", trainer="dpo", pairs="step", weights="uniform", order=60))
