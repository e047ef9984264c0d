"""The cached stages of a run and their orchestration: the stage graph (pipeline: data -> base -> SFT -> pool ->
pairs -> training -> evaluation), one recipe x seed loop (compare), the validation sweep (sweep), lm-eval
evaluation (evaluate) and the frozen near-miss slice (near_slice).

May import every room below it (runtime, data, models, training, pairs) and, of reporting, only
harness.reporting.results (the per-run index the report reads). Reports are built by the CLI, not here.
"""
