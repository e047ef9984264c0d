from harness.registry import Recipe, register

register(Recipe(name="step_w_dpo", description="Step pairs with verifier weights",
                trainer="dpo", pairs="step", weights="verifier", order=62))
