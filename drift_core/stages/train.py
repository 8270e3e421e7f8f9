"""Training stage: what to train on and from, where the model goes, and the weighted SFT itself."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from drift_core.config.pipeline import PipelineConfig
from drift_core.config.protocol import ProtocolConfig
from drift_core.config.train import TrainConfig
from drift_core.errors import DriftError
from drift_core.fingerprint import code_fingerprint, digest
from drift_core.stages.model import ModelRef, base_model
from drift_core.stages.weights import config_rows, pick_run
from drift_core.store import Workspace


@dataclass
class TrainInputs:
    rows: pa.Table  # columns messages, weight (+ the weighting's keys when from the warehouse)
    base: ModelRef  # the model to fine-tune
    name: str  # <run>-<scheme>, or the data file's stem: the readable part of the model dir's name


@dataclass
class TrainOutput:
    result: object  # drift_core.train.TrainResult (imported lazily: transformers is heavy)
    out_dir: Path
    model: ModelRef  # the saved model, by content


def train_inputs(ws: Workspace, cfg: PipelineConfig, *, data: str | Path | None = None,
                 model: str | None = None) -> TrainInputs:
    """`drift train`'s inputs: a weighted file, or the configured weighting of the one run."""
    if data is not None:
        return TrainInputs(read_rows(Path(data)), base_model(ws, None, cfg.rollout, model), Path(data).stem)
    w = cfg.weights
    run = pick_run(ws, w.run_id or cfg.rollout.run_id)
    base = base_model(ws, run, cfg.rollout, model)  # first: a run sampled by a label needs --model
    rows = config_rows(ws, w, run, repeat_penalty_lambda=cfg.protocol.repeat_penalty_lambda,  # its whole key
                       order=cfg.train.row_order)
    return TrainInputs(rows, base, f"{run}-{w.scheme}")


def model_dir(ws: Workspace, inputs: TrainInputs, protocol: ProtocolConfig, cfg: TrainConfig) -> Path:
    """<workspace>/models/<name>-<digest of data, base model, protocol, train config, code>: the same
    inputs give the same directory (so `--resume` finds its checkpoints), others never overwrite it."""
    data = digest(inputs.rows.schema.to_string(), _table_digest(inputs.rows))
    key = digest(code_fingerprint(__name__), data, inputs.base.fingerprint, protocol, cfg)
    return ws.root / "models" / f"{inputs.name}-{key}"


def train_stage(ws: Workspace, inputs: TrainInputs, protocol: ProtocolConfig, cfg: TrainConfig, *,
                out: str | Path | None = None, resume: bool | str = "auto", overwrite: bool = False,
                progress: bool = True) -> TrainOutput:
    """Weighted SFT of inputs.base on inputs.rows; saves a model dir AutoModelForCausalLM loads.

    resume (see drift_core.train.train): 'auto' (the pipeline) continues an interrupted run's
    checkpoints, which in the default model dir are of these very inputs; `drift train` passes
    False unless --resume, so it says so when checkpoints are there."""
    from drift_core.train import train  # transformers' Trainer: import only when training

    out_dir = Path(out) if out is not None else model_dir(ws, inputs, protocol, cfg)
    res = train(inputs.rows, inputs.base.local(ws), cfg, out_dir, resume=resume, overwrite=overwrite,
                progress=progress, protocol=protocol)
    return TrainOutput(res, out_dir, ModelRef.of(str(out_dir), ws))


def read_rows(path: Path) -> pa.Table:
    """A weighted training file -> Arrow table (columns checked by the trainer)."""
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    if not path.is_file():
        raise DriftError(f"training data file not found: {path}")
    try:
        if path.suffix.lower() == ".parquet":
            return pq.read_table(path)
        if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
            return pj.read_json(path)
    except Exception as exc:
        raise DriftError(f"{path}: cannot read training data: {exc}") from exc
    raise DriftError(f"{path}: unsupported training data type (use .parquet or .jsonl)")


def _table_digest(table: pa.Table) -> str:
    """Content of an Arrow table (its IPC stream), independent of where it was read from."""
    import hashlib

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return hashlib.sha256(sink.getvalue()).hexdigest()
