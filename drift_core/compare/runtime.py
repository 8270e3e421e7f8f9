"""What a comparison reads from its workspace and sets in its process (neither figures nor files)."""

from __future__ import annotations

from drift_core.store import Workspace


def run_tokens(ws: Workspace, run_id: str) -> int:
    """Tokens generated in a run, read from its turns (right even when the rollout was resumed or cached)."""
    from drift_core.sqlfiles import run_sql

    con = ws.connect(read_only=True)
    try:
        return int(run_sql(con, "lookups/run_tokens", {"run_id": run_id}).fetchone()[0])
    finally:
        con.close()


def set_threads(threads: int | None) -> None:
    """torch CPU threads for training and generation (None: torch's default)."""
    if threads:
        import torch

        torch.set_num_threads(threads)
