"""Ground truth of the planted-flaw world in the report (harness/data/planted.py), used three times:

  recipes   per recipe, the planted-flaw rate of its greedy outputs (an output shows the flaw when its answer equals
            the planted answer: the labels decide, not the verifier), the planted-reading rate where the rows carry
            it (the output's flawed step is the planted sentence, whatever the arithmetic after it: `reads_flaw`),
            accuracy on trigger vs other problems, each
            paired against sft, rft and dpo over problems (seed-averaged per problem within each SFT draw;
            bootstrap over draws then problems, exact sign test on the problems that differ and the paired
            permutation test within draws beside it), Holm-adjusted over every comparison one table shows (each
            recipe pair once: `planted_families`); with several SFT draws, each draw's own figures beside them
  mining    per pair builder/scheme, the share of pairs whose rejected side shows a planted flaw and the share of
            the total weight on them (results.json context `pairs`, harness/pairs/planted.py)
  verifier  on the SFT policy's pool samples: flags, localization of the first flawed step, correct samples left
            clean (context `pool`)

Reads results.json and the per-problem rows only; returns no lines in the clean world (rows without `planted`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from harness.config import ConfigError
from harness.reporting.results import load_rows

TASK = "hardneg_synth"
BASELINES = ("sft", "rft", "dpo")


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def per_problem(run_dir: Path, runs: list[dict]) -> dict[int, dict[str, dict]] | None:
    """{SFT draw: {problem id: {trigger, planted (has a planted answer), correct, shows, reads (None: not labelled)}}},
    each value averaged over the draw's seeds."""
    acc: dict[int, dict[str, dict]] = {}
    for run in runs:
        if TASK not in run.get("samples", {}):
            continue
        for r in load_rows(run_dir, run, TASK):
            lab = r.get("planted")
            if lab is None:
                return None  # the clean world
            pid = str(r.get("id") or r["doc_id"])
            a = acc.setdefault(run.get("sft_seed", 0), {}).setdefault(
                pid, {"trigger": lab["trigger"], "planted": lab["answer"] is not None, "correct": [], "shows": [],
                      "reads": []})
            a["correct"].append(float(r["equiv"] or 0))
            a["shows"].append(float(lab["shows"]))
            if lab.get("reads") is not None:
                a["reads"].append(float(lab["reads"]))
    return {draw: {k: {**v, "correct": float(np.mean(v["correct"])), "shows": float(np.mean(v["shows"])),
                       "reads": float(np.mean(v["reads"])) if v["reads"] else None} for k, v in rows.items()}
            for draw, rows in sorted(acc.items())} or None


def _subset(rows: dict[str, dict], which: str) -> list[str]:
    if which == "trigger":
        return [k for k, v in rows.items() if v["trigger"]]
    if which == "planted":
        return [k for k, v in rows.items() if v["planted"]]
    if which == "other":
        return [k for k, v in rows.items() if not v["trigger"]]
    return list(rows)


def paired(a: dict[int, dict[str, dict]], b: dict[int, dict[str, dict]], ids: list[str], key: str) -> dict | None:
    """a - b on `key` over the SFT draws and problems both have, the draw a random effect (stats.py): the mean of the
    (draw, problem) differences, its 95% bootstrap interval over draws then problems, the exact sign test on the
    problems' draw-averaged differences (p), the paired permutation test stratified within draws (p_perm) and
    each draw's own difference (per_draw)."""
    from scipy.stats import binomtest

    from harness.reporting.stats import bootstrap_mean, per_draw_differences, sign_flip_test
    draws = [d for d in a if d in b]
    ids = [i for i in ids if all(i in a[d] and i in b[d] and a[d][i][key] is not None and b[d][i][key] is not None
                                 for d in draws)]
    if not draws or not ids:
        return None
    mat = np.array([[a[d][i][key] - b[d][i][key] for i in ids] for d in draws])          # (T draws, n problems)
    boot = bootstrap_mean(mat)
    per = mat.mean(axis=0)
    pos, neg = int((per > 1e-12).sum()), int((per < -1e-12).sum())
    p = 1.0 if pos + neg == 0 else float(binomtest(pos, pos + neg, 0.5).pvalue)
    return {"diff": boot["mean"], "low": boot["low"], "high": boot["high"], "n": len(ids), "n_sft_seeds": len(draws),
            "up": pos, "down": neg, "p": p, "p_perm": sign_flip_test(mat),
            "per_draw": per_draw_differences(mat, draws) if len(draws) > 1 else None}


