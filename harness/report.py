"""Results: a versioned results.json, a rich table on the terminal, a Markdown report with plots."""
from __future__ import annotations

from pathlib import Path

from rich.table import Table

RESULTS_SCHEMA_VERSION = 1
HEADLINE = ("equiv", "exact_match", "hard_negative", "wrongness")
TASK_SHORT = {"hardneg_synth": "synth", "hardneg_near_miss": "near-miss", "hardneg_gsm8k_cot": "gsm8k",
              "hardneg_math500": "math500"}
CURVE_KEYS = ("loss", "rewards/margins", "logps/chosen", "logps/rejected")


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}"


def rich_table(results: dict) -> Table:
    tasks = results["tasks"]
    t = Table(title=f"hardneg compare: {results['experiment']} (accuracy %, math-verify equivalence)")
    t.add_column("recipe", style="bold")
    for task in tasks:
        t.add_column(TASK_SHORT.get(task, task), justify="right")
    t.add_column("near-miss HN%", justify="right")
    t.add_column("train s", justify="right")
    for r in results["recipes"]:
        s = r["eval"]
        nm = s.get("hardneg_near_miss", s.get("hardneg_synth", {}))
        t.add_row(r["name"], *[f"{_pct(s[k]['equiv'])} ±{_pct(s[k].get('equiv_stderr'))}" if k in s else "-" for k in tasks],
                  _pct(nm.get("hard_negative")), f"{r['train']['seconds'] or 0:.0f}")
    return t


def pool_table(summary: dict, sampling: dict) -> Table:
    """The verification stage's summary: accuracy, hard negatives, each dimension, per-problem pass rate."""
    pr = summary["pass_rate"]
    t = Table(title=f"sample pool: {summary['samples']} unique samples, {summary['problems']} problems, "
                    f"{sampling['tokens_per_s']:.0f} tok/s")
    t.add_column("measure")
    t.add_column("mean", justify="right")
    t.add_column("share > 0", justify="right")
    t.add_row("accuracy", _pct(summary["accuracy"]), "")
    t.add_row("hard negatives", _pct(summary["hard_negative_share"]), "")
    for k, d in summary["dimensions"].items():
        t.add_row(k, f"{d['mean']:.3f}", _pct(d["nonzero"]))
    t.add_row("problems all wrong / mixed / all right", f"{pr['all_wrong']} / {pr['mixed']} / {pr['all_right']}",
              f"pass {_pct(pr['mean'])}")
    return t


