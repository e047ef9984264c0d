"""The libraries' own output: their bars and notes off (ours are rich), unless `harness compare --verbose`.

A module of its own, not progress.py: it imports datasets and transformers, which the torch-free reporting room
(harness/reporting/, pyproject.toml's import contracts) must never reach through progress.py.
"""
from __future__ import annotations

from harness.runtime.progress import verbose


def quiet_libraries() -> None:
    """Our rich bars report progress; the libraries' own per-map and per-shard bars and notes are noise (`harness
    compare --verbose` turns lm-eval's back on). Called by the CLI and by every `--jobs` worker process."""
    import logging
    import os
    import warnings
    # before the libraries import tqdm, which reads TQDM_* once: TRL's and lm-eval's tqdm bars; ours are rich
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TQDM_DISABLE", "1")

    import datasets
    import transformers
    # TRL 1.16 still sets `gradient_checkpointing`, which transformers 5.24 renames; nothing for the user to do
    warnings.filterwarnings("ignore", message=r".*(gradient_checkpointing|is_gradient_checkpointing).*deprecated",
                            category=FutureWarning)
    # per-task notes about --metadata we already pass
    logging.getLogger("lm_eval").setLevel(logging.INFO if verbose() else logging.ERROR)
    datasets.disable_progress_bars()
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
