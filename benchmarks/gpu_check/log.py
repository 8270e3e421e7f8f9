"""Progress lines stamped with the seconds since the check started (T0 also bounds its --budget)."""

from __future__ import annotations

import time

T0 = time.perf_counter()


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - T0:6.1f}s] {msg}", flush=True)
