from harness.registry import Recipe, register

# grpo at about the compute of one offline recipe (a pool of 384 x 4 samples and 90 DPO steps of 8 pairs on the
# embedded default: ~25 GRPO steps of 8 prompts x 8 completions, by the analytic count of harness/runtime/cost.py);
# the report's cost table gives the measured ratio
register(Recipe(name="grpo_m", description="grpo at an offline recipe's compute (25 steps)",
                trainer="grpo", reward="correct", overrides={"max_steps": 25}, order=92))
