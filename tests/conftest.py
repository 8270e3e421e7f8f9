"""Shared fixtures: real models and workspaces built offline, once per session where costly."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Keep library caches and telemetry inside the test session, never in $HOME or the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

REPO = Path(__file__).resolve().parents[1]

# Modules whose tests take longest, heaviest first (`--durations`, 2 CPU cores, 2026-12-07). `make test`
# hands whole modules to its pytest-xdist workers in collection order (--dist loadfile
# --no-loadscope-reorder), so starting these first keeps one long module from running alone at the end.
# Only the order changes; a module missing here keeps its place after them.
HEAVY_FIRST = [
    "tests/test_readme_examples.py",
    "tests/test_relocation.py",
    "tests/benchmarks/test_gpu_check.py",
    "tests/flows/test_compare.py",
    "tests/ui/test_served_pipeline.py",
    "tests/faults/test_kill_points.py",
    "tests/drift_core/test_train_accelerate.py",
    "tests/drift_core/engines/test_engine_parity.py",
    "tests/drift_core/engines/test_vllm.py",
    "tests/test_compose.py",
    "tests/drift_core/test_tiny_world.py",
    "tests/drift_core/test_shipped_worlds.py",
    "tests/flows/test_drift_pipeline.py",
    "tests/tasks/test_shards.py",  # 2.5 min on its own (2026-12-07): Ray clusters started and killed
    "tests/drift_core/stages/test_benchmark_protocol.py",
    "tests/drift_core/test_train_cli.py",
]


def pytest_collection_modifyitems(config, items):
    rank = {path: i for i, path in enumerate(HEAVY_FIRST)}

    def key(item) -> int:
        path = Path(str(item.path)).resolve().relative_to(REPO).as_posix()
        return rank.get(path, len(rank))

    items.sort(key=key)  # stable: tests keep their order within a module


@pytest.fixture(scope="session")
def random_model_dir(tmp_path_factory) -> Path:
    """A random Llama-class chat model with a real tokenizer and chat template (~1 s to build)."""
    from drift_core.testing.random_model import build_random_model

    return build_random_model(tmp_path_factory.mktemp("random_model") / "model", seed=0)


def _test_world(tmp_path_factory, worker_id: str, task: str) -> Path:
    """The tiny world `task` at its `test` size, built once per pytest run.

    Under pytest-xdist the workers share one build: the first builds it under a file lock in the run's
    base directory, the others wait and reuse it (tests read it or copy it, never write to it)."""
    from filelock import FileLock

    from drift_core.tiny_world import build

    if worker_id == "master":  # no xdist
        return build(tmp_path_factory.mktemp(task) / "world", seed=0, size="test", task=task, progress=False)
    shared = tmp_path_factory.getbasetemp().parent / f"{task}_world"  # this run's, common to its workers
    with FileLock(str(shared) + ".lock"):
        if not (shared / "card.json").exists():  # the card marks a finished build
            build(shared, seed=0, size="test", task=task, progress=False)
    return shared


@pytest.fixture(scope="session")
def tiny_world_dir(tmp_path_factory, worker_id) -> Path:
    """The arithmetic tiny world at its `test` size (a trained, imperfect reference)."""
    return _test_world(tmp_path_factory, worker_id, "arithmetic")


@pytest.fixture(scope="session")
def choice_world_dir(tmp_path_factory, worker_id) -> Path:
    """The choice world at its `test` size."""
    return _test_world(tmp_path_factory, worker_id, "choice")


@pytest.fixture()
def workspace(tmp_path):
    from drift_core.store import Workspace

    return Workspace(tmp_path / "ws")


# -- real servers on 127.0.0.1 (orchestration tests); one of each per session, stopped with their children --
@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory):
    """`prefect server start` (API + UI) on a free port; yields the Server (url; API at url + '/api')."""
    from drift_core.testing.servers import start_prefect

    server = start_prefect(tmp_path_factory.mktemp("prefect_server"))
    yield server
    if "prefect" in sys.modules:
        # Send this process's queued logs/events now: at exit, with the server gone, Prefect's
        # workers retry for minutes. (Private API: QueueService is what Prefect drains at exit.)
        from prefect._internal.concurrency.services import QueueService

        QueueService.drain_all(timeout=15, at_exit=False)
    server.stop()


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    """`mlflow server --workers 1` with SQLite + proxied artifacts on a free port; yields the Server."""
    from drift_core.testing.servers import start_mlflow

    server = start_mlflow(tmp_path_factory.mktemp("mlflow_server"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """moto's S3 server on a free port of 127.0.0.1 (in memory); yields the Server (url: the endpoint)."""
    from drift_core.testing.servers import start_s3

    server = start_s3(tmp_path_factory.mktemp("s3_server"))
    yield server
    server.stop()


@pytest.fixture()
def s3_bucket(s3_server, monkeypatch) -> str:
    """A new empty bucket on the test S3 server, with the AWS variables pointing at it; yields s3://bucket."""
    import uuid

    import s3fs

    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "drift-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "drift-test-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("DRIFT_TABLES_URI", raising=False)
    bucket = f"drift-{uuid.uuid4().hex[:12]}"
    s3fs.S3FileSystem(skip_instance_cache=True).mkdir(bucket)
    return f"s3://{bucket}"


@pytest.fixture()
def data_file(tmp_path) -> Path:
    """A weighted-rows Parquet file `drift train --data` reads: 8 one-turn dialogues, weights 1 and 2."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from drift_core.config import ProtocolConfig
    from drift_core.episode import initial_messages

    p = ProtocolConfig()
    rows = [{"messages": [*initial_messages(f"What is {i} + 1?", p),
                          {"role": "assistant", "content": f"<answer>{i + 1}</answer>"}],
             "weight": 1.0 + i % 2} for i in range(8)]
    path = tmp_path / "weighted.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path
