"""weight_sum across processes: 2 CPU processes (gloo, DDP) give the 1-process gradient of the same global batch.

docs/training.md "Gradient accumulation and processes": with R processes, rank r's loss is
    R * sum_{i in r} w_i nll_i / W,   W = sum of the weights of ALL ranks (all-reduced),
and DDP averages gradients over ranks, so the gradient is that of sum_all w_i nll_i / W: the 1-process loss.
The two processes run in a fresh subprocess (tests/drift_core/ddp_two_process.py).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).with_name("ddp_two_process.py")
_spec = importlib.util.spec_from_file_location("ddp_two_process", SCRIPT)
ddp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ddp)


@pytest.mark.slow
def test_weight_sum_on_two_processes_equals_one_process(random_model_dir, tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run([sys.executable, str(SCRIPT), str(random_model_dir), str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-4000:]
    two = torch.load(tmp_path / "rank0.pt")

    model = ddp.load(random_model_dir)
    for normalize in ("weight_sum", "mean"):
        loss, grads = ddp.grads_and_loss(model, ddp.SAMPLES, normalize)  # one process, the whole global batch
        rank_losses, grads2 = two[normalize]
        # the mean of the ranks' losses is the global loss: weight_sum sum_all w nll / 7.5; mean: the two
        # halves have 2 samples each, so the average of their means is the mean over all 4
        assert rank_losses.mean().item() == pytest.approx(loss.item(), abs=1e-5)
        for n, g in grads.items():
            torch.testing.assert_close(grads2[n], g, atol=1e-5, rtol=1e-5)

    # guard: normalising each rank by its OWN weight sum (no all-reduce) would give another gradient:
    # mean over ranks of sum_r w nll / W_r, here W_0 = 2.5, W_1 = 5.0, not the global 7.5
    _, whole = ddp.grads_and_loss(model, ddp.SAMPLES, "weight_sum")
    _, g0 = ddp.grads_and_loss(model, ddp.SAMPLES[:2], "weight_sum")
    _, g1 = ddp.grads_and_loss(model, ddp.SAMPLES[2:], "weight_sum")
    assert max(float(((g0[n] + g1[n]) / 2 - whole[n]).abs().max()) for n in whole) > 1e-4
