"""Map one Prefect task per shard on the task runner `runner.kind` picks (docs/scale-out.md).

`local` runs the shard tasks one after the other in this process; `ray` submits them to prefect-ray's
RayTaskRunner and `dask` to prefect-dask's DaskTaskRunner, on the cluster at `runner.address` or on a local
one started for the stage and stopped after. Placement is all a runner changes (docs/design.md §2:
scale-out on existing engines, no scheduler of our own): a shard's rows depend on its index alone, and a
shard is its own unit of resumption, so a killed run, rerun on any runner, produces every key exactly once.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

from drift_core.config.runner import RunnerConfig
from drift_core.errors import DriftError

# Variables a Ray or Dask worker needs to behave as this process does (a Ray worker's environment is the
# raylet's, on another node that of whoever started it; a local Dask cluster's workers get them too):
# Prefect's settings, the offline switches, S3 tables' keys.
WORKER_ENV = ("PREFECT_API_KEY", "PREFECT_HOME", "PREFECT_LOCAL_STORAGE_PATH", "PREFECT_LOGGING_LEVEL",
              "PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL", "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL",
              "PREFECT_SERVER_ANALYTICS_ENABLED", "DO_NOT_TRACK", "DRIFT_ALLOW_PICKLE", "DRIFT_FAULT_POINT",
              "DRIFT_TABLES_URI", "HF_HOME", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE",
              "TOKENIZERS_PARALLELISM",
              "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "PYTHONPATH")


def run_shards(shard_task, params: list[dict[str, Any]], cfg: RunnerConfig | None, *, gpus: float = 0.0,
               on_done: Callable[[Any], None] | None = None) -> list[Any]:
    """Run `shard_task` once per parameter dict on the configured runner; results in `params` order.

    `on_done(result)` is called in this process as each shard finishes (progress, logs). A failed shard
    raises here once the others have been waited for; the finished ones stay written."""
    cfg = cfg or RunnerConfig()
    results: list[Any] = [None] * len(params)
    if cfg.kind == "local" or not params:
        for i, p in enumerate(params):
            results[i] = shard_task(**p)
            if on_done:
                on_done(results[i])
        return results
    from prefect.futures import as_completed

    with task_runner(cfg) as runner:
        with placement(cfg, gpus):
            futures = [runner.submit(shard_task, p) for p in params]
        index = {f.task_run_id: i for i, f in enumerate(futures)}
        failed: BaseException | None = None
        for fut in as_completed(futures):
            try:
                results[index[fut.task_run_id]] = fut.result()
            except BaseException as exc:  # keep waiting: the shards still running finish their files
                failed = failed or exc
                continue
            if on_done:
                on_done(results[index[fut.task_run_id]])
        if failed is not None:
            raise failed
    return results


def placement(cfg: RunnerConfig, gpus: float) -> AbstractContextManager[Any]:
    """What each shard task submitted inside asks its runner for."""
    if cfg.kind == "dask":
        # Dask counts no CPUs or GPUs of its own: a worker runs as many tasks at once as it has threads (one
        # on the local cluster), and a GPU is a resource its workers declare (`--resources GPU=N`); only a
        # cluster at an address has them, so a local cluster places shards by thread alone.
        if gpus and cfg.address is not None:
            import dask

            return dask.annotate(resources={"GPU": gpus})
        return nullcontext()
    from prefect_ray.context import remote_options

    # max_calls=0: Ray retires a GPU task's worker after one call by default (to free its memory); the
    # worker must live on so its engine serves its next shards (drift_core/engines/pool.py).
    return remote_options(num_cpus=cfg.cpus_per_shard, num_gpus=gpus, max_calls=0)


@contextmanager
def task_runner(cfg: RunnerConfig) -> Iterator[Any]:
    """A started RayTaskRunner or DaskTaskRunner whose workers report to this run's Prefect API; a local
    cluster it started is stopped on the way out, whatever happened."""
    if cfg.kind == "dask":
        with dask_task_runner(cfg) as runner:
            yield runner
        return
    try:
        from prefect_ray.task_runners import RayTaskRunner
    except ImportError as exc:
        raise DriftError("runner.kind 'ray' needs prefect-ray: pip install 'drift[ray]'") from exc
    from prefect.settings import PREFECT_API_URL, temporary_settings

    url = api_url()
    env = {k: os.environ[k] for k in WORKER_ENV if k in os.environ} | {"PREFECT_API_URL": url}
    init: dict[str, Any] = {"runtime_env": {"env_vars": env}}
    if cfg.address is None:  # a cluster of our own: its size, and no dashboard (a web server nobody reads)
        init |= {"num_cpus": cfg.workers, "include_dashboard": False}
    with temporary_settings(updates={PREFECT_API_URL: url}), RayTaskRunner(address=cfg.address,
                                                                           init_kwargs=init) as runner:
        yield runner


@contextmanager
def dask_task_runner(cfg: RunnerConfig) -> Iterator[Any]:
    """DaskTaskRunner on the scheduler at `cfg.address`, or on a LocalCluster of `workers` processes of one
    thread each (one shard at a time per worker, each worker's engine in its own process), no dashboard and
    no memory limit (Dask would pause or restart a worker holding a model), closed when the stage ends."""
    try:
        from prefect_dask import DaskTaskRunner
    except ImportError as exc:
        raise DriftError("runner.kind 'dask' needs prefect-dask: pip install 'drift[dask]'") from exc
    from prefect.settings import PREFECT_API_URL, temporary_settings

    url = api_url()
    if cfg.address is not None:  # its workers' environment is theirs; Prefect's settings travel with each task
        runner = DaskTaskRunner(address=cfg.address)
    else:
        env = {k: os.environ[k] for k in WORKER_ENV if k in os.environ} | {"PREFECT_API_URL": url}
        runner = DaskTaskRunner(cluster_kwargs={"n_workers": cfg.workers, "threads_per_worker": 1,
                                                "processes": True, "dashboard_address": None,
                                                "memory_limit": 0, "env": env})
    with temporary_settings(updates={PREFECT_API_URL: url}), runner:
        yield runner


def api_url() -> str:
    """This run's Prefect API as an address other processes can reach.

    With a server (PREFECT_API_URL) that is its URL. Without one, Prefect runs its ephemeral API as a
    local subprocess server (one per process); workers get its address, else each would start its own
    (on another node: use a server, docs/scale-out.md)."""
    from prefect.settings import PREFECT_API_URL

    if url := PREFECT_API_URL.value():
        return url
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start()  # a no-op when this process's client already started it
    return server.api_url


def shard_gpus(cfg: RunnerConfig, engine: str, tensor_parallel_size: int) -> float:
    """GPUs a shard task asks Ray (or a Dask cluster at an address) for: one vLLM engine per GPU (or
    tensor-parallel group), none for hf."""
    if cfg.gpus_per_shard != "auto":
        return float(cfg.gpus_per_shard)
    if engine == "vllm":
        return float(tensor_parallel_size)
    if engine == "auto":  # 'auto' picks vLLM on CUDA: decided here, in the driver, as the workers would
        from drift_core.engines import pick_engine

        return float(tensor_parallel_size) if pick_engine(engine) == "vllm" else 0.0
    return 0.0
