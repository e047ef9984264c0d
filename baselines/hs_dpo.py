from harness.registry import Recipe, register

register(Recipe(name="hs_dpo", description="Structurally mined negatives, uniform weights",
                trainer="dpo", pairs="structural", weights="uniform", order=42))
