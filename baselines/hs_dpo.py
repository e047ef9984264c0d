from harness.registry import Recipe, register

register(Recipe(name="hs_dpo", description="DPO on structurally mined negatives (logical flaws before arithmetic "
                "slips, harness/pairs/structural.py), uniform weights (ablation: structural mining only)",
                trainer="dpo", pairs="structural", weights="uniform", order=42))
