"""Where the shipped data lives: sql/, configs/ and worlds/, installed as the packages drift_sql,
drift_configs and drift_worlds.

Found with importlib.resources, so an installed wheel (site-packages/drift_sql/...) and an editable
install (mapped to the checkout's sql/ and configs/) work from any directory. Running from a source tree
without an install, where those package names are not importable, falls back to the checkout's folders.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[1]


def _package_dir(package: str, folder: str) -> Path:
    try:
        root = resources.files(package)
    except ModuleNotFoundError:
        return _CHECKOUT / folder
    if not isinstance(root, Path):  # e.g. a zipped install: not a real directory to read files from
        raise RuntimeError(f"package {package} is not installed as a directory ({root!r})")
    return root


@cache
def sql_dir() -> Path:
    """The folder of SQL files (the checkout's sql/)."""
    return _package_dir("drift_sql", "sql")


@cache
def configs_dir() -> Path:
    """The folder of shipped configs (the checkout's configs/, with accelerate/)."""
    return _package_dir("drift_configs", "configs")


@cache
def worlds_dir() -> Path:
    """The folder of shipped tiny worlds (the checkout's worlds/: default size, seed 0, one per task)."""
    return _package_dir("drift_worlds", "worlds")


def default_config() -> Path:
    """The embedded default config: configs/tiny.yaml (the tiny world on a CPU)."""
    return configs_dir() / "tiny.yaml"