def markdown(results: dict, plots: list[str]) -> str:
    tasks = results["tasks"]
    lines = [f"# hardneg report: `{results['experiment']}`", "",
             f"git `{results['manifest']['git_revision']}` · seed {results['manifest']['seed']} · "
             f"{results['manifest']['libraries'].get('trl')} TRL · lm-eval {results['manifest']['libraries'].get('lm_eval')} · "
             f"created {results['manifest']['created']}", "",
             "## Accuracy (%; equiv = flexible extraction + exact/math-verify equivalence, strict = trained format)", "",
             "| recipe | " + " | ".join(f"{TASK_SHORT.get(k, k)} equiv | {TASK_SHORT.get(k, k)} strict" for k in tasks) + " |",
             "|---|" + "---:|---:|" * len(tasks)]
    for r in results["recipes"]:
        s = r["eval"]
        cells = []
        for k in tasks:
            m = s.get(k, {})
            cells += [f"{_pct(m.get('equiv'))} ± {_pct(m.get('equiv_stderr'))}", _pct(m.get("exact_match"))]
        lines.append(f"| {r['name']} | " + " | ".join(cells) + " |")
    lines += ["", "## Verifier view of the greedy solutions (lower is better)", "",
              "| recipe | " + " | ".join(f"{TASK_SHORT.get(k, k)} HN% / wrongness / arith-err%" for k in tasks) + " |",
              "|---|" + "---:|" * len(tasks)]
    for r in results["recipes"]:
        s = r["eval"]
        lines.append(f"| {r['name']} | " + " | ".join(
            f"{_pct(s[k].get('hard_negative'))} / {s[k].get('wrongness', 0):.3f} / {_pct(s[k].get('arithmetic_error'))}"
            if k in s else "-" for k in tasks) + " |")
    lines += ["", "## Recipes", "", "| recipe | trainer | pairs | weights | loss | description |", "|---|---|---|---|---|---|"]
    for r in results["recipes"]:
        lines.append(f"| {r['name']} | {r['trainer']} | {r.get('pairs') or '-'} | {r.get('weights') or '-'} | "
                     f"{'+'.join(r.get('loss_type') or [])} | {r['description']} |")
    if results.get("pool"):
        p = results["pool"]["summary"]
        lines += ["", "## Sample pool (SFT policy, training problems)", "",
                  f"{p['samples']} unique samples over {p['problems']} problems · sample accuracy {_pct(p['accuracy'])}% · "
                  f"hard negatives {_pct(p['hard_negative_share'])}% · truncated {_pct(p['truncated_share'])}% · "
                  f"problems all-wrong / mixed / all-right: {p['pass_rate']['all_wrong']} / {p['pass_rate']['mixed']} / "
                  f"{p['pass_rate']['all_right']} · sampling {results['pool']['sampling']['tokens_per_s']:.0f} tok/s", "",
                  "| dimension | mean | share > 0 |", "|---|---:|---:|"]
        for k, d in p["dimensions"].items():
            lines.append(f"| {k} | {d['mean']:.3f} | {_pct(d['nonzero'])} |")
    if results.get("slice"):
        s = results["slice"]
        lines += ["", f"Near-correct-error slice: {s['n_problems']} of {s['of']} test problems on which most of the SFT "
                  "policy's samples are near misses (wrong answer within `near_distance`, arithmetic or consistency flaw)."]
    if results.get("pairs"):
        lines += ["", "## Preference pairs", "", "| builder/scheme | pairs | no pair | chosen=reference | rejected HN% | "
                  "rej. distance | rej. absurdity | weight min/max |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for name, st in results["pairs"].items():
            lines.append(f"| {name} | {st['pairs']} | {st['problems_without_pair']} | {st['chosen_from_reference']} | "
                         f"{_pct(st['rejected_hard_negative_share'])} | {st['rejected_mean']['distance']:.3f} | "
                         f"{st['rejected_mean']['absurdity']:.3f} | {st['weight']['min']:.2f}/{st['weight']['max']:.2f} |")
    if plots:
        lines += ["", "## Plots", ""] + [f"![{Path(p).stem}]({Path(p).name})" for p in plots]
    lines += ["", "## Stage timings (s)", "", "| stage | seconds | cached |", "|---|---:|---|"]
    for k, v in results["manifest"]["stages"].items():
        lines.append(f"| {k} | {v['seconds'] or 0:.1f} | {v['cached']} |")
    return "\n".join(lines) + "\n"


def _save(fig, path: Path) -> str:
    import matplotlib.pyplot as plt
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return str(path)


def plots(results: dict, out: Path) -> list[str]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    made = []
    tasks = results["tasks"]
    names = [r["name"] for r in results["recipes"]]
    fig, ax = plt.subplots(figsize=(1.6 + 1.1 * len(names) * max(1, len(tasks)) / 2, 3.2))
    width = 0.8 / max(1, len(tasks))
    for j, task in enumerate(tasks):
        vals = [100 * (r["eval"].get(task, {}).get("equiv") or 0) for r in results["recipes"]]
        errs = [100 * (r["eval"].get(task, {}).get("equiv_stderr") or 0) for r in results["recipes"]]
        ax.bar([i + j * width for i in range(len(names))], vals, width, yerr=errs, label=TASK_SHORT.get(task, task))
    ax.set_xticks([i + width * (len(tasks) - 1) / 2 for i in range(len(names))], names)
    ax.set_ylabel("accuracy %")
    ax.legend(fontsize=7)
    made.append(_save(fig, out / "accuracy.png"))
    dpo = [r for r in results["recipes"] if r["trainer"] == "dpo"]
    if dpo:
        fig, axes = plt.subplots(1, len(CURVE_KEYS), figsize=(3.2 * len(CURVE_KEYS), 2.8))
        for ax, key in zip(axes, CURVE_KEYS):
            for r in dpo:
                pts = [(h["step"], h[key]) for h in r["train"]["log_history"] if key in h]
                if pts:
                    ax.plot(*zip(*pts), label=r["name"])
            ax.set_title(key, fontsize=9)
            ax.set_xlabel("step")
        axes[0].legend(fontsize=7)
        made.append(_save(fig, out / "dpo_curves.png"))
    weighted = {k: v for k, v in (results.get("pairs") or {}).items() if v["scheme"] == "verifier"}
    if weighted:
        fig, ax = plt.subplots(figsize=(4.5, 2.8))
        for name, st in weighted.items():
            h = st["weight"]["histogram"]
            if len(h["counts"]) > 1:
                ax.stairs(h["counts"], h["edges"], label=name)
        ax.set_title("verifier pair weights (mean 1)", fontsize=9)
        ax.set_xlabel("weight")
        ax.set_ylabel("pairs")
        ax.legend(fontsize=7)
        made.append(_save(fig, out / "pair_weights.png"))
    sft = next((r for r in results["recipes"] if r["trainer"] == "sft"), None)
    if sft:
        pts = [(h["step"], h["loss"]) for h in sft["train"]["log_history"] if "loss" in h]
        if pts:
            fig, ax = plt.subplots(figsize=(4, 2.8))
            ax.plot(*zip(*pts))
            ax.set_title("SFT loss")
            ax.set_xlabel("step")
            made.append(_save(fig, out / "sft_loss.png"))
    return made
