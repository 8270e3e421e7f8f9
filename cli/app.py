"""The typer app every command module registers on, plus shared option helpers."""

from __future__ import annotations

from pathlib import Path

import typer

from drift_core.config import PipelineConfig, load_config
from drift_core.errors import DriftError

app = typer.Typer(
    name="drift",
    help="DRIFT: sample multi-turn trajectories once, weight them in SQL, fine-tune with weighted SFT.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

ConfigOpt = typer.Option(None, "--config", "-c", help="YAML config (default: the embedded tiny CPU config).")
SetOpt = typer.Option(None, "--set", "-s", help="Override a config value: section.key=value (repeatable).")
WorkspaceOpt = typer.Option(None, "--workspace", "-w", help="Workspace directory (default: config's, ./.drift).")


def resolve_config(
    config: Path | None, overrides: list[str] | None, workspace: Path | None = None, **flags
) -> PipelineConfig:
    """YAML, then --set overrides, then explicit flags (flags given as section__key=value)."""
    items = list(overrides or [])
    if workspace is not None:
        items.append(f"workspace={workspace}")
    for key, value in flags.items():
        if value is not None:
            items.append(f"{key.replace('__', '.')}={_yaml_scalar(value)}")
    return load_config(config, items)


def _yaml_scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        # Quote so YAML keeps strings like 'null' or '1e3' as strings.
        return "'" + value.replace("'", "''") + "'"
    return str(value)


def beta_value(beta: str | None):
    """--beta takes a number or 'auto' (validated again by the weights config)."""
    if beta is None or beta == "auto":
        return beta
    try:
        return float(beta)
    except ValueError:
        raise DriftError(f"--beta must be a number > 0 or 'auto', got {beta!r}") from None
