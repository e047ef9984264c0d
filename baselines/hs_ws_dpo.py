from harness.registry import Recipe, register

register(Recipe(name="hs_ws_dpo", description="Structural mining + structural weights",
                trainer="dpo", pairs="structural", weights="structural", order=44))
