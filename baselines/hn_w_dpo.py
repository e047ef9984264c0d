from harness.registry import Recipe, register

register(Recipe(name="hn_w_dpo", description="Hard negatives + verifier weights (paper's method)",
                trainer="dpo", pairs="hard", weights="verifier", order=40))
