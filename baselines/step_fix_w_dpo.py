from harness.registry import Recipe, register

register(Recipe(name="step_fix_w_dpo", description="Step pairs, corrected-step chosen, verifier weights",
                trainer="dpo", pairs="step_corrected", weights="verifier", order=63))
