"""Problem sources, normalized to one schema: {id, question, solution, answer, source}.

Real data loads from the Hugging Face hub by default, or from a local copy when one is set (a config path, or
HARDNEG_DATA_DIR, which `load_config` turns into those paths):
    load_gsm8k("test")                             load_gsm8k("test", "data/gsm8k")   # hub: openai/gsm8k
    load_math500()                                 load_math500("data/math/math500_test.jsonl")  # hub: MATH-500
    load_metamathqa("MetaMathQA-395K.json")        # hub: meta-math/MetaMathQA
A missing file or an unreachable hub raises DataError with one line saying which option to set. Whether a config's
benchmarks can load at all is decided before any stage runs: harness/data/benchmarks.py.
"""
from __future__ import annotations

from pathlib import Path

from harness.config import DATA_DIR_ENV, DataConfig
from harness.runtime.io import DataError, read_jsonl, write_jsonl  # noqa: F401  (re-exported)


_OR_DATA_DIR = f" (or {DATA_DIR_ENV} to a folder laid out like gsm8k/, math/, metamathqa/)"


def _hub(name: str, option: str, *args, **kwargs):
    try:
        from datasets import load_dataset
        return load_dataset(name, *args, **kwargs)
    except Exception as e:  # offline, missing dataset, auth: all end the same way for the user
        raise DataError(f"cannot load '{name}' from the Hugging Face hub ({type(e).__name__}); "
                        f"set {option} to a local copy{_OR_DATA_DIR}") from None


def _gsm8k_answer(solution: str) -> str:
    return solution.split("####")[-1].strip().replace(",", "")


def load_gsm8k(split: str = "test", path: str | None = None, option: str = "eval.gsm8k_path") -> list[dict]:
    """GSM8K 'main' split from a local folder holding {split}.jsonl, a jsonl file, or the hub."""
    if path:
        p = Path(path)
        f = p / f"{split}.jsonl" if p.is_dir() else p
        if not f.is_file():
            raise DataError(f"GSM8K file '{f}' not found; set {option} to a folder with {split}.jsonl")
        rows = read_jsonl(f)
    else:
        rows = list(_hub("openai/gsm8k", option, "main", split=split))
    return [{"id": f"gsm8k-{split}-{i}", "question": r["question"], "solution": r["answer"],
             "answer": _gsm8k_answer(r["answer"]), "source": "gsm8k"} for i, r in enumerate(rows)]


def load_math500(path: str | None = None, option: str = "eval.math500_path") -> list[dict]:
    """MATH-500 (PRM800K test subset) from a local jsonl or the hub's HuggingFaceH4/MATH-500."""
    if path:
        if not Path(path).is_file():
            raise DataError(f"MATH-500 file '{path}' not found; set {option} to math500_test.jsonl")
        rows = read_jsonl(path)
    else:
        rows = list(_hub("HuggingFaceH4/MATH-500", option, split="test"))
    return [{"id": r.get("unique_id", f"math500-{i}"), "question": r["problem"], "solution": r["solution"],
             "answer": r["answer"], "source": "math500", "level": r.get("level"), "subject": r.get("subject")}
            for i, r in enumerate(rows)]


def load_metamathqa(path: str | None = None, option: str = "data.path") -> list[dict]:
    """MetaMathQA (query/response with 'The answer is: X') from a local json/jsonl or the hub."""
    if path:
        rows = read_jsonl(path) if Path(path).is_file() else None
        if rows is None:
            raise DataError(f"MetaMathQA file '{path}' not found; set {option} to MetaMathQA-395K.json")
    else:
        rows = list(_hub("meta-math/MetaMathQA", option, split="train"))
    from verifier import extract_answer
    return [{"id": f"metamathqa-{i}", "question": r["query"], "solution": r["response"],
             "answer": extract_answer(r["response"]) or "", "source": f"metamathqa:{r.get('type', '')}"}
            for i, r in enumerate(rows)]


def build_splits(cfg: DataConfig, seed: int) -> dict[str, list[dict]]:
    """Train/validation/test problems for the experiment; test never overlaps train."""
    if cfg.source == "synthetic":
        from harness.data.synthetic import Difficulty, generate_splits
        d = Difficulty(cfg.min_steps, cfg.max_steps, cfg.max_operand, cfg.max_value, cfg.backward_rate)
        world = None
        if cfg.planted_rate > 0:
            from harness.data.planted import PlantedWorld
            world = PlantedWorld(cfg.planted_rate, tuple(cfg.planted_kinds))
        return generate_splits(cfg.n_train, cfg.n_val, cfg.n_test, seed, d, world)
    rows = load_metamathqa(cfg.path) if cfg.source == "metamathqa" else load_gsm8k("train", cfg.path, "data.path")
    import random
    rng = random.Random(seed)
    rng.shuffle(rows)
    # real sources: train/validation come from the training file; the test split is the benchmark's own
    n_val = min(cfg.n_val, len(rows) // 10)
    return {"train": rows[n_val:n_val + cfg.n_train], "validation": rows[:n_val], "test": []}


def sft_rows(problems: list[dict], template: str) -> list[dict]:
    """TRL prompt/completion rows (loss on the completion only). A planted-world training problem trains on its
    `sft_solution` (the flawed text) where it has one; its `solution` stays the correct reference."""
    return [{"prompt": template.format(question=p["question"]), "completion": " " + p.get("sft_solution", p["solution"])}
            for p in problems]
