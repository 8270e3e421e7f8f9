"""GPU check: the project's own figures on one CUDA device, each against its baseline in the same run.

Three parts, each time-boxed, run in this order and written to <out>/gpu_check.json after each one
(so a run cut short still leaves what it measured), on a Qwen2.5-0.5B-shaped random model built from config:

1. train: weighted SFT, padded vs packed, sdpa vs flash_attention_2: tokens/s, TFLOP/s, MFU, peak memory.
2. rollout: the hf engine in the multi-turn loop, all trajectories batched vs one at a time: tokens/s.
3. pipeline: the tiny world through prompts -> rollout -> weights -> train -> eval; without DuckDB (or
   scipy) through documented fallbacks, and the output says so.

    python -m benchmarks.gpu_check --out benchmarks/out/gpu_check              # CUDA, < 8 minutes on an H200
    python -m benchmarks.gpu_check --device cpu --tiny --out /tmp/gc            # CPU: the same code, tiny sizes
    bash benchmarks/gpu_check.sh                                                 # on the device, carried wheels

One module per responsibility:
    cli          the flags, the GPU and --tiny default sizes
    run          main: the device, the environment report, each part in its budget, gpu_check.json
    env          the machine's facts and which modules import
    device       CUDA synchronisation and peak memory (no-ops on the CPU)
    log          progress lines stamped with the seconds since the start
    model        the Qwen2-shaped random model and its chat tokenizer
    flops        part 1's FLOP accounting (the formula and its terms)
    train        part 1, weighted SFT
    rollout      part 2, rollout throughput
    pipeline     part 3, the tiny world's pipeline; pipeline_db its DuckDB stages, fallback its fallbacks,
                 timed each stage's clock
    weights      the weights fallback (docs/design.md §1)
    report       the printed summary of each part

Run from the repository root (or with it on PYTHONPATH, as gpu_check.sh does): drift_core, sql/ and
configs/ are read from the checkout without an install. Tests import this package as
`benchmarks.gpu_check` (pyproject.toml puts the root on pytest's path) and use the names re-exported here.
"""

import os

# Before any module of the check imports transformers: the device has no network.
for _k, _v in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("TOKENIZERS_PARALLELISM", "false")):
    os.environ.setdefault(_k, _v)

from benchmarks.gpu_check.flops import attn_width, batch_counts, matmul_params, train_flops  # noqa: E402
from benchmarks.gpu_check.model import qwen2_config  # noqa: E402
from benchmarks.gpu_check.run import main  # noqa: E402
from benchmarks.gpu_check.weights import drift_weights, trajectory_return  # noqa: E402

__all__ = ["attn_width", "batch_counts", "drift_weights", "main", "matmul_params", "qwen2_config", "train_flops",
           "trajectory_return"]
