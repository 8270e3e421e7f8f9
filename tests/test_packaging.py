"""The project installs outside the checkout: the wheel ships sql/, configs/ and worlds/ (as drift_sql,
drift_configs and drift_worlds) and every module, and the installed copy finds them with importlib.resources."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]

# Where checkout folders land in the wheel (setup.py's package_dir); the code packages keep their names.
RENAMED = {"sql": "drift_sql", "configs": "drift_configs", "worlds": "drift_worlds"}
CODE_PACKAGES = ("drift_core", "drift_mlflow", "cli", "flows", "tasks")
# .sql/.yaml files that belong to the checkout, not to the installed package.
CHECKOUT_ONLY_FILES = {"prefect.yaml", "docker-compose.yml"}  # `prefect deploy` / compose run from a checkout
CHECKOUT_ONLY_DIRS = ("benchmarks/", "tests/", "docs/")
SKIP_DIRS = {"__pycache__", "build", "dist", "node_modules"}


def _source_files() -> list[str]:
    """The checkout's files (relative, POSIX): git's tracked + untracked-not-ignored, else a walk."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout.decode()
        names = [n for n in out.split("\0") if n]
    except (OSError, subprocess.CalledProcessError):
        names = []
        for root, dirs, files in os.walk(REPO):
            dirs[:] = [d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS and not d.endswith(".egg-info")]
            names += [Path(root, f).relative_to(REPO).as_posix() for f in files]
    return sorted(n for n in names if (REPO / n).is_file())  # tracked files deleted in the work tree: gone


def _in_wheel(name: str) -> str | None:
    """Where checkout file `name` must be in the wheel; None when it is not part of the package."""
    top, _, rest = name.partition("/")
    if top in RENAMED and rest:
        return f"{RENAMED[top]}/{rest}"
    if top in CODE_PACKAGES and rest:
        return name
    return None


def test_resources_resolve_in_this_environment():
    from drift_core import resources
    from drift_core.config.pipeline import DEFAULT_CONFIG

    # Here (editable install, or a source tree without one) both are the checkout's own folders.
    assert resources.sql_dir().resolve() == REPO / "sql" and any(resources.sql_dir().glob("tables/*.sql"))
    assert resources.configs_dir().resolve() == REPO / "configs"
    assert (resources.configs_dir() / "accelerate" / "cpu.yaml").is_file()
    assert resources.worlds_dir().resolve() == REPO / "worlds"
    assert resources.default_config() == DEFAULT_CONFIG
    assert DEFAULT_CONFIG.is_file() and DEFAULT_CONFIG.name == "tiny.yaml"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(wheel path, site dir): the wheel built from a copy of the checkout, installed with --target."""
    tmp = tmp_path_factory.mktemp("packaging")
    src = tmp / "src"  # a copy: building in the shared checkout would write build/ and egg-info there
    for name in _source_files():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, src / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    env = {**os.environ, "PIP_NO_INDEX": "1"}  # offline: nothing may be downloaded
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp / "dist"), str(src)],
        check=True,
        env=env,
        timeout=300,
    )
    (wheel,) = (tmp / "dist").glob("drift-*.whl")
    site = tmp / "site"
    subprocess.run(
        [*pip, "install", "--no-deps", "-q", "--target", str(site), str(wheel)], check=True, env=env, timeout=300
    )
    return wheel, site


@pytest.mark.slow
def test_wheel_ships_every_sql_yaml_and_module(built):
    wheel, _ = built
    contents = set(zipfile.ZipFile(wheel).namelist())
    tops = {n.split("/")[0] for n in contents if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {*CODE_PACKAGES, *RENAMED.values()}, "no generic top-level names (sql/, configs/) in the wheel"

    files = _source_files()
    data = [n for n in files if n.endswith((".sql", ".yaml", ".yml"))]
    # The shipped worlds: every file of worlds/ (model, tokenizer, prompt splits, card).
    data += [n for n in files if n.startswith("worlds/")]
    unplaced = [
        n
        for n in data
        if _in_wheel(n) is None and n not in CHECKOUT_ONLY_FILES and not n.startswith(CHECKOUT_ONLY_DIRS)
    ]
    assert not unplaced, f"outside the packages: move into sql/ or configs/, or list in CHECKOUT_ONLY_*: {unplaced}"
    shipped = [n for n in data + [n for n in files if n.endswith(".py")] if _in_wheel(n)]
    assert len([n for n in shipped if n.startswith("sql/")]) > 20, "expected the checkout's SQL files"
    missing = sorted(n for n in shipped if _in_wheel(n) not in contents)
    assert not missing, f"not in the wheel: {missing}"
    assert "tasks/chat_model.py" in contents  # read as a file by tasks/registry.py (MLflow python_model)
    assert "drift_configs/tiny.yaml" in contents and "drift_configs/accelerate/cpu.yaml" in contents
    from drift_core.worlds import WORLDS

    for task in WORLDS.names():  # every stock world is shipped
        assert f"drift_worlds/{task}/model.safetensors" in contents and f"drift_worlds/{task}/card.json" in contents


@pytest.mark.slow
def test_installed_copy_finds_its_resources_from_an_empty_directory(built, tmp_path):
    _, site = built
    empty = tmp_path / "empty"
    empty.mkdir()
    # PYTHONPATH comes before .venv's editable-install finder (a meta-path hook appended after PathFinder).
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}
    code = (
        "import json, drift_core, drift_core.resources as r\n"
        "print(json.dumps({'core': drift_core.__file__, 'sql': str(r.sql_dir()), 'configs': str(r.configs_dir()),"
        " 'worlds': str(r.worlds_dir()), 'default': str(r.default_config())}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=empty, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    where = {k: Path(v).resolve() for k, v in json.loads(out.stdout).items()}
    site = site.resolve()
    for key, path in where.items():
        assert path.is_relative_to(site), f"{key} resolved outside the install: {path}"
    assert where["sql"] == site / "drift_sql" and any(where["sql"].glob("tables/*.sql"))
    assert where["default"] == site / "drift_configs" / "tiny.yaml" and where["default"].is_file()
    assert (where["worlds"] / "choice" / "prompts" / "test.jsonl").is_file()

    out = subprocess.run(
        [sys.executable, "-m", "cli.main", "config", "--json"],
        cwd=empty,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    printed = json.loads(out.stdout.strip().splitlines()[-1])
    tiny = yaml.safe_load((REPO / "configs" / "tiny.yaml").read_text())

    def leaves(d, prefix=()):
        for k, v in d.items():
            yield from leaves(v, (*prefix, k)) if isinstance(v, dict) else [((*prefix, k), v)]

    for keys, value in leaves(tiny):
        got = printed
        for k in keys:
            got = got[k]
        assert got == value, f"{'.'.join(keys)}: {got!r} (tiny.yaml says {value!r}): the default config was not found"
    assert not any(empty.iterdir()), "running from the empty directory wrote there"
