"""A pair set's weights, applied after its rows are built: the rows of a builder (for step pairs, the expensive
resampling of a chosen at every flawed step) do not depend on the weight scheme, so the pipeline builds them once
per (pool, builder) and derives every scheme's pair set from them with `weigh` (harness/pairs/weights.py)."""
from harness.pairs import weigh  # noqa: F401
