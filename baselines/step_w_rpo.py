from harness.registry import Recipe, register

register(Recipe(name="step_w_rpo", description="Step pairs, verifier weights, NLL on the chosen step",
                trainer="dpo", pairs="step", weights="verifier", loss_type=("sigmoid", "sft"), order=66))
