"""`drift run`'s terminal view: a live status line of the flow's stages above a bar for the long one.

    prompts ✓ · eval-prompts ✓ · rollout ▶ 40% · weights · train · evaluate-reference · ...   0:00:31
    rollout r-1a2b3c4d5e6f ━━━━━━━━━━━━╸━━━━━━━━━━━━━━━━━━━  48/120 traj · 15.2 traj/s · 680 tok/s · 0:00:04

It is the display drift_core.progress draws to: bars from the rollout, training, evaluation and the
tiny world's build; stage states from tasks/stage.run_stage (✓ completed, ↺ cached, ▶ running,
✗ failed, no mark: still to come). While it is up, log lines (Prefect's console handler, other
console handlers, warnings, prints) scroll above it instead of tearing it. `drift run` shows it on a
terminal only; elsewhere (CI, pipes, `drift serve` workers) the INFO logs tell the same story.
"""

from __future__ import annotations

import logging
import os
import sys
import time

from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.text import Text

MARKS = {"Running": "▶", "Completed": "✓", "Cached": "↺", "Failed": "✗", "Crashed": "✗", "Cancelled": "✗"}
STYLES = {"Running": "bold yellow", "Completed": "green", "Cached": "cyan", "Failed": "bold red",
          "Crashed": "bold red", "Cancelled": "bold red"}
MLFLOW_BAR = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"  # mlflow's switch for its artifact transfer bars


def status_line(states: dict[str, str], done: dict[str, float] | None = None) -> Text:
    """'prompts ✓ · rollout ▶ 40% · weights': every stage with its state's mark, in order; `done`: the
    share finished of running stages that show a bar. Stages still to come are dim."""
    done = done or {}
    line = Text()
    for i, (name, state) in enumerate(states.items()):
        if i:
            line.append(" · ", style="dim")
        share = f" {done[name]:.0%}" if state == "Running" and name in done else ""
        mark = f" {MARKS[state]}" if state in MARKS else ""
        line.append(f"{name}{mark}{share}", style=STYLES.get(state, "dim"))
    return line


def rates(done: int, unit: str, tokens: int, seconds: float, shown: dict[str, float]) -> str:
    """'15.2 traj/s · 680 tok/s · loss 0.520': mean rates since the bar opened, then the shown figures."""
    seconds = max(seconds, 1e-9)
    parts = [f"{done / seconds:,.1f} {unit}/s"]
    if tokens:
        parts.append(f"{tokens / seconds:,.0f} tok/s")
    parts += [f"{k} {v:.3f}" for k, v in shown.items()]
    return " · ".join(parts)


