from harness.registry import Recipe, register

register(Recipe(name="dpo", description="DPO on random pairs, uniform weights",
                trainer="dpo", pairs="random", weights="uniform", order=10))
