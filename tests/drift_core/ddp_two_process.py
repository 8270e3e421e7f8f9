"""The 2-process half of tests/drift_core/test_train_distributed.py, run as a script in a fresh process:
`python ddp_two_process.py MODEL_DIR OUT_DIR` forks 2 gloo workers (DDP) and writes rank 0's losses and
gradients to OUT_DIR/rank0.pt. A fresh, single-threaded parent makes the fork safe (forking the test
process, which runs server threads by then, crashed a worker in the full suite).

weight_sum across processes: 2 CPU processes (gloo, DDP) give the 1-process gradient of the same global batch.

docs/training.md "Gradient accumulation and processes": with R processes, rank r's loss is
    R * sum_{i in r} w_i nll_i / W,   W = sum of the weights of ALL ranks (all-reduced),
and DDP averages gradients over ranks, so the gradient is that of sum_all w_i nll_i / W: the 1-process loss.
"""

from __future__ import annotations

import sys

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


def main(model_dir: str, out_dir: str) -> None:
    torch.set_num_threads(1)
    # fork: no re-import of transformers per child (~10 s each with spawn); children stay on one torch thread
    mp.start_processes(_worker, args=(2, f"{out_dir}/init", model_dir, out_dir), nprocs=2, join=True,
                       start_method="fork")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
