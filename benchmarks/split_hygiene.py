"""Split hygiene: how many test/validation problems share their equation chain with a training problem,
under the generator before the fix (41b8ac1: splits keyed by family|v0|steps|backward) and now (keyed by the chain).

    python benchmarks/split_hygiene.py       # the tiny-study config's sizes: 20,000 / 500 / 1,000, seed 0
"""
from __future__ import annotations

import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BEFORE = "41b8ac1"


def _old_generator():
    src = subprocess.run(["git", "show", f"{BEFORE}:harness/data/synthetic.py"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    path = Path(tempfile.mkdtemp()) / "synthetic_before.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location("synthetic_before", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["synthetic_before"] = mod
    spec.loader.exec_module(mod)
    return mod


def main() -> None:
    from harness.data import synthetic
    from tests.test_split_hygiene import _chain_of
    for name, mod in (("before", _old_generator()), ("after", synthetic)):
        s = mod.generate_splits(20000, 500, 1000, 0, mod.Difficulty(max_operand=6, max_value=30, backward_rate=0.25))
        for directed in (False, True):
            key = (lambda p: (_chain_of(p), p["backward"])) if directed else _chain_of
            train = {key(p) for p in s["train"]}
            print(f"{name:6s} chain{' + direction' if directed else '            '}: test sharing a training chain "
                  f"{sum(key(p) in train for p in s['test'])} of {len(s['test'])}, validation "
                  f"{sum(key(p) in train for p in s['validation'])} of {len(s['validation'])}")


if __name__ == "__main__":
    main()
