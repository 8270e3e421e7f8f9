"""drift_core/memory.py: peak RSS of the process and of one stretch of work in it."""

from __future__ import annotations

import sys

import pytest

from drift_core.memory import peak_rss, peak_rss_bytes, reset_peak_rss


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the reset is Linux's /proc/self/clear_refs")
def test_a_stretch_reports_its_own_peak_after_a_reset():
    big = bytearray(200 * 2**20)  # 200 MiB resident (pages touched), given back to the system when freed
    big[:: 4096] = b"\x01" * len(big[:: 4096])
    high = peak_rss_bytes()
    del big
    with peak_rss() as small:
        pass
    assert small.reset and small.bytes < high - 150 * 2**20  # the earlier peak is forgotten
    with peak_rss() as grown:
        more = bytearray(100 * 2**20)
        more[:: 4096] = b"\x01" * len(more[:: 4096])
    assert grown.bytes >= small.bytes + 90 * 2**20
    del more
    assert reset_peak_rss()
