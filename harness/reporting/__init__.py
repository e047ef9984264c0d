"""Everything after evaluation, from saved files only: results.json and its index (results), statistics (stats),
per-problem analysis (analysis), training signs from logs (signs), the sweep table (sweep), Markdown and the
terminal table (markdown), plots, LaTeX, the report folder (build) and commit-sized archives (archive).

Inputs are results.json and the per-problem rows, nothing else: this room imports neither torch nor
harness.training / harness.stages / harness.models (a test enforces it: tests/test_layout.py), so a report can be
rebuilt on a machine without a GPU stack.
May import: harness.config, harness.registry, harness.runtime.io, verifier.
"""
