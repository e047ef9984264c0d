"""The report's plots from the committed reference run (reports/tiny, read only): a forest plot of paired
differences per task, accuracy as point and interval, the error profile as a heatmap of overlapping shares, every
label at a legible size and every image a size a page can hold."""
import json
from pathlib import Path

import pytest

from harness.reporting import plots

REF = Path(__file__).resolve().parent.parent / "reports" / "tiny"


@pytest.fixture(scope="module")
def saved():
    if not (REF / "report" / "stats.json").is_file():
        pytest.skip("reports/tiny has no stats.json")
    return json.loads((REF / "results.json").read_text()), json.loads((REF / "report" / "stats.json").read_text())


@pytest.fixture
def figures(monkeypatch):
    """Keep each figure's axes and pixel size as it is saved."""
    import matplotlib
    matplotlib.use("Agg")
    seen = {}
    real = plots._save

    def spy(fig, path):
        fig.canvas.draw()
        seen[Path(path).name] = {"axes": [ax for ax in fig.axes if ax.get_visible()],
                                 "pixels": tuple(int(x * plots.DPI) for x in fig.get_size_inches()),
                                 "suptitle": fig._suptitle.get_text() if fig._suptitle else ""}
        return real(fig, path)
    monkeypatch.setattr(plots, "_save", spy)
    return seen


def _labels(ax) -> list[str]:
    """The recipe names on the y-axis (panels right of the first share them without drawing them again)."""
    return [t.label1.get_text() for t in ax.yaxis.get_major_ticks()]


def _legible(fig_info):
    for ax in fig_info["axes"]:
        for t in [*ax.get_xticklabels(), *ax.get_yticklabels(), ax.title, ax.xaxis.label]:
            if t.get_text():
                assert t.get_fontsize() >= 8, t.get_text()
    w, h = fig_info["pixels"]
    assert 600 <= w <= 2400 and h <= 2400, fig_info["pixels"]


def test_forest_plot(saved, figures, tmp_path):
    results, stats = saved
    assert plots.difference_plot(results, stats, tmp_path) == [str(tmp_path / "paired_differences.png")]
    info = figures["paired_differences.png"]
    names = [r["name"] for r in results["recipes"] if r["name"] != "sft"]
    assert len(info["axes"]) == len(results["tasks"])  # one panel per task
    for ax, task in zip(info["axes"], results["tasks"]):
        assert _labels(ax) == names  # recipes down the y-axis, in the results' order
        assert f"n = {stats['tasks'][task][1]['vs_sft']['n_problems']}" in ax.get_title()
        assert any(list(line.get_xdata()) == [0, 0] for line in ax.get_lines())  # the zero line
        assert len(ax.collections) == len(names)  # one interval per recipe
    assert "sign-test" in info["suptitle"] and "bootstrap" in info["suptitle"]
    _legible(info)


def test_forest_plot_leaves_out_tasks_scored_for_sft_alone(figures, tmp_path):
    """The planted demo runs GSM8K/MATH-500 for SFT only (eval.real_benchmarks_for: sft): no recipe has a paired
    difference there, so the forest plot has no panel for them (not an empty one titled `n = None`)."""
    ref = REF.parent / "tiny-planted"
    results, stats = (json.loads(p.read_text()) for p in (ref / "results.json", ref / "report" / "stats.json"))
    assert {"hardneg_gsm8k_cot", "hardneg_math500"} <= set(results["tasks"])
    plots.difference_plot(results, stats, tmp_path)
    titles = [ax.get_title() for ax in figures["paired_differences.png"]["axes"]]
    assert len(titles) == 2 and titles[0].startswith("synth (n = 1000") and titles[1].startswith("near-miss (n = ")
    assert not any("None" in t for t in titles)
    plots.accuracy_plot(results, stats, tmp_path)   # the same two tasks drawn; the SFT-only ones named in the title
    info = figures["accuracy.png"]
    assert [ax.get_title().split(" (")[0] for ax in info["axes"]] == ["synth", "near-miss"]
    assert "gsm8k (sft only)" in info["suptitle"] and "math500 (sft only)" in info["suptitle"]
    plots.profile_plot(results, stats, tmp_path)
    info = figures["error_profile.png"]
    assert [ax.get_title().split(" (")[0] for ax in info["axes"]] == ["synth", "near-miss"]
    assert "gsm8k (sft only)" in info["suptitle"]


def test_accuracy_plot(saved, figures, tmp_path):
    results, stats = saved
    plots.accuracy_plot(results, stats, tmp_path)
    info = figures["accuracy.png"]
    names = [r["name"] for r in results["recipes"]]
    synth = info["axes"][results["tasks"].index("hardneg_synth")]
    assert _labels(synth) == names
    lo, hi = synth.get_xlim()
    acc = {r["recipe"]: r["accuracy"] for r in stats["tasks"]["hardneg_synth"]}
    assert lo <= 100 * min(a["low"] for a in acc.values()) and hi >= 100 * max(a["high"] for a in acc.values())
    assert hi - lo < 30  # its own scale: not squashed by the 50-problem benchmarks' intervals
    _legible(info)


def test_error_profile_is_not_stacked(saved, figures, tmp_path):
    results, stats = saved
    plots.profile_plot(results, stats, tmp_path)
    info = figures["error_profile.png"]
    for ax in info["axes"]:
        assert not ax.patches  # no bars at all, so nothing stacks past 100%
        grid = ax.get_images()[0].get_array()
        assert grid.max() <= 100 and grid.shape[0] == len(_labels(ax))
        assert "near miss" in [t.get_text() for t in ax.get_xticklabels()]
    assert "overlap" in info["suptitle"]
    _legible(info)


def test_training_curves_give_every_recipe_its_own_line(saved, figures, tmp_path):
    """dpo_curves.png draws one line per DPO recipe (14 in the reference run): no two share colour and dash, so the
    legend names each line (with tab10's colours alone the 11th recipe's line was the 1st's)."""
    results, _ = saved
    plots.training_plots(results, tmp_path)
    info = figures["dpo_curves.png"]
    n_dpo = sum(r["trainer"] == "dpo" for r in results["recipes"])
    assert n_dpo > 10
    counts = []
    for ax in info["axes"]:  # rft logs no rejected side: its panels hold one line fewer
        lines = [ln for ln in ax.get_lines() if not ln.get_label().startswith("_")]
        assert len({(ln.get_color(), ln.get_linestyle()) for ln in lines}) == len(lines)
        counts.append(len(lines))
    assert max(counts) == n_dpo
    _legible(info)
