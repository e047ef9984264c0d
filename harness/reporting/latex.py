"""LaTeX tables for a paper: booktabs, one row per recipe, best value per column in bold, 95% intervals and a
significance marker (Holm-corrected problem-level sign test p < 0.05; exact McNemar with one seed), rendered through pandas' `Styler.to_latex`.

Needs `\\usepackage{booktabs}` in the document.
"""
from __future__ import annotations

import pandas as pd

from harness.reporting.markdown import ALPHA, TASK_SHORT


def _acc(a: dict) -> str:
    return f"{100 * a['mean']:.1f} {{\\scriptsize [{100 * a['low']:.1f}, {100 * a['high']:.1f}]}}"


def _diff(c: dict | None) -> str:
    if not c:
        return "--"
    mark = "$^{\\dagger}$" if c.get("p_holm", c["p"]) < ALPHA else ""
    return f"{100 * c['diff']:+.1f}{mark} {{\\scriptsize [{100 * c['low']:+.1f}, {100 * c['high']:+.1f}]}}"


def task_table(task: str, rows: list[dict], control: str | None, label_prefix: str = "tab:hardneg") -> str:
    """One booktabs table for one task; columns: accuracy, Δ vs SFT, Δ vs control (each with its 95% CI)."""
    cols = {"Accuracy (\\%)": [], "$\\Delta$ SFT": []}
    num = {"Accuracy (\\%)": [], "$\\Delta$ SFT": []}
    if control:
        cols[f"$\\Delta$ {control}"] = []
        num[f"$\\Delta$ {control}"] = []
    for r in rows:
        cols["Accuracy (\\%)"].append(_acc(r["accuracy"]))
        num["Accuracy (\\%)"].append(r["accuracy"]["mean"])
        for key, col in (("vs_sft", "$\\Delta$ SFT"), ("vs_control", f"$\\Delta$ {control}")):
            if col in cols:
                c = r.get(key)
                cols[col].append(_diff(c))
                num[col].append(c["diff"] if c else float("nan"))
    index = [r["recipe"].replace("_", "\\_") for r in rows]
    df, values = pd.DataFrame(cols, index=index), pd.DataFrame(num, index=index)

    def bold_best(col: pd.Series) -> list[str]:
        v = values[col.name]
        best = v.max()
        return ["textbf:--rwrap;" if pd.notna(x) and x == best else "" for x in v]

    styler = df.style.apply(bold_best, axis=0)
    n = rows[0]["accuracy"]["n"]
    c = next((r.get("vs_sft") for r in rows if r.get("vs_sft")), None)
    test = c["test"] if c else "exact sign test over problems"
    units = (f" ({c['n_units']} problem-seed units, averaged within each problem)" if c and c["n_units"] > n else "")
    caption = (f"{TASK_SHORT.get(task, task)}: greedy accuracy over {n} problems{units} with 95\\% bootstrap intervals "
               f"over problems; $\\Delta$ = paired difference in points (95\\% paired bootstrap over problems); "
               f"$^{{\\dagger}}$ {test} p < {ALPHA} after Holm correction. Best per column in bold.")
    return styler.to_latex(hrules=True, caption=caption, label=f"{label_prefix}-{TASK_SHORT.get(task, task)}",
                           position="t", position_float="centering", column_format="l" + "r" * len(cols))


def cost_table(results: dict, label: str = "tab:hardneg-cost") -> str:
    """Training compute from SFT's end per recipe (harness/reporting/costs.py): TFLOPs, seconds, tokens generated and
    trained, verifier calls; '' for results without costs."""
    from harness.reporting.costs import has_cost, tflops
    if not has_cost(results):
        return ""
    rows = {r["name"].replace("_", "\\_"): r["cost"]["training"] for r in results["recipes"] if r.get("cost")}
    df = pd.DataFrame({"TFLOPs": [tflops(c["flops"]) for c in rows.values()],
                       "Seconds": ["--" if c["seconds"] is None else f"{c['seconds']:.0f}" for c in rows.values()],
                       "Generated tok.": [f"{c['generated_tokens']:,.0f}" for c in rows.values()],
                       "Trained tok.": [f"{c['trained_tokens']:,.0f}" for c in rows.values()],
                       "Verifier calls": [f"{c['verifier_calls']:,.0f}" for c in rows.values()]}, index=list(rows))
    caption = ("Training compute from the end of SFT: analytic FLOPs (2N per forward token, 6N per trained token, N "
               "non-embedding parameters, plus attention) and wall seconds; a stage shared by several recipes (a pool, "
               "a pair set) counts fully in each. Evaluation is not included.")
    return df.style.to_latex(hrules=True, caption=caption, label=label, position="t", position_float="centering",
                             column_format="l" + "r" * len(df.columns))


def latex(results: dict, stats: dict) -> str:
    control = stats["baselines"]["control"]
    parts = [f"% hardneg: {results['experiment']} · seeds {results['seeds']} · git {results['manifest']['git_revision']}"]
    parts += [task_table(task, stats["tasks"][task], control) for task in results["tasks"] if stats["tasks"][task]]
    cost = cost_table(results)  # results recorded before costs: no table, the file as before
    return "\n".join(parts + ([cost] if cost else []))
