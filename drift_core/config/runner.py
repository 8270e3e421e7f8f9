"""Where the rollout's and the evaluation's shards run: in this process, or on a Ray or Dask cluster."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from drift_core.config.base import SPEED_ONLY, StageConfig


class RunnerConfig(StageConfig):
    """The Prefect task runner of the shard tasks (docs/scale-out.md). Placement only: no result depends on
    it, so every field is speed-only and no cache key or run id changes with it."""

    kind: Literal["local", "ray", "dask"] = Field(
        "local", json_schema_extra=SPEED_ONLY,
        description="local: one shard task after the other in this process; ray: prefect-ray's RayTaskRunner "
        "(extra 'ray'), one task per shard on the workers of a Ray cluster; dask: prefect-dask's DaskTaskRunner "
        "(extra 'dask'), the same on a Dask cluster.",
    )
    address: str | None = Field(
        None, json_schema_extra=SPEED_ONLY,
        description="Cluster to join: Ray: 'ray://HEAD:10001' (Ray client) or 'auto' (the cluster this machine is a "
        "node of); Dask: the scheduler, 'tcp://HEAD:8786'. None: start a local cluster of `workers` CPUs (Dask: "
        "worker processes of one thread) for the stage and stop it after.",
    )
    workers: int = Field(
        2, ge=1, json_schema_extra=SPEED_ONLY,
        description="CPUs of the local cluster started when address is None (at cpus_per_shard = 1: shards at "
        "once). Ignored with an address.",
    )
    cpus_per_shard: float = Field(
        1.0, gt=0.0, json_schema_extra=SPEED_ONLY,
        description="Ray CPUs each shard task asks for (what places hf-engine shards on CPU workers). Not used by "
        "Dask: a Dask worker runs one task per thread.",
    )
    gpus_per_shard: float | Literal["auto"] = Field(
        "auto", json_schema_extra=SPEED_ONLY,
        description="Ray GPUs each shard task asks for: auto = tensor_parallel_size when the stage's engine is vLLM "
        "(one engine per GPU, or per tensor-parallel group), 0 for hf. Dask: the 'GPU' resource asked of a cluster "
        "at an address (its workers started with --resources GPU=N); a local Dask cluster ignores it.",
    )
