"""`drift run`'s terminal view (cli/progress.py): the stage status line, the bars, and log lines above them."""

from __future__ import annotations

import io
import logging
import sys

from rich.console import Console

from cli.progress import RunView, rates, status_line
from drift_core import progress


def test_status_line_marks_each_stage_in_order():
    states = {"prompts": "Completed", "eval-prompts": "Cached", "rollout": "Running", "weights": "Pending",
              "train": "Failed"}
    line = status_line(states, {"rollout": 0.4})
    assert line.plain == "prompts ✓ · eval-prompts ↺ · rollout ▶ 40% · weights · train ✗"
    # A share is shown for running stages only.
    assert status_line({"rollout": "Completed"}, {"rollout": 1.0}).plain == "rollout ✓"


def test_rates_are_means_since_the_bar_opened():
    # 30 traj in 2 s = 15 traj/s; 1,360 tokens in 2 s = 680 tok/s
    assert rates(30, "traj", 1360, 2.0, {}) == "15.0 traj/s · 680 tok/s"
    assert rates(4, "step", 0, 2.0, {"loss": 0.5}) == "2.0 step/s · loss 0.500"


def view_console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=160, color_system=None), out


def test_view_draws_bars_and_stages_and_takes_log_lines_above_it():
    console, out = view_console()
    log = logging.getLogger("drift.test_run_progress")
    stderr = sys.stderr
    handler = logging.StreamHandler(stderr)  # a console handler that was there before the view
    log.addHandler(handler)
    try:
        with RunView(["prompts", "rollout", "train"], console) as view, progress.display(view):
            progress.stage("prompts", "Running")
            progress.stage("prompts", "Cached")
            progress.stage("rollout", "Running")
            bar = progress.bar(8, "rollout r-abc", unit="traj")
            bar.update(2, tokens=100)
            assert view.done == {"rollout": 0.25}
            assert "prompts ↺ · rollout ▶ 25% · train" in status_line(view.states, view.done).plain
            console.print(view.__rich__())  # what the live view shows now
            log.warning("a line from a logger")
            bar.update(6, tokens=300)
            bar.close()
            progress.stage("rollout", "Completed")
            progress.stage("evaluate-champion", "Running")  # not in the plan: goes before what is pending
            assert list(view.states) == ["prompts", "rollout", "evaluate-champion", "train"]
        assert handler.stream is stderr  # given back when the view closes
    finally:
        log.removeHandler(handler)
    text = out.getvalue()
    assert "rollout r-abc" in text and "2/8" in text and "traj/s" in text and "tok/s" in text
    assert "a line from a logger" in text  # written through the view's console, not past it onto stderr
    assert "rollout r-abc: 8 traj in" in text  # the bar's last figures, left above the view
    assert not progress.active()  # the display is uninstalled with the view
