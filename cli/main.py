"""Entry point: registers every module in cli/commands and maps DriftError to exit code 1."""

from __future__ import annotations

import importlib
import pkgutil
import sys

from rich.console import Console

import cli.commands
from cli.app import app
from drift_core.errors import DriftError

for mod in pkgutil.iter_modules(cli.commands.__path__):
    importlib.import_module(f"cli.commands.{mod.name}")


def main() -> None:
    try:
        app()
    except DriftError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
