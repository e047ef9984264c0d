"""Rendering the report: a rich table on the terminal and report.md. Numbers come from harness/reporting/analysis.py."""
from __future__ import annotations

from pathlib import Path

from rich.table import Table

from harness.reporting import claims
from harness.reporting.planted import planted_lines
from harness.tasks import labels

TASK_SHORT = labels()  # {task: short label} from the task registry (harness/tasks/__init__.py)
ALPHA = 0.05


# One formatter per figure for report.md and the terminal table; `none` is what a missing figure shows ('-' in
# report.md, '–' on the terminal).
def _pct(x, none: str = "-") -> str:
    return none if x is None else f"{100 * x:.1f}"


def _ci(a: dict | None) -> str:
    return "-" if not a else f"{_pct(a['mean'])} [{_pct(a['low'])}, {_pct(a['high'])}]"


def _diff(c: dict | None, none: str = "-") -> str:
    """A paired difference in points with its interval: '+1.2 [-0.4, +2.9]'."""
    if not c or c.get("diff") is None:
        return none
    return f"{100 * c['diff']:+.1f} [{100 * c['low']:+.1f}, {100 * c['high']:+.1f}]"


def _p(c: dict | None, none: str = "-") -> str:
    """The Holm-corrected p value (the raw one where there is none), starred below ALPHA."""
    p = None if not c else c.get("p_holm", c.get("p"))
    return none if p is None else f"{p:.2g}{'*' if p < ALPHA else ''}"


def _pp(c: dict | None) -> str:
    """The Holm-corrected paired permutation p (raw where there is none), starred below ALPHA."""
    p = None if not c else c.get("p_perm_holm", c.get("p_perm"))
    return "-" if p is None else f"{p:.2g}{'*' if p < ALPHA else ''}"


def primary_task(results: dict) -> str:
    return "hardneg_synth" if "hardneg_synth" in results["tasks"] else results["tasks"][0]


