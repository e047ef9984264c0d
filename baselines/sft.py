from harness.registry import Recipe, register

register(Recipe(name="sft", description="Supervised fine-tuning on reference chain-of-thought (the starting point of every DPO recipe)",
                trainer="sft", order=0))
