"""`drift config`: print the resolved config as YAML (or JSON, e.g. for a deployment's parameters)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
import yaml

from cli.app import ConfigOpt, SetOpt, app, resolve_config


@app.command("config")
def config_cmd(
    config: Path | None = ConfigOpt,
    set_: list[str] | None = SetOpt,
    as_json: bool = typer.Option(False, "--json", help="Print JSON (one line) instead of YAML."),
) -> None:
    """Print the resolved config (YAML + overrides) with every default filled in."""
    cfg = resolve_config(config, set_)
    if as_json:
        typer.echo(json.dumps(cfg.model_dump(mode="json")))
    else:
        typer.echo(yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False))
