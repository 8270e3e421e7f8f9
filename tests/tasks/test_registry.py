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
    from drift_core.prompts import load_prompts
    from drift_core.stages.model import ModelRef
    from tasks.prompts import PromptsResult
    from tasks.registry import promote, register_task
    from tasks.tracking import setup

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    ws = tmp_path / "ws"
    setup(ws)
    client = MlflowClient()
    cfg = RegistryConfig(model_name="gate-test", metric="multi@1")
    model = ModelRef(str(random_model_dir), "m")
    ids = [f"p{i}" for i in range(40)]
    ref = evaluation("E1", set(), ids, "ref")
    protocol, eval_cfg = ProtocolConfig(max_turns=1), EvalConfig(max_new_tokens=4)
    prompts = PromptsResult(fingerprint="none")

    def register(ev, eval_prompts=prompts):
        return register_task.fn(str(ws), model, ev, ref, eval_prompts, protocol, eval_cfg, "data-fp", cfg)

    def champion():
        return str(client.get_model_version_by_alias("gate-test", "champion").version)

    r1 = register(evaluation("E1", set(ids[:5]), ids, "v1"))
    assert r1.promoted and champion() == "1"
    r2 = register(evaluation("E1", set(ids[:6]), ids, "v2"))  # 1 vs 0 discordant: p = 1
    assert not r2.promoted and champion() == "1"
    assert str(client.get_model_version_by_alias("gate-test", "challenger").version) == "2"
    r3 = register(evaluation("E1", set(ids[:30]), ids, "v3"))  # 25 vs 0: p = 2 / 2^25
    assert r3.promoted and champion() == "3" and r3.decision["p_value"] < 1e-6
    v3 = client.get_model_version("gate-test", "3")
    assert v3.tags["data_fingerprint"] == "data-fp" and float(v3.tags["multi_at_1"]) == pytest.approx(0.75)
    assert "McNemar" in v3.tags["promotion"]

    promote("gate-test", "2", "rollback by hand")
    assert champion() == "2"
    assert client.get_model_version("gate-test", "2").tags["promotion"] == "rollback by hand"

    # Another eval set: the champion's registered weights are evaluated on it before comparing.
    rows = load_prompts(PromptsConfig(source="arithmetic", count=4, levels=[1], seed=3))
    other = PromptsResult(fingerprint="E2-prompts", rows=rows)
    new_ids = [r["prompt_id"] for r in rows]
    r4 = register(evaluation("E2", set(), new_ids, "v4"), other)
    assert r4.decision["n_problems"] == 4 and r4.decision["champion_value"] is not None
    assert mlflow.pyfunc.load_model("models:/gate-test@champion") is not None
