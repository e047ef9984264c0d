"""`harness verify IN.jsonl -o OUT.jsonl` on real GSM8K rows, and its bad-input behaviour."""
import json
import subprocess
import sys

from .conftest import ROOT, shared


def _run(*args):
    return subprocess.run([sys.executable, "-m", "harness.cli", "verify", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={**__import__("os").environ, "COLUMNS": "200"})


def test_verify_gsm8k_jsonl(tmp_path):
    rows = [json.loads(x) for x in shared("gsm8k", "test.jsonl").read_text().splitlines()[:300]]
    rows[0]["answer"] = rows[0]["answer"].rsplit("####", 1)[0] + "#### 999999"  # ... so this one is only inconsistent
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "out.jsonl"
    r = _run(str(src), "-o", str(out))
    assert r.returncode == 0, r.stderr
    got = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(got) == 300 and all("verdict" in g for g in got)
    assert got[0]["verdict"]["consistency"] > 0 and got[0]["verdict"]["first_error_step"] is not None
    assert all(g["verdict"]["correct"] for g in got)  # each row is checked against its own '#### N' ...
    assert "accuracy" in r.stdout and "hard negatives" in r.stdout


def test_verify_bad_input(tmp_path):
    r = _run(str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "o.jsonl"))
    assert r.returncode == 2 and "not found" in r.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "q"}\n')
    r = _run(str(bad), "-o", str(tmp_path / "o.jsonl"))
    assert r.returncode == 2 and "needs 'question' and 'solution'" in r.stderr
    assert not (tmp_path / "o.jsonl").exists() and not (tmp_path / "o.jsonl.tmp").exists()
