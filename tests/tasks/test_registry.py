"""Registry + gate on a real MLflow SQLite store: versions, tags, aliases, hand promotion, re-evaluation."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow


def evaluation(eval_set: str, solved: set[str], ids: list[str], fp: str):
    from tasks.evaluate import EvalResult

    per = {i: (1 if i in solved else None) for i in ids}
    return EvalResult(fingerprint=fp, metrics={"multi@1": len(solved) / len(ids)}, eval_id=f"e-{fp}",
                      eval_set=eval_set, per_problem=per)


def test_gate_moves_champion_only_on_a_real_gain(tmp_path, monkeypatch, random_model_dir):
    import mlflow
    from mlflow.tracking import MlflowClient

    from drift_core.config import EvalConfig, PromptsConfig, ProtocolConfig
    from drift_core.config.registry import RegistryConfig
    from drift_core.errors import DriftError
    from drift_core.stages.model import ModelRef
    from tasks.evaluate import evaluate_task
    from tasks.prompts import PromptsResult
    from tasks.registry import champion_to_score, promote, register_task
    from tasks.tracking import setup

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    ws = tmp_path / "ws"
    setup(ws)
    client = MlflowClient()
    cfg = RegistryConfig(model_name="gate-test", metric="multi@1")
    model = ModelRef(str(random_model_dir), "m")
    ids = [f"p{i}" for i in range(40)]
    ref = evaluation("E1", set(ids[:8]), ids, "ref")  # the reference solves 8 of 40
    lineage = {"data_fingerprint": "data-fp", "rollout_run_id": "r-1"}

    def register(ev, champion_eval=None):
        return register_task.fn(str(ws), model, ev, ref, champion_eval, lineage, cfg)

    def aliases():
        return {a: str(client.get_model_version_by_alias("gate-test", a).version)
                for a in ("champion", "challenger") if _has_alias(client, "gate-test", a)}

    # No champion yet: the reference is the baseline. Worse than it -> stays challenger.
    r1 = register(evaluation("E1", set(ids[:3]), ids, "v1"))
    assert not r1.promoted and aliases() == {"challenger": "1"}
    assert "against the reference" in r1.decision["reason"]
    # Better than the reference beyond noise: 20 vs 8, 12 discordant one way -> p = 2 / 2^12.
    r2 = register(evaluation("E1", set(ids[:20]), ids, "v2"))
    assert r2.promoted and aliases() == {"champion": "2", "challenger": "2"}
    r3 = register(evaluation("E1", set(ids[:21]), ids, "v3"))  # 1 vs 0 discordant against v2: p = 1
    assert not r3.promoted and aliases() == {"champion": "2", "challenger": "3"}
    r4 = register(evaluation("E1", set(ids[:36]), ids, "v4"))  # 16 vs 0 against v2: p = 2 / 2^16
    assert r4.promoted and aliases()["champion"] == "4" and r4.decision["p_value"] < 1e-4
    v4 = client.get_model_version("gate-test", "4")
    assert v4.tags["data_fingerprint"] == "data-fp" and v4.tags["rollout_run_id"] == "r-1"
    assert v4.tags["baseline"] == "champion v2" and float(v4.tags["multi_at_1"]) == pytest.approx(0.9)
    assert "McNemar" in v4.tags["promotion"] and float(v4.tags["gate_delta"]) == pytest.approx(16 / 40)

    # By hand: v3 is worse than the champion v4, so the gate refuses it unless forced with a reason.
    with pytest.raises(DriftError, match="does not pass the gate"):
        promote("gate-test", "3", cfg=cfg)
    promote("gate-test", "3", "rollback by hand", force=True, cfg=cfg)
    assert aliases()["champion"] == "3"
    assert client.get_model_version("gate-test", "3").tags["promotion"].startswith("rollback by hand (forced")

    # Another eval set: the champion's registered weights are scored on it by the evaluation stage first.
    from drift_core.prompts import load_prompts

    rows = load_prompts(PromptsConfig(source="arithmetic", count=4, levels=[1], seed=3))
    other = PromptsResult(fingerprint="E2-prompts", rows=rows, label="arith")
    protocol, eval_cfg = ProtocolConfig(max_turns=1), EvalConfig(max_new_tokens=4)
    champion = champion_to_score(str(ws), cfg, "E2")
    assert champion is not None and (ws / "models" / "registry" / "gate-test-v3").is_dir()
    champ_eval = evaluate_task.fn(str(ws), champion, other, protocol, eval_cfg)
    new_ids = [r["prompt_id"] for r in rows]
    cand = evaluation(champ_eval.eval_set, set(), new_ids, "v5")
    with pytest.raises(DriftError, match="evaluate-champion"):
        register(cand)
    r5 = register(cand, champ_eval)
    assert r5.decision["n_problems"] == 4 and r5.decision["champion_value"] is not None
    assert mlflow.pyfunc.load_model("models:/gate-test@champion") is not None


def _has_alias(client, name: str, alias: str) -> bool:
    from mlflow.exceptions import MlflowException

    try:
        client.get_model_version_by_alias(name, alias)
        return True
    except MlflowException:
        return False
