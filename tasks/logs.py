"""The logger a task or flow writes its INFO lines to (docs/orchestration.md, "Following a run")."""

from __future__ import annotations

import logging


def run_logger() -> logging.Logger | logging.LoggerAdapter:
    """Prefect's run logger (console + the Prefect API, i.e. the UI's Logs tab); outside a flow or task
    run, e.g. a task's `.fn` called directly, the standard logger 'drift.tasks'."""
    from prefect import get_run_logger
    from prefect.exceptions import MissingContextError

    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("drift.tasks")
