"""Rich progress bars shared by the stages (HF's tqdm bars are turned off)."""
from __future__ import annotations

import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from transformers import TrainerCallback

console = Console(stderr=True)  # progress and logs
stdout = Console()  # tables and results, so they can be piped


def make_progress() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[info]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                    console=console, transient=False)


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
