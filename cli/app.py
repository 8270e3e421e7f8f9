"""The typer app every command module registers on, plus shared option helpers."""

from __future__ import annotations

import os
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



@app.callback()
def _global_options(
    allow_pickle: bool = typer.Option(
        False, "--allow-pickle",
        help="Also load model weights stored as pickle (pytorch_model.bin, *.pt, *.pth, *.pkl), which can run "
             "code when loaded; only for files you trust. Default: safetensors only. Same as "
             "DRIFT_ALLOW_PICKLE=1 (set that for Prefect workers). Goes before the command: "
             "drift --allow-pickle rollout ...",
    ),
) -> None:
    """DRIFT: sample multi-turn trajectories once, weight them in SQL, fine-tune with weighted SFT."""
    if allow_pickle:
        from drift_core.chat import ALLOW_PICKLE_ENV

        # an environment variable, so that every model load sees it: engines, training (also under
        # accelerate launch), evaluation, and the flows' tasks in this process
        os.environ[ALLOW_PICKLE_ENV] = "1"


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
