from harness.registry import Recipe, register

# iter_hn_w_dpo nearer an offline recipe's compute: 3 rounds of 30 DPO steps (a third of the budget each); each round
# still samples a full pool, so it costs ~1.5x hn_w_dpo (the report's cost table gives the measured ratio)
register(Recipe(name="iter_hn_w_dpo_m", description="iter_hn_w_dpo, 3 rounds of 30 steps",
                trainer="dpo", pairs="hard", weights="verifier", rounds=3, overrides={"max_steps": 30}, order=83))
