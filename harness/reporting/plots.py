"""The report's plots (matplotlib, Agg): accuracy with 95% CIs, paired differences vs SFT, stacked error
profiles, DPO training curves, verifier pair weights, SFT loss. Each returns the paths it wrote."""
from __future__ import annotations

from pathlib import Path

from harness.reporting.markdown import TASK_SHORT

CURVE_KEYS = ("loss", "rewards/margins", "logps/chosen", "logps/rejected")
STACK = (("near_miss", "near miss"), ("arithmetic", "arithmetic error"), ("consistency", "consistency break"),
         ("form", "form"))


def _save(fig, path: Path) -> str:
    import matplotlib.pyplot as plt
    fig.tight_layout()
    fig.savefig(path, dpi=120, metadata={"Software": None})
    plt.close(fig)
    return str(path)


def _grouped(ax, names: list[str], series: dict[str, list[tuple[float, float, float]]]) -> None:
    """Grouped bars: series label -> per-name (value, low, high), drawn with asymmetric error bars."""
    width = 0.8 / max(1, len(series))
    for j, (label, vals) in enumerate(series.items()):
        xs = [i + j * width for i in range(len(names))]
        v = [x[0] for x in vals]
        err = [[x[0] - x[1] for x in vals], [x[2] - x[0] for x in vals]]
        ax.bar(xs, v, width, yerr=err, capsize=2, label=label)
    ax.set_xticks([i + width * (len(series) - 1) / 2 for i in range(len(names))], names, rotation=30, ha="right")
    ax.legend(fontsize=7)


def accuracy_plot(results: dict, stats: dict, out: Path) -> list[str]:
    import matplotlib.pyplot as plt
    names = [r["name"] for r in results["recipes"]]
    series = {}
    for task in results["tasks"]:
        acc = {r["recipe"]: r["accuracy"] for r in stats["tasks"][task]}
        series[TASK_SHORT.get(task, task)] = [(100 * acc[n]["mean"], 100 * acc[n]["low"], 100 * acc[n]["high"])
                                             if n in acc else (0, 0, 0) for n in names]
    fig, ax = plt.subplots(figsize=(1.8 + 0.9 * len(names) * max(1, len(series)) / 2, 3.2))
    _grouped(ax, names, series)
    ax.set_ylabel("accuracy % (95% CI)")
    return [_save(fig, out / "accuracy.png")]


def difference_plot(results: dict, stats: dict, out: Path) -> list[str]:
    import matplotlib.pyplot as plt
    names = [r["name"] for r in results["recipes"] if r["name"] != "sft"]
    if not names or not stats["baselines"]["sft"]:
        return []
    series = {}
    for task in results["tasks"]:
        d = {r["recipe"]: r.get("vs_sft") for r in stats["tasks"][task]}
        series[TASK_SHORT.get(task, task)] = [(100 * d[n]["diff"], 100 * d[n]["low"], 100 * d[n]["high"])
                                             if d.get(n) else (0, 0, 0) for n in names]
    fig, ax = plt.subplots(figsize=(1.8 + 0.9 * len(names) * max(1, len(series)) / 2, 3.2))
    _grouped(ax, names, series)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_ylabel("Δ accuracy vs sft, points (95% paired CI)")
    return [_save(fig, out / "paired_differences.png")]


def profile_plot(results: dict, stats: dict, out: Path) -> list[str]:
    import matplotlib.pyplot as plt
    tasks = [t for t in results["tasks"] if stats["profiles"].get(t)]
    if not tasks:
        return []
    fig, axes = plt.subplots(1, len(tasks), figsize=(3.4 * len(tasks), 3.2), squeeze=False)
    for ax, task in zip(axes[0], tasks):
        prof = stats["profiles"][task]
        names = list(prof)
        bottom = [0.0] * len(names)
        for key, label in STACK:
            vals = [100 * (prof[n]["near_miss"] if key == "near_miss" else prof[n]["nonzero"][key]) for n in names]
            ax.bar(names, vals, bottom=bottom, label=label)
            bottom = [b + v for b, v in zip(bottom, vals)]
        ax.set_title(TASK_SHORT.get(task, task), fontsize=9)
        ax.tick_params(axis="x", rotation=45, labelsize=7)
    axes[0][0].set_ylabel("% of greedy solutions (stacked)")
    axes[0][0].legend(fontsize=6)
    return [_save(fig, out / "error_profile.png")]


def training_plots(results: dict, out: Path) -> list[str]:
    import matplotlib.pyplot as plt
    made = []
    first = {r["name"]: next((x for x in r["runs"] if x["seed"] == results["primary_seed"]), r["runs"][0])
             for r in results["recipes"]}
    dpo = [r for r in results["recipes"] if r["trainer"] == "dpo"]
    if dpo:
        fig, axes = plt.subplots(1, len(CURVE_KEYS), figsize=(3.2 * len(CURVE_KEYS), 2.8))
        for ax, key in zip(axes, CURVE_KEYS):
            for r in dpo:
                pts = [(h["step"], h[key]) for h in first[r["name"]]["train"]["log_history"] if key in h]
                if pts:
                    ax.plot(*zip(*pts), label=r["name"])
            ax.set_title(key, fontsize=9)
            ax.set_xlabel("step")
        if axes[0].get_legend_handles_labels()[0]:
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
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
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


def all_plots(results: dict, stats: dict, out: Path) -> list[str]:
    import matplotlib
    matplotlib.use("Agg")
    return (accuracy_plot(results, stats, out) + difference_plot(results, stats, out)
            + profile_plot(results, stats, out) + training_plots(results, out))
