"""The displacement sign reads the chosen log-ratio against the reference, not TRL's per-batch raw log-probs."""
import pytest

from harness.reporting.sweep import best_shared
from harness.reporting.signs import chosen_trend


def _log(raw, rewards_chosen, rewards_rejected=None):
    out = []
    for i, (lp, rc) in enumerate(zip(raw, rewards_chosen)):
        e = {"step": 10 * (i + 1), "logps/chosen": lp, "logps/rejected": lp - 3}
        if rc is not None:
            e["rewards/chosen"] = rc
            e["rewards/rejected"] = (rewards_rejected or [0.0] * len(raw))[i]
        out.append(e)
    return out


def test_raw_logps_falling_with_chosen_above_reference_is_not_displacement():
    # the step recipe of the study's sweep: raw -0.67 -> -0.86 (later batches hold longer chosen steps), while
    # the policy rates those same chosen steps above the reference
    t = chosen_trend(_log([-0.67, -0.63, -0.78, -0.88], [0.0, 0.01, 0.02, 0.04], [0.0, -0.02, -0.04, -0.07]), beta=1.0)
    assert t["logps_start"] == -0.67 and t["logps_end"] == -0.88
    assert t["chosen_logratio_end"] == pytest.approx(0.04) and t["rejected_logratio_end"] == pytest.approx(-0.07)
    assert t["fell"] is False


def test_chosen_below_reference_at_the_end_is_flagged_in_nats():
    # beta 0.1: rewards/chosen -0.02 and -0.04 over the last quarter (2 of 8 entries) -> -0.3 nats per pair
    t = chosen_trend(_log([-2.0] * 8, [0, 0, 0, 0, 0, 0, -0.02, -0.04]), beta=0.1)
    assert t["chosen_logratio_end"] == pytest.approx(-0.3) and t["fell"] is True


def test_nll_only_logs_and_empty_logs():
    t = chosen_trend(_log([-2.0, -1.5], [None, None]), beta=1.0)  # rft: no preference term, no rewards logged
    assert t["fell"] is None and t["chosen_logratio_end"] is None and t["logps_end"] == -1.5
    assert chosen_trend([], 1.0) is None and chosen_trend(None, 1.0) is None
    assert chosen_trend([{"loss": 1.0, "step": 1}], 1.0) is None  # an SFT log


def test_best_shared_setting_maximizes_the_mean_over_recipes():
    a, b = {"dpo.learning_rate": 1e-6}, {"dpo.learning_rate": 3e-6}
    table = [{"recipe": "sft", "grid": {}, "accuracy": 0.60},
             {"recipe": "x", "grid": a, "accuracy": 0.61}, {"recipe": "y", "grid": a, "accuracy": 0.63},
             {"recipe": "x", "grid": b, "accuracy": 0.64}, {"recipe": "y", "grid": b, "accuracy": 0.59}]
    best = best_shared(table, [a, b])  # a: 62.0 on average, b: 61.5 although b holds the single best row
    assert best == {"setting": a, "mean_accuracy": 0.62}
    assert best_shared([table[0]], [a, b]) is None
