"""What each recipe cost from SFT's end, from the index entries' `cost` field (harness/runtime/cost.py records).

Each index entry may carry `cost`: {stage label: {"key": stage key, **cost record}} for every stage after SFT that its
model depends on (pool, pair rows, pair set, training; any label, e.g. one per round of an iterated recipe) and for
its evaluation ('eval'). Here:

- a recipe's **training** cost is the sum of its non-evaluation stages: everything it needs from SFT's end, so a pool
  or pair set shared by several recipes counts fully in each (a recipe run alone would pay it), and reference
  log-probs another recipe's stage computed (`reused`) count too; `sft` costs 0 by construction, `sft_more` its
  training; with several seeds, the mean over the recipe's runs (each seed is a whole reproduction);
- its **evaluation** cost (the greedy evaluation of its model) is reported beside it, never in the total;
- the **run's total** counts each stage once (by key) over every recipe and seed, less what a cache served a stage
  that another stage computed: what the run directory's compute actually was.

`recipe_cost` and `run_cost` are what `assemble` (harness/reporting/results.py) stores in results.json; the report
renders them (`cost_lines`) and plots accuracy against training compute (harness/reporting/plots.py).
"""
from __future__ import annotations

from harness.runtime.cost import COUNT_FIELDS, combine, without_reused

EVALUATION_KINDS = ("eval", "valeval", "slice")
"""Stage labels whose cost is evaluation, reported apart from the training total."""
SHARED_NOTE = ("Cost from SFT's end: the stages after SFT each recipe's model needs (pool, pair rows, pair set, "
               "training; `sft` costs 0 by construction). A stage shared by several recipes (one pool, one pair set) "
               "counts fully in each recipe's total, as reference log-probs one recipe computed and another read from "
               "the cache do; the run's total counts each stage once. Evaluation is shown apart, not in the totals. "
               "FLOPs are analytic (harness/runtime/cost.py: 2N per forward token, 6N per trained token, N = "
               "non-embedding parameters, plus attention); seconds are wall time on the device named.")


def _is_eval(label: str) -> bool:
    return label.split("#")[0].split("@")[0].split(":")[0] in EVALUATION_KINDS  # 'eval:dpo', 'slice@seed1' too


def _record(stage: dict) -> dict:
    return {k: v for k, v in stage.items() if k != "key"}


def _stages(entry: dict) -> dict:
    """{label: stage cost} of an index entry; a stage recorded as None (its counts unknown) is left out."""
    return {lab: st for lab, st in (entry.get("cost") or {}).items() if st}


def entry_cost(entry: dict) -> dict | None:
    """{"training", "evaluation", "stages"} of one index entry; None for an entry without `cost`."""
    stages = _stages(entry)
    if not stages:
        return None
    training = combine(*(_record(s) for lab, s in stages.items() if not _is_eval(lab)))
    if all(_is_eval(lab) for lab in stages):  # nothing trained after SFT (the sft recipe): it took no time either
        training["seconds"] = 0.0
    return {"training": training,
            "evaluation": combine(*(_record(s) for lab, s in stages.items() if _is_eval(lab))),
            "stages": {lab: dict(s) for lab, s in stages.items()}}


def _mean(records: list[dict]) -> dict:
    """Field-wise mean of cost records (counts and FLOPs; seconds over those that have them)."""
    total = combine(*records)
    n = len(records)
    out = {**total, **{k: total[k] / n for k in COUNT_FIELDS}, "flops": total["flops"] / n}
    timed = [r for r in records if r.get("seconds") is not None]
    out["seconds"] = round(sum(r["seconds"] for r in timed) / len(timed), 2) if timed else None
    if total.get("reused"):
        out["reused"] = {k: v / n for k, v in total["reused"].items()}
    return out


