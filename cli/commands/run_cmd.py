"""`drift run`: the whole pipeline on the configured (default: tiny, CPU) setup."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.app import ConfigOpt, SetOpt, WorkspaceOpt, app, resolve_config
from cli.commands.rollout_cmd import print_rollout, run_rollout_stage


@app.command("run")
def run_cmd(
    config: Path | None = ConfigOpt,
    set_: list[str] | None = SetOpt,
    workspace: Path | None = WorkspaceOpt,
    quiet: bool = typer.Option(False, help="No progress bars."),
) -> None:
    """Run the pipeline: prompts -> rollout (-> weights -> train -> eval -> promote as stages land)."""
    cfg = resolve_config(config, set_, workspace)
    print_rollout(run_rollout_stage(cfg, progress=not quiet))