TABLES = {"recipes": ("planted_rate", "trigger_accuracy"), "reading": ("reading_rate",)}


def planted_families(table: dict) -> dict:
    """Holm over every comparison each planted table shows, in place: {table: {size, members}}.

    A pair shown both ways (rft vs dpo and dpo vs rft) is one test: it enters the family once and both cells get
    its adjusted p (p_holm, p_perm_holm)."""
    from harness.reporting.analysis import table_family
    out = {}
    for tname, metrics in TABLES.items():
        seen: dict = {}
        for name, row in table.items():
            for base, v in row["vs"].items():
                for m in metrics:
                    if v.get(m):
                        seen.setdefault((m, frozenset((name, base))), []).append((f"{m}: {name} vs {base}", v[m]))
        comps = [cells[0] for cells in seen.values()]
        fam = table_family(comps)
        for cells in seen.values():
            for _, c in cells[1:]:
                c.update(p_holm=cells[0][1].get("p_holm"), p_perm_holm=cells[0][1].get("p_perm_holm"))
        out[tname] = fam
    return out


def recipe_table(results: dict, run_dir: Path) -> dict:
    """{recipe: {n_*, accuracy_*, planted_rate, reading_rate, draws, vs: {baseline: {planted_rate, reading_rate,
    trigger_accuracy, accuracy}}}}. Over the SFT draws the recipes start from (analysis.recipe_draws): rates are
    means over those draws, comparisons pair draw with draw. An SFT draw that trained no recipe (the slice's
    placebo) stays out of the sft row every recipe is paired against."""
    from harness.reporting.analysis import recipe_draws
    recipes = {r["name"]: r for r in results["recipes"]}
    draws = set(recipe_draws(recipes))
    per = {name: p for name, r in recipes.items()
           if (p := per_problem(run_dir, [x for x in r["runs"] if x.get("sft_seed", 0) in draws]))}
    out = {}
    for name, by_draw in per.items():
        rows = next(iter(by_draw.values()))
        trig, other, planted = (_subset(rows, w) for w in ("trigger", "other", "planted"))

        def rate(ids: list[str], key: str) -> float | None:
            vals = [_mean([rs[i][key] for i in ids if i in rs]) for rs in by_draw.values()]
            return _mean(vals) if ids else None

        row = {"n": len(rows), "n_trigger": len(trig), "n_other": len(other), "n_planted": len(planted),
               "draws": sorted(by_draw), "accuracy": rate(list(rows), "correct"),
               "trigger_accuracy": rate(trig, "correct"), "other_accuracy": rate(other, "correct"),
               "planted_rate": rate(planted, "shows"), "reading_rate": rate(planted, "reads"), "vs": {}}
        row["planted_rate_by_draw"] = {d: _mean([rs[i]["shows"] for i in planted if i in rs])
                                       for d, rs in by_draw.items()} if planted else {}
        for base in BASELINES:
            if base == name or base not in per:
                continue
            row["vs"][base] = {"planted_rate": paired(by_draw, per[base], planted, "shows"),
                               "reading_rate": paired(by_draw, per[base], planted, "reads"),
                               "trigger_accuracy": paired(by_draw, per[base], trig, "correct"),
                               "accuracy": paired(by_draw, per[base], list(rows), "correct")}
        out[name] = row
    return out


