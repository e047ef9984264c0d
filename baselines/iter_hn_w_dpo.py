from harness.registry import Recipe, register

# 3 rounds of hn_w_dpo: each round samples a fresh pool from the last round's policy, mines and weighs its hard
# negatives and trains from that policy (its reference) at the full DPO budget, so it costs ~3x hn_w_dpo
register(Recipe(name="iter_hn_w_dpo", description="hn_w_dpo iterated: 3 rounds, each on a fresh pool",
                trainer="dpo", pairs="hard", weights="verifier", rounds=3, order=80))
