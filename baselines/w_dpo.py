from harness.registry import Recipe, register

register(Recipe(name="w_dpo", description="DPO on random pairs with verifier weights (ablation: weighting only)",
                trainer="dpo", pairs="random", weights="verifier", order=30))
