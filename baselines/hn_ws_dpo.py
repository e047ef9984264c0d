from harness.registry import Recipe, register

register(Recipe(name="hn_ws_dpo", description="Hard negatives + structural weights",
                trainer="dpo", pairs="hard", weights="structural", order=43))
