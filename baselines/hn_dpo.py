from harness.registry import Recipe, register

register(Recipe(name="hn_dpo", description="DPO on verifier-mined hard negatives, uniform weights (ablation: mining only)",
                trainer="dpo", pairs="hard", weights="uniform", order=20))
