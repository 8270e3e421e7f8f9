"""Package layout only (everything else is in pyproject.toml).

sql/, configs/ and worlds/ stay at the top of the checkout but install as the packages `drift_sql`,
`drift_configs` and `drift_worlds` (read with importlib.resources: drift_core/resources.py); their
subfolders (sql/tables, configs/accelerate, worlds/choice/prompts, ...) are data-only subpackages.
pyproject.toml alone cannot rename a directory without listing every package by hand, so the packages
are discovered here.
"""

from setuptools import find_namespace_packages, find_packages, setup

DATA_PACKAGES = {"drift_sql": "sql", "drift_configs": "configs", "drift_worlds": "worlds"}


def data_packages(name: str, folder: str) -> list[str]:
    return [name] + [f"{name}.{sub}" for sub in find_namespace_packages(where=folder, exclude=["__pycache__*"])]


setup(
    packages=find_packages(include=["drift_core*", "drift_mlflow*", "cli*", "flows*", "tasks*"])
    + [pkg for name, folder in DATA_PACKAGES.items() for pkg in data_packages(name, folder)],
    package_dir=DATA_PACKAGES,
)
