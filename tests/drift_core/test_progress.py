"""drift_core.progress: long loops report to an installed display (what `drift run`'s view draws)."""

from __future__ import annotations

import pyarrow as pa

from drift_core import progress
from drift_core.config.protocol import ProtocolConfig
from drift_core.config.train import TrainConfig
from drift_core.episode import initial_messages


class Recorder:
    """A display that keeps what it was told: bars by description, stage states in order."""

    def __init__(self):
        self.bars: dict[str, dict] = {}
        self.stages: list[tuple[str, str]] = []

    def bar(self, total, desc, unit):
        rec = self.bars[desc] = {"total": total, "unit": unit, "n": 0, "tokens": 0, "shown": {}, "closed": False}

        class Bar:
            def update(self, n=0, *, tokens=0, **shown):
                rec["n"] += n
                rec["tokens"] += tokens
                rec["shown"] |= shown

            def close(self):
                rec["closed"] = True

        return Bar()

    def stage(self, name, state):
        self.stages.append((name, state))


def test_nothing_is_drawn_unless_enabled_or_installed():
    assert not progress.active()
    rec = Recorder()
    with progress.display(rec):
        assert progress.active()
        progress.bar(3, "off", enabled=False).update(3)  # what the tasks get when no display is up
        progress.stage("train", "Running")
    assert not progress.active()
    assert rec.bars == {} and rec.stages == [("train", "Running")]


def test_training_reports_steps_tokens_and_loss(random_model_dir, tmp_path):
    from drift_core.train import train

    p = ProtocolConfig()
    answer = [{"role": "assistant", "content": f"<answer>{i + 3}</answer>"} for i in range(8)]
    rows = pa.Table.from_pylist([{"messages": [*initial_messages(f"What is {i} + 3?", p), answer[i]], "weight": 1.0}
                                 for i in range(8)])
    cfg = TrainConfig(per_device_train_batch_size=4, max_steps=2, save_steps=100, warmup_ratio=0.0)
    rec = Recorder()
    with progress.display(rec):
        res = train(rows, str(random_model_dir), cfg, tmp_path / "out", progress=True)
    bar = rec.bars["train"]
    assert (bar["total"], bar["n"], bar["unit"], bar["closed"]) == (2, 2, "step", True)
    # 2 steps x batch 4 = one epoch of the 8 samples: the estimate is that epoch's tokens (prompt + target)
    assert bar["tokens"] > res.supervised_tokens > 0
    assert bar["shown"]["loss"] == res.train_loss[-1][1]
