"""hardneg's MathVerifier: compact, symbolic, rule-based. No dependency on the training code."""
from .answers import answers_match, extract_answer, numeric_distance
from .config import VerifierConfig
from .core import DIMENSIONS, MathVerifier, Verdict
from .safe_eval import EvalError, safe_eval

__all__ = ["MathVerifier", "Verdict", "VerifierConfig", "DIMENSIONS", "answers_match", "extract_answer",
           "numeric_distance", "safe_eval", "EvalError"]