def rich_table(results: dict, stats: dict) -> Table:
    """The terminal summary, sized for an 80-column terminal: one line per recipe with its full name, accuracy on the
    primary task, Δ vs sft with its 95% paired interval, Holm p and movement (share of problems whose greedy answer
    changed vs sft, against its noise floor, when the statistics provide it). Everything else is in report.md."""
    from rich import box
    dash = "–"

    def movement(m: dict | None) -> str:
        if not m or m.get("vs_sft") is None:
            return dash
        floor = m.get("floor")
        tail = "" if floor is None else (" at floor" if m.get("at_floor") else f" (floor {100 * floor:.0f}%)")
        return f"{100 * m['vs_sft']:.0f}%{tail}"

    task = primary_task(results)
    rows = stats["tasks"][task]
    n = next((r["accuracy"].get("n") for r in rows if r.get("accuracy")), None)
    mdes = [r["vs_sft"]["mde"] for r in rows if (r.get("vs_sft") or {}).get("mde") is not None]
    mde = f"{100 * min(mdes):.1f}–{100 * max(mdes):.1f}" if mdes else dash
    # The sft row is the checkpoint(s) the recipes start from, as in report.md. Recipes on the primary SFT only (the
    # others a placebo): that checkpoint's accuracy, the others in the caption, so 66.2 - 61.0 reads as the Δ.
    # Recipes on every SFT draw: the pooled row, each draw's accuracy in the caption.
    per_seed = {str(k): v for k, v in  # int keys in memory, str after a JSON round trip
                (((stats.get("sft_seed_spread") or {}).get(task) or {}).get("per_sft_seed") or {}).items()}
    primary = str(results.get("primary_seed", 0))
    draws = {str(d) for d in (stats.get("draws") or {}).get("recipes") or []}
    sft_note = ""
    whole_draws = len(per_seed) > 1 and set(per_seed) <= draws
    if whole_draws:
        sft_note = ("\nsft: the SFT draws the recipes start from, pooled; per draw: "
                    + ", ".join(f"{k}: {_pct(v, dash)}" for k, v in per_seed.items()))
    elif len(per_seed) > 1 and primary in per_seed:
        sft_note = (f"\nsft: SFT seed {primary}, the one recipes start from; other SFT\nseeds: "
                    + ", ".join(f"{k}: {_pct(v, dash)}" for k, v in per_seed.items() if k != primary))
    t = Table(title=f"{results['experiment']} · {TASK_SHORT.get(task, task)}, n = {n} · seeds {results['seeds']}",
              caption=f"Δ: points vs sft, 95% paired CI · p: exact sign test over\nproblems, Holm-corrected (* < {ALPHA}) · "
                      f"MDE {mde} points\nmoved: answers changed vs sft (floor: noise){sft_note}\n"
                      "all other figures: report.md",
              caption_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    t.add_column("recipe", style="bold", no_wrap=True)
    t.add_column("acc %", justify="right", no_wrap=True)
    t.add_column("Δ sft [95% CI]", justify="right", no_wrap=True)
    t.add_column("p", justify="right", no_wrap=True)
    t.add_column("moved", justify="right", no_wrap=True)
    for row in rows:
        c = row.get("vs_sft")
        acc = (row.get("accuracy") or {}).get("mean")
        if row["recipe"] == "sft" and sft_note and not whole_draws:
            acc = per_seed[primary]
        t.add_row(row["recipe"], _pct(acc, dash), _diff(c, dash), _p(c, dash),
                  movement(row.get("movement")))
    return t


READING = (
    "How to read: every recipe is scored on the same problems, so each comparison is *paired*, and the unit of "
    "inference is the problem: a problem's seeds are averaged first, so a problem counts once however many seeds "
    "share it. Δ is the accuracy difference in points with a 95% paired-bootstrap interval over problems (the "
    "SFT draws it spans are stated under the accuracy table). "
    "b10/b01 count the *problems* whose seed-averaged result favours the recipe / the baseline (ties drop out); "
    "sign p is the exact sign test on them (with one seed per problem, exactly the exact McNemar test); perm p is the "
    "paired permutation (sign-flip) test on the same per-problem differences with their magnitudes, the statistic "
    "the interval is built around, so the two can differ at the margin. Both are Holm-corrected over one family per "
    f"table, named under it (* marks p < {ALPHA}). The interval bounds the effect: effects outside it are "
    "what the data rule out. MDE (2.80 x the clustered standard error) is what this design could detect with 80% "
    "power; it describes the design, not the effect, and is `–` where no problem is discordant (nothing varied, so "
    "the sensitivity is unknown). *Moved* is the share of problems whose greedy answer differs from SFT's, beside "
    "the same share between two seeds of the recipe (the noise floor); **at noise floor** marks a recipe that changed "
    "the model no more than re-running it does.")


def _mde(c: dict | None) -> str:
    if not c:
        return "-"
    return "–" if c.get("mde") is None else _pct(c["mde"])


def _moved(m: dict | None) -> str:
    if not m:
        return "-"
    floor = "one seed: no floor" if m["floor"] is None else _pct(m["floor"])
    return f"{_pct(m['vs_sft'])} ({floor})" + (" **at noise floor**" if m["at_floor"] else "")


def _units_line(rows: list[dict]) -> str:
    c = next((r.get("vs_sft") for r in rows if r.get("vs_sft")), None)
    n = rows[0]["accuracy"]["n"]
    if not c:
        return f"n = {n} problems."
    seeds = c["n_units"] // max(c["n_problems"] * c.get("n_sft_seeds", 1), 1)
    t = c.get("n_sft_seeds", 1)
    return (f"n = {c['n_problems']} problems x {seeds} seed(s)" + (f" x {t} SFT seeds" if t > 1 else "")
            + f" ({c['n_units']} units); b10/b01 count problems; test: {c['test']}.")


def per_draw_lines(rows: list[dict], control: str | None) -> list[str]:
    """Each draw's own Δ beside the pooled one, where a comparison spans several SFT draws; nothing otherwise."""
    keys = [(k, b) for k, b in (("vs_sft", "sft"), ("vs_control", control)) if b]
    draws = sorted({d["draw"] for r in rows for k, _ in keys for d in (r.get(k) or {}).get("per_draw") or []}, key=str)
    if len(draws) < 2:
        return []
    lines = ["Per-draw Δ (points, each draw's own 95% interval over problems) beside the pooled Δ; *sign holds* says "
             "whether every draw's Δ has the pooled sign.", "",
             "| recipe | baseline | pooled Δ | " + " | ".join(f"SFT draw {d}" for d in draws) + " | sign holds |",
             "|---|---|---:|" + "---:|" * len(draws) + "---|"]
    for r in rows:
        for k, base in keys:
            c = r.get(k)
            if not c or not c.get("per_draw"):
                continue
            per = {d["draw"]: d for d in c["per_draw"]}
            holds = all((per[d]["diff"] > 0) == (c["diff"] > 0) and per[d]["diff"] != 0 for d in per)
            lines.append(f"| {r['recipe']} | {base} | {_diff(c)} | " + " | ".join(_diff(per.get(d)) for d in draws)
                         + f" | {'yes' if holds else '**no**'} |")
    return lines + [""]


def _paired_lines(task: str, rows: list[dict], control: str | None, stats: dict | None = None) -> list[str]:
    head = ("| recipe | accuracy [95% CI] | Δ sft [95% CI] | b10/b01 | sign p (Holm) | perm p (Holm) | MDE | "
            "moved vs sft (seed floor) |")
    sep = "|---|---:|---:|---:|---:|---:|---:|---:|"
    if control:
        head += f" Δ {control} [95% CI] | b10/b01 | sign p (Holm) | perm p (Holm) | MDE |"
        sep += "---:|---:|---:|---:|---:|"
    lines = [f"### {TASK_SHORT.get(task, task)} (n = {rows[0]['accuracy']['n']} problems)", "", _units_line(rows), "",
             head, sep]
    notes = False
    for r in rows:
        cells = [_ci(r["accuracy"])]
        for key in ("vs_sft", "vs_control") if control else ("vs_sft",):
            c = r.get(key)
            notes |= bool(c and c.get("mde") is None)
            cells += [_diff(c), f"{c['b10']}/{c['b01']}" if c else "-", _p(c), _pp(c), _mde(c)]
            if key == "vs_sft":
                cells.append(_moved(r.get("movement")))
        lines.append(f"| {r['recipe']} | " + " | ".join(cells) + " |")
    if stats:
        label = TASK_SHORT.get(task, task)
        lines += ["", " ".join(x for x in [claims.family_sentence(stats, task),
                                            *claims.mde_sentences(stats, task, label)] if x)]
        lines += ["", *per_draw_lines(rows, control)] if per_draw_lines(rows, control) else []
    if task == "hardneg_near_miss":
        lines += ["", "SFT scores 0% here by construction (the slice is its greedy failures), so Δ sft on this table is "
                      "inflated by regression to the mean; read it against the placebo (next section) and Δ "
                      f"{control or 'control'}, never alone."]
    if notes:
        lines += ["", "MDE `–`: no discordant problem, so the design's sensitivity cannot be estimated (an MDE of 0 "
                      "would read as \"could detect anything\" and means the opposite)."]
    return lines + [""]


def _slice_lines(results: dict, stats: dict) -> list[str]:
    sl, pl = stats.get("slice"), stats.get("placebo")
    if not sl:
        return []
    e = sl.get("enrichment") or {}
    lines = ["## Near-correct-error slice", "",
             f"Predicate (v{sl['version']}, `harness/reporting/results.py: near_correct_error`): {sl['rule']}. "
             f"{len(sl['ids'])} of {e.get('of', '?')} test problems · slice hash `{sl['slice_hash']}` · selecting SFT "
             f"weights hash `{sl.get('model_hash')}` · {sl['status']}"
             + ("" if sl.get("matches_rows") in (None, True) else " · **the frozen ids differ from those the SFT's "
                                                                    "evaluation rows give**") + ".", ""]
    if e and not e["n"]:
        lines += ["The slice is empty: SFT made no near-correct error on the scored test problems.", ""]
    elif e:
        lines += [f"Enrichment: the slice covers {_pct(e['covers_sft_errors'])}% of SFT's {e['sft_errors']} greedy errors; "
                  f"SFT solves {_pct(e['sft_solves'])}% of its problems (0 by construction: it is selected on SFT's own "
                  f"greedy failures).", ""]
    if sl.get("legacy"):
        g = sl["legacy"]
        lines += [f"The run's frozen v{g['version']} slice (hash `{g['slice_hash']}`) held {g['n']} problems, "
                  f"{_pct(g['sft_solves'])}% of which SFT solves; it took in {_pct(g['p_in_given_wrong'])}% of SFT's "
                  f"errors and {_pct(g['p_in_given_right'])}% of its successes, so membership barely depended on SFT "
                  "being wrong.", ""]
    lines += ["Because the slice is chosen by SFT's own failures, any model whose noise is independent of them scores "
              "higher there (regression to the mean): SFT's 0% is the floor, not a baseline. A recipe's gain on the "
              "slice means something only beyond the placebo's: an SFT trained with another seed (`--sft-seeds`). "
              "`sft_more` is no placebo: it continues the selecting SFT, so its errors are not independent of the "
              "selection.", ""]
    if pl:
        c = pl["vs_selecting_sft"]
        lines += ["| model on the slice | accuracy [95% CI] | Δ vs selecting SFT [95% CI] | p |", "|---|---:|---:|---:|",
                  f"| selecting SFT | {_ci(pl['sft_accuracy'])} | - | - |",
                  f"| placebo ({pl['kind']}) | {_ci(pl['placebo_accuracy'])} | {_diff(c)} | {_p(c)} |", ""]
    else:
        lines += ["**No placebo in this run** (one SFT seed): the slice's paired differences cannot be told apart from "
                  "regression to the mean. Rerun with `--sft-seeds` to get one.", ""]
    return lines + _slice_control_lines(stats.get("slice_control"))


def _slice_control_lines(sc: dict | None) -> list[str]:
    """The within-model control: each model's fix share on the slice against its fix share on SFT's other errors."""
    if not sc or not sc.get("rows"):
        return []
    lines = [f"Within-model control (sharper than the placebo: the same model, the same regression to the mean): of "
             f"SFT's greedy errors on {TASK_SHORT.get(sc['source'], sc['source'])}, the share each model solves on "
             f"the slice ({sc['n_slice']} problems) and on SFT's other errors ({sc['n_other_errors']} problems), "
             "seeds averaged per problem; the excess has a 95% stratified bootstrap interval over problems. A recipe "
             "that targets near misses fixes more of the slice than of the other errors; one that only regresses to "
             "the mean fixes both alike.", "",
             "| model | fixes of the slice % | fixes of SFT's other errors % | excess [95% CI] |", "|---|---:|---:|---:|"]
    for name, f in sc["rows"].items():
        lines.append(f"| {name} | {_pct(f['x'])} | {_pct(f['y'])} | {_diff(f)} |")
    return lines + [""]


def _profile_lines(results: dict, stats: dict) -> list[str]:
    from verifier import DIMENSIONS
    rule = (stats.get("slice") or {}).get("rule", "the slice predicate")
    lines = ["## Error profile of the greedy solutions (% of problems)", "",
             f"near-miss = the slice's predicate on each greedy solution ({rule}); flawed-correct = right answer behind "
             "an arithmetic or consistency flaw; the last columns give each verifier dimension's share above zero.", ""]
    for task, prof in stats["profiles"].items():
        lines += [f"### {TASK_SHORT.get(task, task)}", "",
                  "| recipe | strict | equiv | near-miss | flawed-correct | wrongness | absurdity | "
                  + " | ".join(DIMENSIONS) + " |", "|---|" + "---:|" * (6 + len(DIMENSIONS))]
        for name, p in prof.items():
            lines.append(f"| {name} | {_pct(p['exact_match'])} | {_pct(p['equiv'])} | {_pct(p['near_miss'])} | "
                         f"{_pct(p['flawed_correct'])} | {p['wrongness']:.3f} | {p['absurdity']:.3f} | "
                         + " | ".join(_pct(p["nonzero"][k]) for k in DIMENSIONS) + " |")
        lines.append("")
    return lines


def _recipe_beta(results: dict, name: str) -> float:
    from harness.registry import get_recipe
    beta = (results.get("manifest", {}).get("config", {}).get("dpo") or {}).get("beta", 0.1)
    try:
        return get_recipe(name).overrides.get("beta", beta)
    except KeyError:  # a recipe file no longer present: the run's config value
        return beta


def _training_lines(results: dict) -> list[str]:
    """The displacement sign (harness/reporting/signs.py): the chosen log-likelihood against the reference's on the same
    pairs, at the end of training, per seed; the raw logps/chosen trend is batch-dependent and shown for reference."""
    from harness.reporting.signs import chosen_trend
    lines = ["## Training signs (DPO-trainer recipes)", "",
             "log-ratio = log pi(y) - log pi_ref(y) in nats per pair, mean of the last quarter of the log, over seeds; "
             "a chosen log-ratio below zero is the displacement sign (the policy rates its chosen completions less "
             "likely than SFT did). logps/chosen start → end is TRL's raw per-batch value (primary seed): it compares "
             "different batches.", "",
             "| recipe | chosen log-ratio at end | rejected log-ratio at end | logps/chosen start → end | flag |",
             "|---|---:|---:|---:|---|"]
    any_row = False
    for r in results["recipes"]:
        beta = _recipe_beta(results, r["name"])
        trends = [(x["seed"], chosen_trend(x["train"].get("log_history"), beta)) for x in r["runs"]]
        trends = [(s, t) for s, t in trends if t]
        if not trends:
            continue
        any_row = True
        prim = next((t for s, t in trends if s == results["primary_seed"]), trends[0][1])
        ch = [t["chosen_logratio_end"] for _, t in trends if t["chosen_logratio_end"] is not None]
        rj = [t["rejected_logratio_end"] for _, t in trends if t["rejected_logratio_end"] is not None]
        fell = [t["fell"] for _, t in trends if t["fell"] is not None]
        flag = (f"chosen fell below the reference in {sum(fell)}/{len(fell)} seeds (displacement)" if any(fell)
                else ("" if fell else "no preference term (NLL only)"))
        lines.append(f"| {r['name']} | {_mean_fmt(ch)} | {_mean_fmt(rj)} | "
                     f"{prim['logps_start']:.2f} → {prim['logps_end']:.2f} | {flag} |")
    return lines + [""] if any_row else []


def _mean_fmt(xs: list[float]) -> str:
    return "-" if not xs else f"{sum(xs) / len(xs):+.3f}"


def _pool_lines(results: dict) -> list[str]:
    lines = []
    if results.get("pool"):
        p = results["pool"]["summary"]
        lines += ["## Sample pool (SFT policy, training problems, primary seed)", "",
                  f"{p['samples']} unique samples over {p['problems']} problems · sample accuracy {_pct(p['accuracy'])}% · "
                  f"hard negatives {_pct(p['hard_negative_share'])}% · truncated {_pct(p['truncated_share'])}% · "
                  f"problems all-wrong / mixed / all-right: {p['pass_rate']['all_wrong']} / {p['pass_rate']['mixed']} / "
                  f"{p['pass_rate']['all_right']} · sampling {results['pool']['sampling']['tokens_per_s']:.0f} tok/s", "",
                  "| dimension | mean | share > 0 |", "|---|---:|---:|"]
        lines += [f"| {k} | {d['mean']:.3f} | {_pct(d['nonzero'])} |" for k, d in p["dimensions"].items()] + [""]
    if results.get("pairs"):
        lines += ["## Preference pairs (primary seed)", "", "| builder/scheme | pairs | no pair | chosen=reference | "
                  "rejected HN% | rej. distance | rej. absurdity | weight min/max |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for name, st in results["pairs"].items():
            lines.append(f"| {name} | {st['pairs']} | {st['problems_without_pair']} | {st['chosen_from_reference']} | "
                         f"{_pct(st['rejected_hard_negative_share'])} | {st['rejected_mean']['distance']:.3f} | "
                         f"{st['rejected_mean']['absurdity']:.3f} | {st['weight']['min']:.2f}/{st['weight']['max']:.2f} |")
        lines.append("")
    return lines


def _generation_lines(results: dict) -> list[str]:
    """How each task generated (greedy): its budget and stop texts, and where the harness overrode the task YAML
    (harness/stages/evaluate.py `generation_settings`); nothing for runs that did not record it."""
    seen: dict = {}
    for r in results["recipes"]:
        for x in r["runs"]:
            for task, g in (x.get("generation") or {}).items():
                seen.setdefault(task, g)
    if not seen:
        return []
    parts = []
    for task, g in seen.items():
        over = g.get("overridden_from") or {}
        text = f"{TASK_SHORT.get(task, task)}: max_gen_toks {g['max_gen_toks']}"
        if "max_gen_toks" in over:
            text += f" (the task's own: {over['max_gen_toks']})"
        if "until" in over:
            text += f", stop texts {g['until']!r} from the prompt template (the task's own: {over['until']!r})"
        parts.append(text)
    return ["Generation (greedy): " + "; ".join(parts) + ".", ""]


def markdown(results: dict, stats: dict, plots: list[str]) -> str:
    m = results["manifest"]
    control = stats["baselines"]["control"]
    lines = [f"# hardneg report: `{results['experiment']}`", "",
             f"git `{m['git_revision']}` · seeds {results['seeds']} · SFT seeds {results['sft_seeds']} · "
             f"TRL {m['libraries'].get('trl')} · lm-eval {m['libraries'].get('lm_eval')} · created {m['created']}", "",
             f"Selection: {results['selection']}. Control recipe: `{results.get('control')}`"
             f"{'' if control else ' (not evaluated here)'}.", "", *_generation_lines(results),
             "## Accuracy (% [95% CI]; math-verify equivalence)", "",
             "Intervals: one kind for every recipe, a bootstrap over problems of the seed-averaged correctness, over "
             "the SFT draws the recipes start from (the sft row is that checkpoint, the one every Δ is paired with). "
             "The seed spread (min-max accuracy over a recipe's distinct models, primary task) is shown beside it, "
             "not mixed into it.", "",
             "| recipe | runs | " + " | ".join(TASK_SHORT.get(k, k) for k in results["tasks"]) + " | seed spread |",
             "|---|---:|" + "---:|" * (len(results["tasks"]) + 1)]
    acc = {k: {r["recipe"]: r for r in stats["tasks"][k]} for k in results["tasks"]}
    main = primary_task(results)
    for r in results["recipes"]:
        sp = (acc[main].get(r["name"]) or {}).get("accuracy", {}).get("spread")
        spread = f"{_pct(sp['min'])}-{_pct(sp['max'])} ({sp['models']} models)" if sp and sp["models"] > 1 else "-"
        runs = (acc[main].get(r["name"]) or {}).get("runs", len(r["runs"]))
        lines.append(f"| {r['name']} | {runs} | "
                     + " | ".join(_ci(acc[k][r['name']]["accuracy"]) if r["name"] in acc[k] else "-"
                                  for k in results["tasks"]) + f" | {spread} |")
    draws = claims.draws_sentence(stats, main)
    lines += ["", draws] if draws else []
    lines += ["", claims.replicate_sentence(stats)]
    if len(results["sft_seeds"]) == 1:
        lines += ["", "Draw more SFT checkpoints (`harness compare --sft-seeds`) to put the checkpoint's own spread in "
                      "the intervals."]
    lines += ["", claims.best_sentence(stats, TASK_SHORT)]
    for sk in results.get("skipped") or []:
        lines.append(f"\n**Skipped:** `{sk['recipe']}` (seed {sk['seed']}): {sk['reason']}")
    from harness.reporting.costs import cost_lines  # results recorded before costs have none: no section
    cost = cost_lines(results, {k: v["accuracy"] for k, v in acc[main].items()}, TASK_SHORT.get(main, main))
    lines += (["", *cost[:-1]] if cost else [])
    lines += ["", "## Paired comparisons", "", READING, ""]
    for task in results["tasks"]:
        lines += _paired_lines(task, stats["tasks"][task], control, stats)
    lines += _slice_lines(results, stats) + _profile_lines(results, stats) + _training_lines(results)
    lines += planted_lines(results, plots)  # planted-flaw world only (harness/reporting/planted.py)
    lines += ["## Recipes", "", "| recipe | trainer | pairs | weights | loss | description |", "|---|---|---|---|---|---|"]
    for r in results["recipes"]:
        lines.append(f"| {r['name']} | {r['trainer']} | {r.get('pairs') or '-'} | {r.get('weights') or '-'} | "
                     f"{'+'.join(r.get('loss_type') or []) or '-'} | {r['description']} |")
    lines += [""] + _pool_lines(results)
    if plots:
        lines += ["## Plots", ""] + [f"![{Path(p).stem}]({Path(p).name})" for p in plots] + [""]
    thr = [(r["name"], x["throughput"]) for r in results["recipes"] for x in r["runs"][:1]
           if (x.get("throughput") or {}).get("seconds") is not None]
    if thr:
        lines += ["## Evaluation throughput (generated tokens/s, greedy, all tasks of one model)", "",
                  "| recipe | seconds | tokens | tokens/s |", "|---|---:|---:|---:|"]
        lines += [f"| {n}{' (synthetic rows: the slice stage)' if t.get('hardneg_synth_from') else ''} | "
                  f"{t['seconds']:.1f} | {t['generated_tokens']} | {t['tokens_per_s']:.0f} |" for n, t in thr]
        lines.append("")
    lines += ["## Stage timings of the last `harness compare` (s)", "", "| stage | seconds | cached |", "|---|---:|---|"]
    for k, v in m["stages"].items():
        lines.append(f"| {k} | {v['seconds'] or 0:.1f} | {v['cached']} |")
    return "\n".join(lines) + "\n"
