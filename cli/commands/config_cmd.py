"""`drift config`: print the resolved config as YAML."""

from __future__ import annotations

from pathlib import Path

import typer
import yaml

from cli.app import ConfigOpt, SetOpt, app, resolve_config


@app.command("config")
def config_cmd(config: Path | None = ConfigOpt, set_: list[str] | None = SetOpt) -> None:
    """Print the resolved config (YAML + overrides) with every default filled in."""
    cfg = resolve_config(config, set_)
    typer.echo(yaml.safe_dump(cfg.model_dump(), sort_keys=False))
