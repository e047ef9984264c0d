from harness.registry import Recipe, register

register(Recipe(name="step_w_dpo", description="The paper's method on step pairs: first-flawed-step pairs with "
                "verifier weights", trainer="dpo", pairs="step", weights="verifier", order=62))
