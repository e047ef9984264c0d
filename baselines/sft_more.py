from harness.registry import Recipe, register

register(Recipe(name="sft_more", description="SFT continued at the DPO budget (same compute)",
                trainer="sft_more", order=5))
