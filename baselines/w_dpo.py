from harness.registry import Recipe, register

register(Recipe(name="w_dpo", description="Random pairs with verifier weights",
                trainer="dpo", pairs="random", weights="verifier", order=30))
