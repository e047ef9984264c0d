from harness.registry import Recipe, register

register(Recipe(name="step_fix_w_dpo", description="step_w_dpo with the cheap chosen: the flawed step itself with "
                "each false result replaced by its true value (builder step_corrected), no resampling",
                trainer="dpo", pairs="step_corrected", weights="verifier", order=63))
