from harness.registry import Recipe, register

# online RL from the SFT checkpoint (TRL GRPOTrainer), the plainest verifiable reward: the `grpo` section's settings
register(Recipe(name="grpo", description="Online GRPO from SFT, reward: a right final answer (RLVR)",
                trainer="grpo", reward="correct", order=90))
