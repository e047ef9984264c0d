"""Ground truth of the planted-flaw world (harness/data/planted.py) applied to mining and to the verifier.

mining_precision(rows, problems)  per pair set: the share of pairs whose rejected side shows a planted flaw and the
                                  share of the total training weight on them -- did the miner and the weights find the
                                  structural flaw, or arithmetic slips?
verifier_on_planted(samples)      on the SFT policy's pool: how often the verifier flags a sample that shows a
                                  planted flaw, names its first flawed step, and leaves correct samples clean
Both return None in the clean world (no planted labels), so clean-world statistics are unchanged.
"""
from __future__ import annotations

from harness.data.planted import shows_flaw


def _share(k: float, n: float) -> float | None:
    return None if not n else round(k / n, 4)


def mining_precision(rows: list[dict], problems: list[dict]) -> dict | None:
    """Label each pair row in place (`planted`: the problem's trigger, whether the rejected shows the flaw) and
    summarize (`mining_summary`); the weights must already be set. A step pair's rejected side is judged by the whole
    sample it was cut from (its final answer, `rej_pred_answer`)."""
    labels = {p["id"]: p["planted"] for p in problems if "planted" in p}
    if not labels:
        return None
    for r in rows:
        lab = labels.get(r["problem_id"])
        r["planted"] = {"trigger": lab and lab["trigger"], "rejected_shows": shows_flaw(lab, r.get("rej_pred_answer"))}
    return mining_summary(rows)


def mining_summary(rows: list[dict]) -> dict | None:
    """Mining precision of labelled rows (`mining_precision` labelled them) under their current `weight`: the share
    of pairs, and of the total weight, whose rejected side shows the planted flaw. None in the clean world."""
    if not rows or "planted" not in rows[0]:
        return None
    total_w = sum(r["weight"] for r in rows)
    hit_n = hit_w = trig_n = 0.0
    by_kind: dict[str, dict] = {}
    for r in rows:
        trigger, shows = r["planted"]["trigger"], r["planted"]["rejected_shows"]
        if trigger:
            trig_n += 1
            k = by_kind.setdefault(trigger, {"pairs": 0, "rejected_planted": 0})
            k["pairs"] += 1
            k["rejected_planted"] += shows
        hit_n += shows
        hit_w += r["weight"] * shows
    return {"pairs": len(rows), "trigger_pairs": int(trig_n), "rejected_planted": int(hit_n),
            "precision": _share(hit_n, len(rows)), "precision_on_trigger": _share(hit_n, trig_n),
            "weight_share": _share(hit_w, total_w),
            "mean_weight_planted": _share(hit_w, hit_n), "mean_weight_other": _share(total_w - hit_w, len(rows) - hit_n),
            "by_kind": by_kind}


def _process_flag(v: dict) -> bool:
    """The verifier says more than 'wrong answer': an arithmetic, consistency, coverage or form flag."""
    return v["arithmetic"] > 0 or v["consistency"] > 0 or v["coverage"] > 0 or v["form"] > 0


def verifier_on_planted(samples: list[dict]) -> dict | None:
    """Detection and localization of planted flaws on model-written samples with exact labels."""
    labelled = [s for s in samples if s.get("planted")]
    if not labelled:
        return None
    hits = [s for s in labelled if s["planted"]["shows"]]
    right = [s for s in labelled if s["verdict"]["correct"]]
    located = [s for s in hits if s["verdict"]["first_error_step"] == s["planted"]["step"]]
    near = [s for s in hits if s["verdict"]["first_error_step"] is not None
            and abs(s["verdict"]["first_error_step"] - s["planted"]["step"]) <= 1]
    trig = [s for s in labelled if s["planted"]["trigger"]]
    return {
        "samples": len(labelled), "trigger_samples": len(trig), "planted_flaw_samples": len(hits),
        "planted_flaw_share_on_trigger": _share(len(hits), len(trig)),
        "flagged": _share(sum(not s["verdict"]["correct"] and _process_flag(s["verdict"]) for s in hits), len(hits)),
        "hard_negative": _share(sum(s["verdict"]["hard_negative"] for s in hits), len(hits)),
        "logical": _share(sum(s["verdict"]["arithmetic"] == 0 and _process_flag(s["verdict"]) for s in hits), len(hits)),
        "located": _share(len(located), len(hits)), "located_within_one": _share(len(near), len(hits)),
        "correct_samples": len(right),
        "correct_left_clean": _share(sum(not _process_flag(s["verdict"]) for s in right), len(right)),
    }
