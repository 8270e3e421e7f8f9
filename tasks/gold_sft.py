"""The gold-SFT arm's data: question -> <answer>gold</answer>, stored as a run (cached on prompts + protocol)."""

from __future__ import annotations

from prefect import task

from drift_core.config import ProtocolConfig
from drift_core.fingerprint import code_fingerprint, rollout_fingerprint
from drift_core.store import Workspace
from tasks.prompts import PromptsResult
from tasks.rollout import RolloutResult
from tasks.stage import cache_key

CODE = ("drift_core.compare", "drift_core.episode", "drift_core.rollout", "sql/tables/trajectories.sql",
        "sql/tables/turns.sql")


def _key(workspace: str, prompts: PromptsResult, protocol: ProtocolConfig) -> list:
    return [code_fingerprint(*CODE), prompts.fingerprint, protocol]


@task(name="gold-sft-data", cache_key_fn=cache_key("gold-sft-data", _key), persist_result=True)
def gold_sft_task(workspace: str, prompts: PromptsResult, protocol: ProtocolConfig) -> RolloutResult:
    """A RolloutResult, so the weights (scheme uniform) and train tasks take it like a rollout."""
    from drift_core.compare import write_gold_run

    ws = Workspace(workspace)
    run_id, n = write_gold_run(ws, prompts.rows, protocol)
    return RolloutResult(
        fingerprint=rollout_fingerprint(ws, run_id), params={"source": "gold answers", "prompts": n},
        metrics={"trajectories": n, "generated_tokens": 0}, tags={"drift.run_id": run_id}, run_id=run_id,
    )
