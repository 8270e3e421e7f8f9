"""Progress of long loops (rollout, evaluation, training, the tiny world's build), drawn by whoever asks.

The library reports here and draws nothing itself but the default: a tqdm bar on stderr, as the single
stage commands (`drift rollout`, `drift eval`, ...) show it. A caller can install a display instead
(`drift run` installs its terminal view, cli/progress.py): then every bar, and every stage the flow runs,
goes to it. Generic on purpose: no prefect, no rich (docs/design.md §4.1).

    with progress.display(my_display):    # my_display.bar(total, desc, unit) -> Bar; .stage(name, state)
        ...                               # bars opened in here go to my_display

The display is process-wide, not a context variable: Prefect may run a task in a worker thread.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Bar(Protocol):
    def update(self, n: int = 0, *, tokens: int = 0, **shown: float) -> None:
        """`n` more items done, `tokens` more tokens generated or trained on; `shown`: figures to show
        as they are now (e.g. loss=0.52)."""

    def close(self) -> None: ...


class Display(Protocol):
    def bar(self, total: int, desc: str, unit: str) -> Bar: ...

    def stage(self, name: str, state: str) -> None:
        """A flow's stage changed state: 'Running', then Prefect's final state name ('Completed', 'Cached',
        'Failed')."""


_display: Display | None = None


def active() -> bool:
    """Whether a display is installed: what the pipeline's tasks pass as `progress` (no bars otherwise)."""
    return _display is not None


@contextmanager
def display(d: Display) -> Iterator[Display]:
    global _display
    outer, _display = _display, d
    try:
        yield d
    finally:
        _display = outer


def bar(total: int, desc: str, unit: str = "it", *, enabled: bool = True) -> Bar:
    """A bar over `total` items: the installed display's, else tqdm's; nothing when not enabled."""
    if not enabled:
        return _Silent()
    if _display is not None:
        return _display.bar(total, desc, unit)
    return TqdmBar(total, desc, unit)


def stage(name: str, state: str) -> None:
    """Tell the installed display (if any) that stage `name` is now in `state`."""
    if _display is not None:
        _display.stage(name, state)


class TqdmBar:
    """The default display: a tqdm bar (items/s and ETA), with tokens and tokens/s in its postfix."""

    def __init__(self, total: int, desc: str, unit: str):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, desc=desc, unit=unit, dynamic_ncols=True)
        self.tokens = 0
        self.shown: dict[str, str] = {}
        self.t0 = time.perf_counter()

    def update(self, n: int = 0, *, tokens: int = 0, **shown: float) -> None:
        self.tokens += tokens
        self.shown |= {k: f"{v:.3f}" for k, v in shown.items()}
        postfix = dict(self.shown)
        if self.tokens:
            rate = self.tokens / max(time.perf_counter() - self.t0, 1e-9)
            postfix |= {"tok": self.tokens, "tok_s": f"{rate:,.0f}"}
        if postfix:
            self.bar.set_postfix(postfix, refresh=False)
        self.bar.update(n)

    def close(self) -> None:
        self.bar.close()


class _Silent:
    def update(self, n: int = 0, *, tokens: int = 0, **shown: float) -> None:
        pass

    def close(self) -> None:
        pass