class RunView:
    """The drift_core.progress display of `drift run` (use it as a context manager around the flow)."""

    def __init__(self, stages: list[str], console: Console):
        self.console = console
        self.states = dict.fromkeys(stages, "Pending")
        self.done: dict[str, float] = {}  # running stage -> share of its open bar finished
        self.running: str | None = None
        self.t0 = time.monotonic()
        self.bars = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[unit]}"),
            TextColumn("· {task.fields[rates]}"), TimeRemainingColumn(), console=console,
        )
        self.live = Live(self, console=console, refresh_per_second=4, redirect_stdout=True, redirect_stderr=True)
        self._streams: list[tuple[logging.StreamHandler, object]] = []
        self._mlflow_bar = False  # whether the view set MLFLOW_BAR (and unsets it when it closes)

    def __rich__(self):
        elapsed = time.strftime("%H:%M:%S", time.gmtime(time.monotonic() - self.t0))
        status = status_line(self.states, self.done).append(f"   {elapsed}", style="dim")
        return Group(status, self.bars) if self.bars.tasks else status

    # -- drift_core.progress.Display --
    def bar(self, total: int, desc: str, unit: str) -> _Bar:
        _quiet_transformers_bars(True)
        return _Bar(self, total, desc, unit)

    def stage(self, name: str, state: str) -> None:
        _quiet_transformers_bars(True)
        if name not in self.states:  # a stage the plan did not name (evaluate-champion): before the pending ones
            names = list(self.states)
            at = next((i for i, n in enumerate(names) if self.states[n] == "Pending"), len(names))
            names.insert(at, name)
            self.states = {n: self.states.get(n, "Pending") for n in names}
        self.states[name] = state
        self.running = name if state == "Running" else None
        self.done.pop(name, None)

    # -- the terminal --
    def __enter__(self) -> RunView:
        out, err = (sys.stdout, sys.__stdout__), (sys.stderr, sys.__stderr__)
        self.live.start()  # from here on sys.stdout / sys.stderr are proxies that write above the view
        for handler in _handlers():
            stream = getattr(handler, "stream", None)
            if isinstance(handler, logging.StreamHandler) and any(stream is s for s in out + err):
                proxy = sys.stdout if any(stream is s for s in out) else sys.stderr
                self._streams.append((handler, stream))
                handler.setStream(proxy)
                if isinstance(getattr(handler, "console", None), Console):  # Prefect's console handler
                    handler.console.file = proxy
        _quiet_transformers_bars(True)
        # mlflow's per-file bar ('Downloading artifacts' when it copies the model into the registered one)
        # would do the same; unless the user chose, it is off while the view is up.
        self._mlflow_bar = MLFLOW_BAR not in os.environ
        os.environ.setdefault(MLFLOW_BAR, "false")
        return self

    def __exit__(self, *exc) -> None:
        for handler, stream in reversed(self._streams):
            handler.setStream(stream)
            if isinstance(getattr(handler, "console", None), Console):
                handler.console.file = stream
        self._streams.clear()
        _quiet_transformers_bars(False)
        if self._mlflow_bar:
            os.environ.pop(MLFLOW_BAR, None)
        self.live.stop()


class _Bar:
    """One drift_core.progress bar as a task of the view's Progress."""

    def __init__(self, view: RunView, total: int, desc: str, unit: str):
        self.view, self.desc, self.unit = view, desc, unit
        self.stage = view.running
        self.n = self.tokens = 0
        self.shown: dict[str, float] = {}
        self.t0 = time.perf_counter()
        self.total = total
        self.id = view.bars.add_task(desc, total=total, unit=unit, rates=rates(0, unit, 0, 1.0, {}))

    def update(self, n: int = 0, *, tokens: int = 0, **shown: float) -> None:
        self.n += n
        self.tokens += tokens
        self.shown |= shown
        text = rates(self.n, self.unit, self.tokens, time.perf_counter() - self.t0, self.shown)
        self.view.bars.update(self.id, advance=n, rates=text)
        if self.stage is not None and self.stage == self.view.running and self.total:
            self.view.done[self.stage] = min(self.n / self.total, 1.0)

    def close(self) -> None:
        seconds = time.perf_counter() - self.t0
        self.view.bars.remove_task(self.id)
        self.view.console.print(  # what the bar ended at, above the view
            f"{self.desc}: {self.n} {self.unit} in {seconds:.1f} s · "
            f"{rates(self.n, self.unit, self.tokens, seconds, self.shown)}", style="dim", highlight=False, markup=False,
        )


def _handlers() -> list[logging.Handler]:
    """Every handler of every logger, once each."""
    loggers = [logging.getLogger(), *(lg for lg in logging.Logger.manager.loggerDict.values()
                                      if isinstance(lg, logging.Logger))]
    seen: dict[int, logging.Handler] = {}
    for lg in loggers:
        for h in lg.handlers:
            seen.setdefault(id(h), h)
    return list(seen.values())


def _quiet_transformers_bars(quiet: bool) -> None:
    """transformers' own bars ('Loading weights', 'Writing model shards': per tensor, instant on small models)
    would print a line above the view for every model load; the stage's bar says more, so while the view is up
    they get tqdm's `disable`. Set once transformers is imported (importing it here would slow a cached rerun
    that never loads a model); a load before the first bar or stage event after that import still shows."""
    hf = sys.modules.get("transformers.utils.logging")
    if hf is not None and hasattr(hf, "set_tqdm_hook"):  # transformers >= 5
        hf.set_tqdm_hook(_disabled if quiet else None)


def _disabled(factory, args, kwargs):
    return factory(*args, **{**kwargs, "disable": True})
