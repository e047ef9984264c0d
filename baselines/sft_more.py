from harness.registry import Recipe, register

register(Recipe(name="sft_more", description="SFT continued on reference solutions at the DPO recipes' steps and batch "
                "(equal-compute control; the near-miss slice's placebo)", trainer="sft_more", order=5))
