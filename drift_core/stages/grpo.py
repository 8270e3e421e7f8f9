"""Online GRPO stage: what to train on and from, where the model goes, and the run itself (docs/design.md §10)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from drift_core.config.eval import EvalConfig
from drift_core.config.grpo import GrpoConfig
from drift_core.config.protocol import ProtocolConfig
from drift_core.fingerprint import code_fingerprint, digest
from drift_core.multiturn import Problem
from drift_core.prompts import PromptSet
from drift_core.stages.model import ModelRef
from drift_core.store import Workspace


@dataclass
class GrpoOutput:
    result: object  # drift_core.train.grpo.GrpoResult (imported lazily: TRL and transformers are heavy)
    out_dir: Path
    model: ModelRef  # the saved policy, by content


def grpo_model_dir(ws: Workspace, prompts: PromptSet, base: ModelRef, protocol: ProtocolConfig,
                   cfg: GrpoConfig, checkpoints: PromptSet | None = None, eval_cfg: EvalConfig | None = None) -> Path:
    """<workspace>/models/grpo-<digest of prompts, base model, protocol, grpo config, code>: the same inputs
    give the same directory, others never overwrite it (as drift_core/stages/train.py names SFT models). The
    checkpoints' problems and eval settings count only when there are checkpoints (its summary keeps them)."""
    scored = [checkpoints.rows if checkpoints else None, eval_cfg] if cfg.checkpoints else []
    key = digest(code_fingerprint(__name__), prompts.rows, base.fingerprint, prompts.protocol(protocol), cfg, *scored)
    return ws.root / "models" / f"grpo-{key}"


def grpo_stage(ws: Workspace, prompts: PromptSet, base: ModelRef, protocol: ProtocolConfig, cfg: GrpoConfig, *,
               out: str | Path | None = None, progress: bool = True, checkpoints: PromptSet | None = None,
               eval_cfg: EvalConfig | None = None) -> GrpoOutput:
    """Online multi-turn GRPO of `base` on the prompt set, under the set's protocol; saves a model dir that
    AutoModelForCausalLM loads. With cfg.checkpoints, the policy is scored along the way on `checkpoints`
    (the validation split) under that set's protocol and `eval_cfg`, as the evaluation stage scores a model."""
    from drift_core.train.grpo import train_grpo  # TRL: import only when training

    out_dir = Path(out) if out is not None else grpo_model_dir(ws, prompts, base, protocol, cfg, checkpoints,
                                                                eval_cfg)
    problems = [Problem(r["prompt_id"], r["question"], r["gold"]) for r in prompts.rows]
    scored = [Problem(r["prompt_id"], r["question"], r["gold"]) for r in checkpoints.rows] if checkpoints else []
    res = train_grpo(problems, base.local(ws), prompts.protocol(protocol), cfg, out_dir, progress=progress,
                     checkpoint_problems=scored, checkpoint_protocol=checkpoints.protocol(protocol) if checkpoints
                     else None, eval_cfg=eval_cfg)
    return GrpoOutput(res, out_dir, ModelRef.of(str(out_dir), ws))
