"""Rich progress bars shared by the stages (HF's tqdm bars are turned off)."""
from __future__ import annotations

import os

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

# a worker process of `harness compare --jobs` (harness/stages/parallel.py) prints plain log lines: several processes
# share one terminal, and their live bars and spinners would overwrite each other
WORKER_ENV = "HARNESS_WORKER"  # harness/stages/parallel.py sets it in the environment its workers start with
_WORKER = os.environ.get(WORKER_ENV) == "1"
console = Console(stderr=True, force_terminal=False if _WORKER else None)  # progress and logs
stdout = Console()  # tables and results, so they can be piped


def make_progress() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[info]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                    console=console, transient=False, disable=_WORKER)


def set_verbose(on: bool) -> None:
    """`harness compare --verbose`: the libraries' own progress bars and notes (lm-eval's) are shown too."""
    os.environ["HARNESS_VERBOSE"] = "1" if on else "0"


def in_worker() -> bool:
    """A worker process of `harness compare --jobs`: its parent prints the stage lines, with where the run stands."""
    return _WORKER


def verbose() -> bool:
    return os.environ.get("HARNESS_VERBOSE") == "1"


def fmt_seconds(s: float | None) -> str:
    """'42s', '6m05s', '1h02m'."""
    if s is None:
        return "–"
    s = int(round(s))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


class RecipeClock:
    """Elapsed time and an ETA for a run of `total` recipes. The first recipe of a run carries the shared stages (SFT,
    slice, pool), so the estimate comes from the recipes after it that did real work (not served from the cache)."""

    def __init__(self, total: int):
        import time
        self.total, self.t0, self.done, self.costs = total, time.time(), 0, []
        self._start = self.t0

    def start(self) -> None:
        import time
        self._start = time.time()

    def finish(self, computed: bool) -> None:
        import time
        if computed and self.done > 0:
            self.costs.append(time.time() - self._start)
        self.done += 1

    def line(self) -> str:
        """'elapsed 6m05s · ETA ~7m20s' (no ETA before one post-SFT recipe has run)."""
        import time
        out = f"elapsed {fmt_seconds(time.time() - self.t0)}"
        left = self.total - self.done
        if left and self.costs:
            out += f" · ETA ~{fmt_seconds(left * sum(self.costs) / len(self.costs))}"
        return out
