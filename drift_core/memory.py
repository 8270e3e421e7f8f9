"""Peak resident memory (RSS) of this process, and of one stretch of work in it: a cost every compare arm
reports in the same unit (docs/design.md §10, "Cost").

Linux keeps getrusage's ru_maxrss across fork and exec, so a child started by a big parent reports at least
the parent's size; VmHWM in /proc/self/status is the high-water mark of this process's own memory since its
exec, and writing 5 to /proc/self/clear_refs resets it to the current RSS, so a stage's peak is its own
(with what the process already held). Elsewhere: ru_maxrss (KiB on Linux, bytes on macOS), never reset.
"""

from __future__ import annotations

import resource
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def peak_rss_bytes() -> int:
    """The process's peak RSS since its start or the last `reset_peak_rss()`."""
    if _STATUS.exists():
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # "VmHWM:   123456 kB"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


def reset_peak_rss() -> bool:
    """Reset the high-water mark to the current RSS (Linux >= 4.0); False where that is not possible."""
    try:
        _CLEAR_REFS.write_text("5")
    except OSError:
        return False
    return True


@dataclass
class Peak:
    bytes: int = 0
    reset: bool = False  # False: the process's peak since its start (an upper bound of the stretch's)


@contextmanager
def peak_rss() -> Iterator[Peak]:
    """`with peak_rss() as p: work()` -> p.bytes = the peak RSS while `work` ran (stages run one at a time)."""
    p = Peak(reset=reset_peak_rss())
    try:
        yield p
    finally:
        p.bytes = peak_rss_bytes()
