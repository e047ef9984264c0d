"""A rich progress bar for TRL trainers (a TrainerCallback), on the console of harness/runtime/progress.py."""
from __future__ import annotations

import time

from transformers import TrainerCallback

from harness.runtime.progress import make_progress


class TrainProgress(TrainerCallback):
    """A rich bar for a TRL trainer: step count and the last logged loss."""

    def __init__(self, name: str, total: int):
        self.progress = make_progress()
        self.task = self.progress.add_task(name, total=total, info="")
        self.t0 = time.time()

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc):
        self.progress.stop()

    def on_step_end(self, args, state, control, **kw):
        self.progress.update(self.task, completed=state.global_step)

    def on_log(self, args, state, control, logs=None, **kw):
        if logs and "loss" in logs:
            extra = f" margin {logs['rewards/margins']:.3f}" if "rewards/margins" in logs else ""
            self.progress.update(self.task, info=f"loss {logs['loss']:.4f}{extra}")
