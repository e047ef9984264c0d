from harness.registry import Recipe, register

register(Recipe(name="hn_ws_dpo", description="Today's hard negatives with structural weights (ablation: the "
                "weight scheme alone)", trainer="dpo", pairs="hard", weights="structural", order=43))