def _mean(xs: list) -> float | None:
    xs = [x for x in xs if x is not None]
    return float(np.mean(xs)) if xs else None


def _d(c: dict | None) -> str:
    """'+2.3 [+1.0, +4.0] p 0.0054 · perm 0.001': the interval, the Holm-adjusted sign-test and permutation p."""
    if not c:
        return "-"
    perm = c.get("p_perm_holm", c.get("p_perm"))
    return (f"{100 * c['diff']:+.1f} [{100 * c['low']:+.1f}, {100 * c['high']:+.1f}] p {c.get('p_holm', c['p']):.2g}"
            + ("" if perm is None else f" · perm {perm:.2g}"))


def report_run_dir(results: dict, plots: list[str] | None) -> Path:
    """The run directory a report is being built for: markdown() gets the plots written into `<run_dir>/report*`,
    else the run's configured run_dir."""
    if plots:
        return Path(plots[0]).resolve().parent.parent
    return Path(((results.get("manifest") or {}).get("config") or {}).get("run_dir", "."))


def planted_lines(results: dict, plots: list[str] | None = None, run_dir: Path | None = None) -> list[str]:
    """The report's planted-world section (empty in the clean world)."""
    run_dir = Path(run_dir) if run_dir is not None else report_run_dir(results, plots)
    try:
        table = recipe_table(results, run_dir)
    except (ConfigError, OSError) as e:  # rows not where the plots say: the rest of the report still stands
        return ["## Planted-flaw world: ground truth", "", f"(not computed: {type(e).__name__}: {e})", ""]
    if not table:
        return []
    any_row = next(iter(table.values()))
    reading = any(r["reading_rate"] is not None for r in table.values())
    fams = planted_families(table)
    draws = sorted({d for r in table.values() for d in r["draws"]})
    if len(draws) > 1:
        scope = (f"Over {len(draws)} SFT draws (SFT seeds {', '.join(map(str, draws))}), each a whole pipeline: "
                 "rates are the mean over draws, and every interval resamples the draws first and then problems "
                 "within each (the draw a random effect); the permutation test flips signs within draws; per-draw "
                 "figures follow the table.")
    else:
        scope = (f"One SFT draw (SFT seed {draws[0]}): every interval is conditional on that checkpoint."
                 if draws else "")
    lines = ["## Planted-flaw world: ground truth", "",
             f"Test problems: {any_row['n']}; with a planted trigger {any_row['n_trigger']} (a planted answer exists on "
             f"{any_row['n_planted']}), without {any_row['n_other']}. An output *shows the planted flaw* when its answer "
             "equals the answer the flawed reading gives (harness/data/planted.py): the labels decide, not the verifier. "
             "Paired columns: recipe minus baseline in points over problems (seeds averaged per problem), 95% bootstrap "
             "interval over problems, exact sign test on the problems that differ (p) and the paired permutation test "
             "on the same differences (perm), both Holm-adjusted over one family per table: "
             f"{fams['recipes']['size']} comparisons in the table below (flaw rate and trigger accuracy, each recipe "
             f"pair once). Rates are over the problems with a planted answer. {scope}", "",
             "### Recipes", "",
             "| recipe | accuracy | trigger | other | planted-flaw rate | " +
             " | ".join(f"Δ flaw rate vs {b} | Δ trigger acc. vs {b}" for b in BASELINES) + " |",
             "|---|---:|---:|---:|---:|" + "---:|---:|" * len(BASELINES)]
    for name, r in table.items():
        cells = [_pct(r["accuracy"]), _pct(r["trigger_accuracy"]), _pct(r["other_accuracy"]), _pct(r["planted_rate"])]
        for b in BASELINES:
            v = r["vs"].get(b) or {}
            cells += [_d(v.get("planted_rate")), _d(v.get("trigger_accuracy"))]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if len(draws) > 1:
        lines += ["", *per_draw_lines(table, draws)]
    if reading:
        lines += ["", "*Planted reading*: the output's flawed step is the planted sentence, whatever the arithmetic "
                  "after it (a reading followed by a slip counts here, not in the flaw rate above). Holm family: the "
                  f"{fams['reading']['size']} comparisons of this table.", "",
                  "| recipe | planted-reading rate | " + " | ".join(f"Δ vs {b}" for b in BASELINES) + " |",
                  "|---|---:|" + "---:|" * len(BASELINES)]
        for name, r in table.items():
            lines.append(f"| {name} | {_pct(r['reading_rate'])} | " +
                         " | ".join(_d((r["vs"].get(b) or {}).get("reading_rate")) for b in BASELINES) + " |")
    lines += [""] + mining_lines(results) + verifier_lines(results)
    return lines


