from harness.registry import Recipe, register

# grpo_v at about the compute of one offline recipe (see grpo_m.py)
register(Recipe(name="grpo_v_m", description="grpo_v at an offline recipe's compute (25 steps)",
                trainer="grpo", reward="verifier", overrides={"max_steps": 25}, order=93))
