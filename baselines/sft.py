from harness.registry import Recipe, register

register(Recipe(name="sft", description="Supervised fine-tuning on reference solutions",
                trainer="sft", order=0))
