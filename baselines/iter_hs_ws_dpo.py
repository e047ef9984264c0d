from harness.registry import Recipe, register

# the structural variant of iter_hn_w_dpo: 3 rounds of hs_ws_dpo, each on a fresh pool of the last round's policy
register(Recipe(name="iter_hs_ws_dpo", description="hs_ws_dpo iterated: 3 rounds, each on a fresh pool",
                trainer="dpo", pairs="structural", weights="structural", rounds=3, order=81))
