"""weight_sum across processes: 2 CPU processes (gloo, DDP) give the 1-process gradient of the same global batch.

docs/training.md "Gradient accumulation and processes": with R processes, rank r's loss is
    R * sum_{i in r} w_i nll_i / W,   W = sum of the weights of ALL ranks (all-reduced),
and DDP averages gradients over ranks, so the gradient is that of sum_all w_i nll_i / W: the 1-process loss.
"""

from __future__ import annotations

import time

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from transformers import AutoModelForCausalLM

from drift_core.train.collators import PaddingCollator
from drift_core.train.data import Sample
from drift_core.train.trainer import batch_loss

# global batch of 4; rank 0 gets the first two (sum w = 2.5), rank 1 the last two (sum w = 5.0)
SAMPLES = [
    Sample([3, 17, 40, 41, 42, 9], [50, 51, 52, 1], 2.0),
    Sample([3, 18, 60], [61, 1], 0.5),
    Sample([3, 19, 70, 71, 72, 73, 74, 75], [76, 77, 78, 79, 1], 1.0),
    Sample([3, 20, 80, 81], [82, 83, 1], 4.0),
]


def load(path):
    return AutoModelForCausalLM.from_pretrained(path, attn_implementation="sdpa").train(False)


def grads_and_loss(model, samples, normalize):
    model.zero_grad()
    loss = batch_loss(model, PaddingCollator(0)(samples), normalize)[0]
    loss.backward()
    named = model.module.named_parameters() if hasattr(model, "module") else model.named_parameters()
    return loss.detach(), {n: p.grad.detach().clone() for n, p in named}


def _worker(rank: int, world: int, init_file: str, model_dir: str, out_dir: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    model = torch.nn.parallel.DistributedDataParallel(load(model_dir))
    mine = SAMPLES[2 * rank:2 * rank + 2]
    out = {}
    for normalize in ("weight_sum", "mean"):
        loss, grads = grads_and_loss(model, mine, normalize)  # backward all-reduces (averages) the grads
        losses = [torch.zeros(()) for _ in range(world)]
        dist.all_gather(losses, loss)
        out[normalize] = (torch.stack(losses), grads)
    if rank == 0:
        torch.save(out, f"{out_dir}/rank0.pt")
    dist.barrier()
    del model  # the DDP reducer before its process group (the other way round, a forked child was seen to hang)
    dist.destroy_process_group()


@pytest.mark.slow
def test_weight_sum_on_two_processes_equals_one_process(random_model_dir, tmp_path):
    # fork, as DataLoader workers do: no re-import of transformers (~10 s a child with spawn). A forked child
    # must stay on ONE torch thread (the parent's OpenMP pool does not survive the fork; 2 threads hang).
    ctx = mp.start_processes(_worker, args=(2, str(tmp_path / "init"), str(random_model_dir), str(tmp_path)),
                             nprocs=2, join=False, start_method="fork")
    deadline = time.monotonic() + 120
    while not ctx.join(timeout=1):
        if time.monotonic() > deadline:
            for proc in ctx.processes:
                proc.kill()
            pytest.fail("the 2-process run did not finish within 120 s")
    two = torch.load(tmp_path / "rank0.pt")

    model = load(random_model_dir)
    for normalize in ("weight_sum", "mean"):
        loss, grads = grads_and_loss(model, SAMPLES, normalize)  # one process, the whole global batch
        rank_losses, grads2 = two[normalize]
        # the mean of the ranks' losses is the global loss: weight_sum sum_all w nll / 7.5; mean: the two
        # halves have 2 samples each, so the average of their means is the mean over all 4
        assert rank_losses.mean().item() == pytest.approx(loss.item(), abs=1e-5)
        for n, g in grads.items():
            torch.testing.assert_close(grads2[n], g, atol=1e-5, rtol=1e-5)

    # guard: normalising each rank by its OWN weight sum (no all-reduce) would give another gradient:
    # mean over ranks of sum_r w nll / W_r, here W_0 = 2.5, W_1 = 5.0, not the global 7.5
    _, whole = grads_and_loss(model, SAMPLES, "weight_sum")
    _, g0 = grads_and_loss(model, SAMPLES[:2], "weight_sum")
    _, g1 = grads_and_loss(model, SAMPLES[2:], "weight_sum")
    assert max(float(((g0[n] + g1[n]) / 2 - whole[n]).abs().max()) for n in whole) > 1e-4
