"""Each pipeline stage's wall time and which path ran it (the stage, or a fallback described)."""

from __future__ import annotations

import time

from benchmarks.gpu_check.device import sync
from benchmarks.gpu_check.log import log


def timed(stages: dict, name: str, path: str, fn):
    """Run fn(), record its wall time and which path ran ('stage' or a fallback description)."""
    sync()
    t0 = time.perf_counter()
    out = fn()
    sync()
    stages[name] = {"path": path, "seconds": time.perf_counter() - t0}
    log(f"pipeline: {name} ({path}) {stages[name]['seconds']:.1f} s")
    return out
