"""hardneg harness: recipes, stages (data -> SFT -> sampling -> verification -> pairs -> DPO -> lm-eval) and reports.

    harness compare --config tiny --recipes all
"""
__version__ = "0.1.0"
