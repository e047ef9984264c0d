"""Every weight and threshold of the MathVerifier, documented and validated (see verifier/README.md)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class VerifierConfig:
    """Weights and thresholds; every field can be set from an experiment YAML under `verifier:`."""

    weights: dict = field(default_factory=lambda: {
        "answer": 0.5, "distance": 0.15, "arithmetic": 0.15, "consistency": 0.1, "coverage": 0.1})
    """wrongness = clip(sum_k weights[k] * dim_k, 0, 1) over the five correctness dimensions."""
    absurd_distance: float = 0.7
    """distance above which a wrong answer is implausible rather than close (0.7 ~ 5x off)."""
    absurd_distance_weight: float = 0.5
    """absurdity = clip(form + this * (distance - absurd_distance) / (1 - absurd_distance), 0, 1)."""
    near_distance: float = 0.3
    """hard-negative nearness: distance <= this (0.3 ~ within a factor of 2)."""
    max_absurdity: float = 0.3
    """hard negatives must have absurdity <= this."""
    final_mismatch_weight: float = 0.5
    """consistency contribution of 'the stated final answer is not the last derived value'."""
    magnitude_factor: float = 100.0
    """an answer above magnitude_factor * max(question number, 10)**2 is implausible."""
    constants: tuple = (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 24, 30, 52, 60, 100, 365, 1000, 0.5, 0.25, 0.1, 0.01)
    """operands any step may use without a source (units, halves, percent base)."""
    max_solution_chars: int = 20000
    """longer solutions are cut here and flagged as degenerate (form)."""

    def __post_init__(self) -> None:
        want = {"answer", "distance", "arithmetic", "consistency", "coverage"}
        unknown = set(self.weights) - want
        if unknown:
            raise ValueError(f"verifier.weights: unknown key(s) {sorted(unknown)}; allowed: {sorted(want)}")
        self.weights = {k: float(self.weights.get(k, 0.0)) for k in sorted(want)}
        if any(w < 0 for w in self.weights.values()):
            raise ValueError("verifier.weights: weights must be >= 0")
        for name in ("absurd_distance", "near_distance", "max_absurdity", "final_mismatch_weight",
                     "absurd_distance_weight"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0 or (name == "absurd_distance" and v >= 1.0):
                raise ValueError(f"verifier.{name}={v}: must lie in [0, 1]" + (")" if name != "absurd_distance" else " and be < 1"))
        if self.magnitude_factor <= 0 or self.max_solution_chars < 100:
            raise ValueError("verifier.magnitude_factor must be > 0 and verifier.max_solution_chars >= 100")
        self.constants = tuple(self.constants)
