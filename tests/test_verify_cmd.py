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


def test_verify_missing_file(tmp_path):
    r = _run(str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "o.jsonl"))
    assert r.returncode == 2 and "not found" in r.stderr
    assert not (tmp_path / "o.jsonl").exists() and not (tmp_path / "o.jsonl.tmp").exists()


def test_verify_bad_rows_never_lose_the_good_ones(tmp_path):
    good = {"question": "Tom has 2 apples and gets 3 more. How many?", "solution": "2 + 3 = 5\nThe answer is: 5",
            "reference_answer": "5"}
    src = tmp_path / "in.jsonl"
    with open(src, "wb") as f:
        f.write((json.dumps(good) + "\n").encode())
        f.write(b'{"question": "q \\ud800", "solution": "1 + 1 = 2 \\ud800", "reference_answer": "2"}\n')  # lone surrogate
        f.write(b"not json\n")
        f.write(b'{"question": "q"}\n')
        f.write(b'\xff\xfe{"a": 1}\n')
        f.write(b'{"question": ["x"], "solution": "s"}\n')
        f.write((json.dumps({**good, "reference_answer": "6"}) + "\n").encode())
    out = tmp_path / "out.jsonl"
    r = _run(str(src), "-o", str(out))
    assert r.returncode == 1, r.stderr
    assert not (tmp_path / "out.jsonl.tmp").exists()
    got = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(got) == 7  # one output row per input row, in order
    assert got[0]["verdict"]["correct"] and not got[6]["verdict"]["correct"]
    assert got[1]["question"] == "q \ud800" and got[1]["verdict"]["correct"]  # kept exactly, escaped in the file
    for k, line in [(2, 3), (3, 4), (4, 5), (5, 6)]:
        assert got[k]["verdict"] is None and got[k]["line"] == line and got[k]["error"]
        assert f"in.jsonl:{line}:" in r.stderr
    assert "not valid JSON" in r.stderr and "needs 'question' and 'solution'" in r.stderr and "not UTF-8" in r.stderr