def per_draw_lines(table: dict, draws: list) -> list[str]:
    """Each SFT draw's planted-flaw rate and Δ flaw rate vs each baseline, so a reader sees whether a sign holds in
    every draw (a pooled interval can hold 0 while the draws disagree, or exclude it while one draw flips)."""
    def cell(c: dict | None) -> str:
        per = {x["draw"]: x for x in (c or {}).get("per_draw") or []}
        return " / ".join(f"{100 * per[d]['diff']:+.1f}" if d in per else "-" for d in draws)

    lines = [f"### Per SFT draw (draws {' / '.join(map(str, draws))})", "",
             "| recipe | planted-flaw rate | " + " | ".join(f"Δ flaw rate vs {b}" for b in BASELINES) + " | "
             + " | ".join(f"Δ trigger acc. vs {b}" for b in BASELINES) + " |",
             "|---|---:|" + "---:|" * (2 * len(BASELINES))]
    for name, r in table.items():
        rates = " / ".join(_pct(r["planted_rate_by_draw"].get(d)) for d in draws)
        vs = [cell((r["vs"].get(b) or {}).get("planted_rate")) for b in BASELINES]
        vs += [cell((r["vs"].get(b) or {}).get("trigger_accuracy")) for b in BASELINES]
        lines.append(f"| {name} | {rates} | " + " | ".join(vs) + " |")
    return lines + [""]


def mining_lines(results: dict) -> list[str]:
    pairs = {k: st["planted"] for k, st in (results.get("pairs") or {}).items() if st.get("planted")}
    if not pairs:
        return []
    lines = ["### Mining precision (primary seed's pair sets)", "",
             "| builder/scheme | pairs | on trigger problems | rejected shows the planted flaw | share of pairs | "
             "share of total weight | mean weight: planted / other |", "|---|---:|---:|---:|---:|---:|---:|"]
    for k, m in pairs.items():
        lines.append(f"| {k} | {m['pairs']} | {m['trigger_pairs']} | {m['rejected_planted']} | {_pct(m['precision'])} | "
                     f"{_pct(m['weight_share'])} | {_fmt(m['mean_weight_planted'])} / {_fmt(m['mean_weight_other'])} |")
    return lines + [""]


def _fmt(x) -> str:
    return "-" if x is None else f"{x:.2f}"


def verifier_lines(results: dict) -> list[str]:
    v = ((results.get("pool") or {}).get("summary") or {}).get("planted")
    if not v:
        return []
    return ["### The verifier on planted flaws (SFT policy's pool samples, exact labels)", "",
            "| samples | on trigger problems | showing a planted flaw | flagged (process flag) | logical (true arithmetic) "
            "| first flawed step named | within one step | correct samples left clean |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {v['samples']} | {v['trigger_samples']} | {v['planted_flaw_samples']} | {_pct(v['flagged'])} | "
            f"{_pct(v['logical'])} | {_pct(v['located'])} | {_pct(v['located_within_one'])} | "
            f"{_pct(v['correct_left_clean'])} ({v['correct_samples']}) |", ""]