def recipe_cost(runs: list[dict], all_entries: list[dict]) -> dict | None:
    """A recipe's cost from its runs (index entries): {"training", "evaluation" (each the mean over runs),
    "runs" (how many carried a cost), "stages" (the first run's, by label), "shared" ({label: other recipes that
    read the same stage})}; None when no run recorded a cost."""
    costs = [(r, c) for r in runs if (c := entry_cost(r))]
    if not costs:
        return None
    first, c0 = costs[0]
    shared = {}
    for label, st in c0["stages"].items():
        others = sorted({e["recipe"] for e in all_entries if e["recipe"] != first["recipe"]
                         and any(s.get("key") == st.get("key") for s in _stages(e).values())})
        if others and not _is_eval(label):
            shared[label] = others
    return {"training": _mean([c["training"] for _, c in costs]), "evaluation": _mean([c["evaluation"] for _, c in costs]),
            "runs": len(costs), "stages": c0["stages"], "shared": shared}


def run_cost(entries: list[dict]) -> dict | None:
    """The run directory's compute: every stage once (by key) over all recipes and seeds, training and evaluation
    apart, less the parts a cache served (`reused`); None when no entry recorded a cost."""
    seen: dict[str, tuple[str, dict]] = {}
    for e in entries:
        for label, st in _stages(e).items():
            seen.setdefault(st.get("key") or f"{e['recipe']}/{label}", (label, _record(st)))
    if not seen:
        return None
    train = [without_reused(r) for lab, r in seen.values() if not _is_eval(lab)]
    ev = [r for lab, r in seen.values() if _is_eval(lab)]
    return {"training": combine(*train), "evaluation": combine(*ev), "stages": len(seen), "note": SHARED_NOTE}


# ---- rendering (report.md) ----------------------------------------------------------------------------------------
def tflops(x: float | None) -> str:
    """FLOPs as TFLOPs with three significant digits ('0' for none)."""
    if not x:
        return "0"
    return f"{x / 1e12:.3g}"


def _count(x) -> str:
    return "-" if x is None else f"{x:,.0f}"


def _seconds(x) -> str:
    return "-" if x is None else f"{x:,.1f}"


def has_cost(results: dict) -> bool:
    return any(r.get("cost") for r in results["recipes"])


def cost_lines(results: dict, accuracy: dict[str, dict], task_label: str) -> list[str]:
    """The report's cost section: one row per recipe with a recorded cost (`accuracy`: {recipe: accuracy interval}
    on the primary task); nothing for results without costs (runs recorded before costs were)."""
    if not has_cost(results):
        return []
    lines = ["## Cost from SFT's end (analytic FLOPs, wall seconds)", "", SHARED_NOTE, "",
             f"| recipe | {task_label} acc % | training TFLOPs | training s | generated tok | trained tok | "
             "reference tok | verifier calls | shared stages | eval TFLOPs | eval s |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
    devices = []
    for r in results["recipes"]:
        c = r.get("cost")
        if not c:
            continue
        t, e = c["training"], c["evaluation"]
        for d in (t.get("device"), e.get("device")):
            if d and d not in devices:
                devices.append(d)
        a = accuracy.get(r["name"])
        acc = "-" if not a else f"{100 * a['mean']:.1f}"
        shared = "; ".join(f"{lab} (with {', '.join(o)})" for lab, o in c["shared"].items()) or "-"
        lines.append(f"| {r['name']} | {acc} | {tflops(t['flops'])} | {_seconds(t['seconds'])} | "
                     f"{_count(t['generated_tokens'])} | {_count(t['trained_tokens'])} | {_count(t['reference_tokens'])} | "
                     f"{_count(t['verifier_calls'])} | {shared} | {tflops(e['flops'])} | {_seconds(e['seconds'])} |")
    total = results.get("cost")
    if total:
        t, e = total["training"], total["evaluation"]
        lines += ["", f"Run total, each of its {total['stages']} stages counted once: training {tflops(t['flops'])} "
                      f"TFLOPs in {_seconds(t['seconds'])} s; evaluation {tflops(e['flops'])} TFLOPs in "
                      f"{_seconds(e['seconds'])} s."]
    if devices:
        lines += ["", f"Device: {'; '.join(devices)}."]
    seeds = {c["runs"] for r in results["recipes"] if (c := r.get("cost"))}
    if seeds and max(seeds) > 1:
        lines += ["", "With several seeds a recipe's figures are the mean over its runs."]
    return lines + [""]
