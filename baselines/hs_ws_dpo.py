from harness.registry import Recipe, register

register(Recipe(name="hs_ws_dpo", description="Structural mining + structural weights: the paper's stated intent "
                "(target logical flaws, not arithmetic slips); hn_w_dpo is today's scheme as its ablation",
                trainer="dpo", pairs="structural", weights="structural", order=44))
