import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRL_TELEMETRY", "0")

ROOT = Path(__file__).resolve().parent.parent
# Local data (GSM8K, MATH-500, ...): HARDNEG_DATA_DIR as the Makefile and .ci/run set it, else ../shared/data where
# this machine has it; made absolute, so subprocesses started from another directory (the wheel test) read it too
if os.environ.get("HARDNEG_DATA_DIR"):
    os.environ["HARDNEG_DATA_DIR"] = os.path.abspath(os.environ["HARDNEG_DATA_DIR"])
elif (ROOT.parent / "shared" / "data").is_dir():
    os.environ["HARDNEG_DATA_DIR"] = str(ROOT.parent / "shared" / "data")
SHARED = Path(os.environ.get("HARDNEG_DATA_DIR") or ROOT.parent / "shared" / "data")


def shared(*parts) -> Path:
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"local data {p} not present on this machine (set HARDNEG_DATA_DIR)")
    return p


@pytest.fixture(scope="session")
def gsm8k_dir() -> Path:
    return shared("gsm8k")


@pytest.fixture(scope="session")
def micro_model(tmp_path_factory) -> Path:
    """A real, randomly initialized Qwen2 (2 layers, 64 wide) with a locally trained tokenizer."""
    from harness.data.synthetic import Difficulty, generate_splits
    from harness.models.tiny import build_model, train_tokenizer
    out = tmp_path_factory.mktemp("micro_model")
    rows = generate_splits(300, 10, 10, 0, Difficulty())["train"]
    tok = train_tokenizer([f"Question: {r['question']}\nAnswer: {r['solution']}" for r in rows], 400, out)
    model = build_model(tok, 64, 2, 4, 2, 128, 512, seed=0)
    model.save_pretrained(out)
    return out
