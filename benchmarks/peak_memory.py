"""Peak resident memory of this process, for the benchmarks' child processes: drift_core.memory's (VmHWM,
which unlike getrusage's ru_maxrss is this process's own since its exec)."""

from __future__ import annotations

from drift_core.memory import peak_rss_bytes  # noqa: F401 (re-exported: the benchmarks import it from here)
