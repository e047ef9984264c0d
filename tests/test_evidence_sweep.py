"""The sweep's table runs on the report's statistics (problem-level test, Holm over settings, MDE, movement)."""
import json

import pytest

from harness.reporting.stats import paired_comparison
from harness.reporting.sweep import summarize

N = 100


def _eval_dir(root, name, correct, answers):
    d = root / name
    d.mkdir()
    with open(d / "samples_hardneg_synth.jsonl", "w") as f:
        for i, (ok, a) in enumerate(zip(correct, answers)):
            f.write(json.dumps({"doc_id": i, "id": f"v{i}", "equiv": float(ok), "verdict": {"pred_answer": a}}) + "\n")
    return str(d)


def test_sweep_rows_use_the_report_statistics(tmp_path):
    base = [i % 2 == 0 for i in range(N)]
    good = [b or i % 10 == 1 for i, b in enumerate(base)]   # fixes 10 problems in every seed
    ans = lambda c: ["7" if ok else "8" for ok in c]         # noqa: E731
    runs = []
    for seed in (0, 1):
        for setting, corr in (({"dpo.beta": "0.1"}, base), ({"dpo.beta": "1.0"}, good)):
            sft = _eval_dir(tmp_path, f"sft-{seed}-{setting['dpo.beta']}", base, ans(base))
            rec = _eval_dir(tmp_path, f"hn-{seed}-{setting['dpo.beta']}", corr, ans(corr))
            runs += [{"recipe": "sft", "setting": setting, "seed": seed, "eval_dir": sft, "eval_stage": f"sft{seed}"},
                     {"recipe": "hn_dpo", "setting": setting, "seed": seed, "eval_dir": rec,
                      "eval_stage": f"hn{seed}{setting['dpo.beta']}"}]
    out = summarize({"runs": runs, "seeds": [0, 1], "grid": ["dpo.beta=0.1,1.0"], "n_val": N,
                     "settings": [{"dpo.beta": "0.1"}, {"dpo.beta": "1.0"}], "recipes": ["sft", "hn_dpo"],
                     "run_dir": str(tmp_path)})
    rows = {(r["recipe"], r["setting"]): r for r in out["rows"]}
    same, better = rows[("hn_dpo", "dpo.beta=0.1")], rows[("hn_dpo", "dpo.beta=1.0")]
    assert same["vs_sft"]["mde"] is None and same["p"] == 1.0 and same["movement"]["vs_sft"] == 0.0
    assert (better["vs_sft"]["b10"], better["vs_sft"]["b01"]) == (10, 0) and better["n"] == N
    expected = paired_comparison([float(x) for x in good * 2], [float(x) for x in base * 2],
                                 [f"v{i}" for i in range(N)] * 2)
    assert better["p"] == pytest.approx(expected["p"]) and better["p_holm"] == pytest.approx(min(1.0, 2 * expected["p"]))
    assert better["vs_sft"]["mde"] == pytest.approx(round(expected["mde"], 4))
    assert better["movement"]["vs_sft"] == pytest.approx(0.1) and better["movement"]["floor"] == 0.0
    md = (tmp_path / "sweep" / "sweep.md").read_text()
    assert "Holm" in md and "| 10/0 |" in md and "| – |" in md and "at noise floor" in md
