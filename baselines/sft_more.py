from harness.registry import Recipe, register

register(Recipe(name="sft_more", description="SFT continued on reference solutions at the DPO recipes' steps and batch "
                "(equal-compute control; not the slice placebo: it continues the selecting SFT)", trainer="sft_more", order=5))
