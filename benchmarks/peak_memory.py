"""Peak resident memory of this process, for the benchmarks' child processes.

Linux keeps getrusage's ru_maxrss across fork and exec, so a child started by a big parent reports
at least the parent's size; VmHWM in /proc/self/status is the high-water mark of this process's own
memory since its exec. Elsewhere fall back to ru_maxrss (KiB on Linux, bytes on macOS).
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path


def peak_rss_bytes() -> int:
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # "VmHWM:   123456 kB"
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024
