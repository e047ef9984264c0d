from harness.registry import Recipe, register

register(Recipe(name="hn_dpo", description="DPO on verifier-mined hard negatives",
                trainer="dpo", pairs="hard", weights="uniform", order=20))
