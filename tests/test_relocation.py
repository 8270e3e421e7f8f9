"""A workspace can move: run the pipeline, copy the workspace elsewhere, delete the original, and every
command still works in the copy (docs/design.md §5, relocatable workspaces).

The commands run as a user runs them (the `drift` entry point in a subprocess, no MLflow server, the
ephemeral Prefect API), so what moves is exactly the workspace directory: its warehouse, shards,
models, MLflow store and Prefect state and results.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
SMALL = ["prompts.limit=6", "eval_prompts.limit=6", "rollout.n=2", "rollout.max_new_tokens=6",
         "protocol.max_turns=2", "train.max_steps=2", "train.per_device_train_batch_size=4",
         "eval.max_new_tokens=6"]
STAGES = ["prompts", "eval-prompts", "rollout", "weights", "train", "evaluate-reference",
          "evaluate-candidate", "register"]


def drift(*args: str, cwd: Path, env: dict, timeout: float = 400) -> subprocess.CompletedProcess:
    res = subprocess.run([str(BIN / "drift"), *args], cwd=cwd, env=env, capture_output=True, text=True,
                         timeout=timeout)
    assert res.returncode == 0, (f"drift {' '.join(args)}: rc={res.returncode}\n{res.stdout[-3000:]}\n"
                                 f"{res.stderr[-3000:]}")
    return res


def run_summary(res: subprocess.CompletedProcess) -> dict:
    return json.loads([line for line in res.stdout.splitlines() if line.startswith("{")][-1])


@pytest.fixture(scope="module")
def moved(tiny_world_dir, tmp_path_factory):
    """(the copy's path, the first run's summary, the copy's rerun summary, env)."""
    base = tmp_path_factory.mktemp("relocate")
    original, copy = base / "a" / "ws", base / "b" / "elsewhere"
    shutil.copytree(tiny_world_dir, original / "tiny_world")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PREFECT_", "MLFLOW_"))}  # a user's shell: embedded defaults in the workspace
    env |= {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
    sets = [a for item in SMALL for a in ("--set", item)]
    first = run_summary(drift("run", "-w", str(original), "--json", *sets, cwd=base, env=env))
    shutil.copytree(original, copy, symlinks=True)
    shutil.rmtree(base / "a")
    again = run_summary(drift("run", "-w", str(copy), "--json", *sets, cwd=base, env=env))
    return copy, first, again, env


def test_rerun_in_the_copy_is_cached_everywhere(moved):
    copy, first, again, _ = moved
    assert first["states"] == dict.fromkeys(STAGES, "Completed"), first["states"]
    assert again["states"] == dict.fromkeys(STAGES, "Cached"), again["states"]
    assert again["version"] == first["version"]  # no second registration of the same candidate


def test_sql_reads_the_copy(moved):
    copy, first, _, env = moved
    res = drift("sql", "-w", str(copy), "--format", "json",
                "select count(*) as n, min(policy) as policy from trajectories", cwd=copy.parent, env=env)
    row = json.loads(res.stdout.splitlines()[0])
    assert row["n"] == 6 * 2
    assert row["policy"] == "tiny_world"  # stored relative to the workspace


def test_eval_of_the_trained_model_in_the_copy(moved):
    copy, _, _, env = moved
    model = next((copy / "models").glob("r-*"))
    drift("eval", "-w", str(copy), "--model", str(model), "--set", "eval_prompts.limit=3", "--set",
          "eval.max_new_tokens=6", "--set", "protocol.max_turns=2", cwd=copy.parent, env=env)


def test_champion_loads_from_the_copy(moved):
    """The registry's artifacts follow the workspace: loading by alias reads the copy. (`challenger` is
    always the latest candidate; at these sizes it may not have passed the gate to be `champion`, and both
    aliases resolve through the same version source.)"""
    copy, first, _, env = moved
    name, version = first["model"], first["version"]
    code = (
        "import mlflow\n"
        f"mlflow.set_tracking_uri('sqlite:///{copy / 'mlflow.db'}')\n"
        f"m = mlflow.pyfunc.load_model('models:/{name}@challenger')\n"  # an alias, as users load the champion
        f"alias = mlflow.MlflowClient().get_model_version_by_alias('{name}', 'challenger')\n"
        f"assert str(alias.version) == '{version}', alias.version\n"
        "print(m.predict(['What is 2 + 3?'], params={'max_new_tokens': 4}))\n"
        f"mv = mlflow.MlflowClient().get_model_version('{name}', '{version}')\n"
        "print('WHERE', mlflow.get_logged_model(mv.source.rsplit('/', 1)[-1]).artifact_location)\n"
        "print('WHERE', mlflow.get_run(mv.run_id).info.artifact_uri)\n"
        "latest = mlflow.search_runs(experiment_names=['drift'], order_by=['start_time DESC'], max_results=1)\n"
        "print('WHERE', latest.artifact_uri[0])\n"  # the rerun's parent run, created after the move
    )
    res = subprocess.run([sys.executable, "-c", code], cwd=copy.parent, env=env, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    where = [line.split(" ", 1)[1] for line in res.stdout.splitlines() if line.startswith("WHERE ")]
    assert len(where) == 3 and all(str(copy) in w and "/a/ws" not in w for w in where), where
