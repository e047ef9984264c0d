"""The report's plots (matplotlib, Agg): accuracy as point and 95% interval per recipe, paired differences vs SFT as a
forest plot, the error profile as a recipes x categories heatmap (shares that overlap, never stacked), accuracy
against training compute (when costs were recorded), DPO training curves, verifier pair weights, SFT loss. Each
returns the paths it wrote."""
from __future__ import annotations

from pathlib import Path

from harness.reporting.markdown import TASK_SHORT

CURVE_KEYS = ("loss", "rewards/margins", "logps/chosen", "logps/rejected")


PROFILE = (("answer", "wrong answer"), ("near_miss", "near miss"), ("arithmetic", "arithmetic error"),
           ("consistency", "consistency break"), ("coverage", "incomplete"), ("form", "form"),
           ("flawed_correct", "right answer, flawed"))
DPI = 150
FONT = 9  # points: legible at the saved size (a 4-inch panel at 150 dpi is 600 pixels wide)


def _save(fig, path: Path) -> str:
    import matplotlib.pyplot as plt
    fig.tight_layout()
    fig.savefig(path, dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return str(path)


def _panels(n_panels: int, n_rows: int, width: float = 3.6):
    """One panel per task side by side (two rows beyond three tasks), recipes down a shared y-axis."""
    import matplotlib.pyplot as plt
    cols = n_panels if n_panels <= 3 else 2
    rows = -(-n_panels // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(1.3 + width * cols, rows * (0.9 + 0.26 * n_rows)), squeeze=False)
    flat = [ax for line in axes for ax in line]
    for ax in flat[n_panels:]:
        ax.set_visible(False)
    return fig, flat[:n_panels], cols


def _interval_rows(ax, names: list[str], cells: list[tuple | None], filled: list[bool]) -> None:
    """Point and horizontal 95% interval per recipe, first recipe at the top; open markers where `filled` is false."""
    for y, (cell, full) in enumerate(zip(cells, filled)):
        if cell is None:
            continue
        v, lo, hi = cell
        ax.hlines(y, lo, hi, color="tab:blue", lw=1.6)
        ax.plot([v], [y], "o", ms=5, color="tab:blue", mfc="tab:blue" if full else "white")
    ends = [x for cell in cells if cell is not None for x in cell[1:]]
    if ends and max(ends) - min(ends) < 1e-9:
        # every point and interval is one value (a task no recipe moves): matplotlib would zoom to +-0.04 points
        ax.set_xlim(ends[0] - 1, ends[0] + 1)
    ax.set_yticks(range(len(names)), names, fontsize=FONT)
    ax.set_ylim(len(names) - 0.5, -0.5)
    ax.tick_params(axis="x", labelsize=FONT)
    ax.grid(axis="x", lw=0.4, alpha=0.5)


def _n(rows: list[dict], key: str) -> int | None:
    for r in rows:
        c = r.get(key) if key else r.get("accuracy")
        if c:
            return c.get("n_problems", c.get("n"))
    return None


def _drawn_tasks(scored: dict[str, list[str]], n_names: int) -> tuple[list[str], str]:
    """(tasks to draw, a note naming the rest): a task scored for one recipe alone (the demo's GSM8K/MATH-500 smoke,
    `eval.real_benchmarks_for: sft`) is one row, not a panel of empty ones; the note names it for the title."""
    drawn = [t for t, recipes in scored.items() if len(recipes) > 1 or n_names == 1]
    alone = [f"{TASK_SHORT.get(t, t)} ({scored[t][0]} only)" for t in scored if t not in drawn]
    return drawn, (f"\nnot drawn, in report.md: {', '.join(alone)}" if alone else "")


def accuracy_plot(results: dict, stats: dict, out: Path) -> list[str]:
    """Accuracy per recipe as a point with its 95% interval, one panel per task; a dashed line at sft's accuracy."""
    names = [r["name"] for r in results["recipes"]]
    tasks, note = _drawn_tasks({t: [r["recipe"] for r in stats["tasks"][t]] for t in results["tasks"]
                                if stats["tasks"].get(t)}, len(names))
    if not names or not tasks:
        return []
    fig, axes, cols = _panels(len(tasks), len(names))
    for k, (ax, task) in enumerate(zip(axes, tasks)):
        acc = {r["recipe"]: r["accuracy"] for r in stats["tasks"][task]}
        cells = [(100 * acc[n]["mean"], 100 * acc[n]["low"], 100 * acc[n]["high"]) if n in acc else None for n in names]
        _interval_rows(ax, names, cells, [True] * len(names))
        if "sft" in acc:
            ax.axvline(100 * acc["sft"]["mean"], color="grey", ls="--", lw=0.9)
        kind = next(iter(acc.values()))["kind"] if acc else ""
        ax.set_title(f"{TASK_SHORT.get(task, task)} (n = {_n(stats['tasks'][task], '')})\n{kind}", fontsize=FONT)
        ax.set_xlabel("accuracy %", fontsize=FONT)
        if k % cols:
            ax.tick_params(axis="y", labelleft=False)
    fig.suptitle("Greedy accuracy with 95% intervals (dashed: sft)" + note, fontsize=FONT + 1)
    return [_save(fig, out / "accuracy.png")]


def difference_plot(results: dict, stats: dict, out: Path) -> list[str]:
    """A forest plot: Δ accuracy vs sft per recipe with its 95% paired-bootstrap interval, zero line, one panel per
    task (each on its own x-scale); filled markers where the Holm-corrected problem-level p < 0.05 (the exact sign test
    over problems; with one seed per problem, the exact McNemar test)."""
    names = [r["name"] for r in results["recipes"] if r["name"] != "sft"]
    if not names or not stats["baselines"]["sft"]:
        return []
    tasks, _ = _drawn_tasks({t: [r["recipe"] for r in stats["tasks"][t]] for t in results["tasks"]
                             if stats["tasks"].get(t)}, len(results["recipes"]))
    if not tasks:
        return []
    fig, axes, cols = _panels(len(tasks), len(names))
    for k, (ax, task) in enumerate(zip(axes, tasks)):
        d = {r["recipe"]: r.get("vs_sft") for r in stats["tasks"][task]}
        cells = [(100 * d[n]["diff"], 100 * d[n]["low"], 100 * d[n]["high"])
                 if d.get(n) and d[n].get("diff") is not None else None for n in names]
        sig = [bool(d.get(n)) and (d[n].get("p_holm", d[n].get("p")) or 1.0) < 0.05 for n in names]
        _interval_rows(ax, names, cells, sig)
        ax.axvline(0, color="black", lw=0.9)
        ax.set_title(f"{TASK_SHORT.get(task, task)} (n = {_n(stats['tasks'][task], 'vs_sft')} problems)", fontsize=FONT)
        ax.set_xlabel("Δ accuracy vs sft, points", fontsize=FONT)
        if k % cols:
            ax.tick_params(axis="y", labelleft=False)
    fig.suptitle("Paired difference vs sft: 95% bootstrap interval over problems; filled = sign-test p < 0.05 (Holm)",
                 fontsize=FONT + 1)
    return [_save(fig, out / "paired_differences.png")]


def _profile_share(prof: dict, key: str) -> float | None:
    if key in ("near_miss", "flawed_correct"):
        return prof.get(key)
    return (prof.get("nonzero") or {}).get(key)


def profile_plot(results: dict, stats: dict, out: Path) -> list[str]:
    """Recipes x error categories heatmap of the share of greedy solutions with each flaw, one panel per task; the
    categories overlap (a near miss can carry an arithmetic error), so nothing is stacked or summed."""
    import matplotlib.pyplot as plt
    import numpy as np
    tasks, note = _drawn_tasks({t: list(stats["profiles"][t]) for t in results["tasks"] if stats["profiles"].get(t)},
                               len(results["recipes"]))
    if not tasks:
        return []
    names = [r["name"] for r in results["recipes"] if any(r["name"] in stats["profiles"][t] for t in tasks)]
    cats = [(k, label) for k, label in PROFILE
            if any(_profile_share(p, k) is not None for t in tasks for p in stats["profiles"][t].values())]
    fig, axes, cols = _panels(len(tasks), len(names), width=0.55 * len(cats) + 0.6)
    for k, (ax, task) in enumerate(zip(axes, tasks)):
        prof = stats["profiles"][task]
        grid = np.array([[np.nan if n not in prof or _profile_share(prof[n], c) is None
                          else 100 * _profile_share(prof[n], c) for c, _ in cats] for n in names])
        ax.imshow(grid, cmap="Blues", vmin=0, vmax=100, aspect="auto")
        for (i, j), v in np.ndenumerate(grid):
            if not np.isnan(v):
                ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=FONT - 1,
                        color="white" if v > 60 else "black")
        ax.set_xticks(range(len(cats)), [label for _, label in cats], rotation=40, ha="right", fontsize=FONT)
        ax.set_yticks(range(len(names)), names, fontsize=FONT)
        n = next(iter(prof.values())).get("n")
        ax.set_title(f"{TASK_SHORT.get(task, task)} (n = {n})", fontsize=FONT)
        if k % cols:
            ax.tick_params(axis="y", labelleft=False)
    fig.suptitle("% of greedy solutions with each flaw (categories overlap: rows do not sum to 100)" + note,
                 fontsize=FONT + 1)
    plt.setp(fig.axes, frame_on=False)
    for ax in axes:
        ax.tick_params(length=0)
    return [_save(fig, out / "error_profile.png")]


def line_style(i: int) -> dict:
    """The i-th curve's colour and dash: tab10's ten colours, then the same colours dashed, then dotted, so that no two
    of up to 30 recipes share a look (with colours alone, the 11th recipe's line was the 1st's)."""
    return {"color": f"C{i % 10}", "ls": ("-", "--", ":")[(i // 10) % 3]}


def training_plots(results: dict, out: Path) -> list[str]:
    import matplotlib.pyplot as plt
    made = []
    first = {r["name"]: next((x for x in r["runs"] if x["seed"] == results["primary_seed"]), r["runs"][0])
             for r in results["recipes"]}
    dpo = [r for r in results["recipes"] if r["trainer"] == "dpo"]
    if dpo:
        fig, grid = plt.subplots(2, 2, figsize=(8.5, 5.2), squeeze=False)
        axes = [ax for line in grid for ax in line]
        for ax, key in zip(axes, CURVE_KEYS):
            for i, r in enumerate(dpo):
                pts = [(h["step"], h[key]) for h in first[r["name"]]["train"]["log_history"] if key in h]
                if pts:
                    ax.plot(*zip(*pts), label=r["name"], lw=1.2, **line_style(i))
            ax.set_title(key, fontsize=FONT)
            ax.set_xlabel("step", fontsize=FONT)
            ax.tick_params(labelsize=FONT)
        handles, labels = axes[0].get_legend_handles_labels()
        if handles:  # beside the panels, not over the curves
            fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=FONT, frameon=False)
        made.append(_save(fig, out / "dpo_curves.png"))
    weighted = {k: v for k, v in (results.get("pairs") or {}).items() if v["scheme"] == "verifier"}
    if weighted:
        fig, ax = plt.subplots(figsize=(4.5, 2.8))
        for name, st in weighted.items():
            h = st["weight"]["histogram"]
            if len(h["counts"]) > 1:
                ax.stairs(h["counts"], h["edges"], label=name)
        ax.set_title("verifier pair weights (mean 1)", fontsize=FONT)
        ax.set_xlabel("weight")
        ax.set_ylabel("pairs")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=FONT)
        made.append(_save(fig, out / "pair_weights.png"))
    if "sft" in first:
        pts = [(h["step"], h["loss"]) for h in first["sft"]["train"]["log_history"] if "loss" in h]
        if pts:
            fig, ax = plt.subplots(figsize=(4, 2.8))
            ax.plot(*zip(*pts))
            ax.set_title("SFT loss")
            ax.set_xlabel("step")
            made.append(_save(fig, out / "sft_loss.png"))
    return made


def compute_plot(results: dict, stats: dict, out: Path) -> list[str]:
    """Accuracy on the primary task against training compute from SFT's end (harness/reporting/costs.py): one labelled
    marker per recipe with its 95% interval as a vertical bar; x in analytic TFLOPs, on a log scale when the costs span
    more than a factor of 10. A recipe of zero cost (sft) cannot sit on a log axis: it is the dashed line, labelled.
    Nothing for results without costs."""
    import matplotlib.pyplot as plt

    from harness.reporting.costs import has_cost
    from harness.reporting.markdown import primary_task
    if not has_cost(results):
        return []
    task = primary_task(results)
    acc = {r["recipe"]: r["accuracy"] for r in stats["tasks"].get(task) or [] if r.get("accuracy")}
    points = [(r["name"], r["cost"]["training"]["flops"] / 1e12, acc[r["name"]]) for r in results["recipes"]
              if r.get("cost") and r["name"] in acc]
    if not points:
        return []
    paid = [p for p in points if p[1] > 0]
    free = [p for p in points if p[1] <= 0]
    fig, ax = plt.subplots(figsize=(5.6, 3.8))
    for i, (name, x, a) in enumerate(paid):
        style = line_style(i)
        ax.errorbar([x], [100 * a["mean"]], yerr=[[100 * (a["mean"] - a["low"])], [100 * (a["high"] - a["mean"])]],
                    fmt="o", ms=5, color=style["color"], capsize=3, lw=1.2)
        ax.annotate(name, (x, 100 * a["mean"]), xytext=(5, 3), textcoords="offset points", fontsize=FONT - 1)
    for name, _, a in free:
        ax.axhline(100 * a["mean"], color="grey", ls="--", lw=0.9)
        ax.axhspan(100 * a["low"], 100 * a["high"], color="grey", alpha=0.12, lw=0)
        ax.annotate(f"{name}: 0 (no training after SFT)", (0.99, 100 * a["mean"]), xycoords=("axes fraction", "data"),
                    xytext=(0, 3), textcoords="offset points", fontsize=FONT - 1, color="grey", ha="right")
    xs = [x for _, x, _ in paid]
    if xs and max(xs) / min(xs) > 10:
        ax.set_xscale("log")
    else:  # a linear axis starts at SFT's end
        ax.set_xlim(left=0, right=1.15 * max(xs, default=1))
    ax.set_xlabel("training compute from SFT's end, TFLOPs (analytic)", fontsize=FONT)
    ax.set_ylabel(f"{TASK_SHORT.get(task, task)} accuracy %", fontsize=FONT)
    ax.tick_params(labelsize=FONT)
    ax.grid(lw=0.4, alpha=0.5)
    ax.set_title("Accuracy (95% interval) vs compute; shared stages count fully in each recipe", fontsize=FONT)
    return [_save(fig, out / "accuracy_vs_compute.png")]


def all_plots(results: dict, stats: dict, out: Path) -> list[str]:
    import matplotlib
    matplotlib.use("Agg")
    return (accuracy_plot(results, stats, out) + difference_plot(results, stats, out)
            + profile_plot(results, stats, out) + compute_plot(results, stats, out) + training_plots(results, out))
