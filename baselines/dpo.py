from harness.registry import Recipe, register

register(Recipe(name="dpo", description="Vanilla offline DPO: correct vs. uniformly random incorrect sample, uniform weights",
                trainer="dpo", pairs="random", weights="uniform", order=10))
