"""Weighted SFT throughput: packing vs the reference's right-padding collator.

Same weighted dataset (multi-turn trajectories with a realistic length spread), same model, same
Trainer subclass; only the batch layout differs. Reports supervised (loss-bearing) tokens per second,
their ratio (target >= 1.5x), and peak memory of each layout (each runs in its own process, so
peaks do not mix). On CUDA the model is a ~0.5B-parameter Qwen2-class model built from config in
bf16, and model FLOPs utilisation is printed too.

    .venv/bin/python benchmarks/bench_train.py            # CPU: small Llama, ~2 minutes
    .venv/bin/python benchmarks/bench_train.py --samples 2048 --pack-tokens 16384   # a GPU
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.peak_memory import peak_rss_bytes  # noqa: E402  (the repo, on sys.path from the line above)

WORDS = ["so", "we", "add", "the", "carry", "then", "check", "the", "sum", "again", "because", "digits",
         "line", "up", "and", "result", "follows", "from", "previous", "step"]


def weighted_rows(n: int, seed: int = 0):
    """Trajectories like a rollout's: 1-5 turns, answers whose lengths are log-normal (median ~30
    words, clipped at 300), DRIFT-like weights (most near 0 or ~1, a few large)."""
    import pyarrow as pa

    from drift_core.config.protocol import ProtocolConfig
    from drift_core.episode import initial_messages

    rng = random.Random(seed)
    p = ProtocolConfig()

    def answer() -> str:
        k = min(300, max(1, int(rng.lognormvariate(math.log(30), 0.9))))
        return "<answer>" + " ".join(rng.choice(WORDS) for _ in range(k)) + "</answer>"

    rows = []
    for _ in range(n):
        a, b = rng.randint(10, 999), rng.randint(10, 999)
        msgs = initial_messages(f"What is {a} + {b}?", p)
        turns = min(5, 1 + int(rng.expovariate(0.8)))
        for t in range(turns):
            if t:
                msgs.append({"role": "user", "content": p.feedback_incorrect})
            msgs.append({"role": "assistant", "content": answer()})
        w = rng.choice([0.0, 0.0, 1e-4, 1.0, 1.0, 2.0, 4.0])
        rows.append({"messages": msgs, "weight": w})
    return pa.Table.from_pylist(rows)


def build_model(cuda: bool, tokenizer_dir: Path):
    """CUDA: Qwen2.5-0.5B-shaped Qwen2 from config, bf16. CPU: a small Llama (fp32), ~9M parameters."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    if cuda:
        cfg = Qwen2Config(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                          num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=32768,
                          tie_word_embeddings=True)
        impl = "sdpa"
        try:
            import flash_attn  # noqa: F401

            impl = "flash_attention_2"
        except ImportError:
            pass
        cfg._attn_implementation = impl
        return Qwen2ForCausalLM(cfg).to(dtype=torch.bfloat16, device="cuda")
    # CPU: a small Llama whose attention/MLP cost ratio is like a real model's (d=512, ff=4d);
    # a very narrow model would make attention, not padding, the cost that matters.
    cfg = LlamaConfig(vocab_size=512, hidden_size=512, intermediate_size=2048, num_hidden_layers=2,
                      num_attention_heads=8, num_key_value_heads=8, max_position_embeddings=4096,
                      tie_word_embeddings=True)
    cfg._attn_implementation = "sdpa"
    return LlamaForCausalLM(cfg)


def run_mode(args) -> dict:
    """Train one layout in this process; returns its figures."""
    import torch
    from transformers import TrainerCallback

    from drift_core.chat import load_tokenizer
    from drift_core.config.train import TrainConfig
    from drift_core.testing.random_model import build_random_model
    from drift_core.train.data import build_samples
    from drift_core.train.run import make_trainer
    from drift_core.train.trainer import WeightedSFTTrainer

    cuda = torch.cuda.is_available()
    work = Path(args.workdir)
    tok_dir = work / "tok"
    if not (tok_dir / "tokenizer.json").exists():
        build_random_model(tok_dir)
    tok = load_tokenizer(str(tok_dir), padding_side="right")
    samples = build_samples(weighted_rows(args.samples), tok, prefill="<answer>", target="last",
                            max_prompt_length=2048, max_completion_length=1024)
    model = build_model(cuda, tok_dir)
    params = sum(p.numel() for p in model.parameters())
    cfg = TrainConfig(learning_rate=1e-5, warmup_ratio=0.0, per_device_train_batch_size=args.batch_size,
                      gradient_accumulation_steps=1, packing=args.mode == "packed",
                      packing_max_tokens=args.pack_tokens, save_steps=10**9, logging_steps=10**6,
                      bf16=cuda, shuffle=True, seed=0)
    if args.mode == "packed":
        cfg.per_device_train_batch_size = 1

    counts = {"supervised": 0, "computed": 0, "attn": 0}

    class Counting(WeightedSFTTrainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            counts["supervised"] += int((inputs["labels"] != -100).sum())
            real = inputs["sample_ids"] >= 0
            counts["computed"] += int(real.sum())
            # attention FLOPs scale with each token's context length (its position within its sample)
            pos = inputs["position_ids"] if "position_ids" in inputs else real.long().cumsum(-1) - 1
            counts["attn"] += int((pos + 1)[real].sum())
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)

    marks: list[tuple[float, float, dict]] = []  # (wall s, process CPU s, token counters) at each step end

    class Clock(TrainerCallback):
        def on_step_end(self, a, state, control, **kw):
            if cuda:
                torch.cuda.synchronize()
            marks.append((time.perf_counter(), time.process_time(), dict(counts)))

    trainer = make_trainer(model, tok, samples, cfg, work / args.mode, progress=False)
    trainer.__class__ = Counting  # same object, counting loss wrapper
    trainer.add_callback(Clock())
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    trainer.train()
    (t0, cpu0, c0), (t1, cpu1, c1) = marks[args.warmup_steps - 1], marks[-1]
    secs = t1 - t0
    sup = c1["supervised"] - c0["supervised"]
    lengths = sorted(len(s) for s in samples)
    out = {
        "mode": args.mode,
        "sample_tokens_p10_p50_p90": [lengths[len(lengths) * q // 10] for q in (1, 5, 9)],
        "device": torch.cuda.get_device_name() if cuda else "cpu",
        "params": params,
        "steps_timed": len(marks) - args.warmup_steps,
        "seconds": secs,
        "supervised_tokens_per_s": sup / secs,
        # process CPU time, for reference only: spinning OpenMP threads inflate it under contention
        "cpu_seconds": cpu1 - cpu0,
        "computed_tokens_per_s": (c1["computed"] - c0["computed"]) / secs,
        "peak_mem_gib": (torch.cuda.max_memory_allocated() if cuda
                         else peak_rss_bytes()) / 2**30,
    }
    if cuda:
        c = model.config
        dense = params - c.vocab_size * c.hidden_size  # tied embedding counted once, via the lm_head
        flops = 6 * dense * (c1["computed"] - c0["computed"]) + 6 * 2 * c.num_hidden_layers * c.hidden_size * (
            c1["attn"] - c0["attn"])  # 6N per token + causal attention (QK^T and AV, fwd+bwd)
        peak = float(os.environ.get("PEAK_TFLOPS", 989)) * 1e12  # H100/H200 dense bf16
        out["mfu"] = flops / secs / peak
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=None, help="training samples (default: 96 CPU, 2048 GPU)")
    ap.add_argument("--batch-size", type=int, default=8, help="samples per padded batch (reference layout)")
    ap.add_argument("--pack-tokens", type=int, default=None,
                    help="tokens per packed row (default: 512 CPU, 4096 CUDA, 16384 with flash-attn)")
    ap.add_argument("--warmup-steps", type=int, default=2, help="steps excluded from timing")
    ap.add_argument("--mode", choices=["padded", "packed"], help=argparse.SUPPRESS)
    ap.add_argument("--workdir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.mode:  # child process: one layout
        print("RESULT " + json.dumps(run_mode(args)), flush=True)
        return
    import torch

    cuda = torch.cuda.is_available()
    args.samples = args.samples or (2048 if cuda else 96)
    if not args.pack_tokens:
        # without flash-attention varlen a packed row pays full T x T attention: keep rows short
        try:
            import flash_attn  # noqa: F401

            varlen = cuda
        except ImportError:
            varlen = False
        args.pack_tokens = 16384 if varlen else (4096 if cuda else 512)
    results = {}
    with tempfile.TemporaryDirectory() as work:
        for mode in ("padded", "packed"):
            cmd = [sys.executable, __file__, "--mode", mode, "--workdir", work, "--samples", str(args.samples),
                   "--batch-size", str(args.batch_size), "--pack-tokens", str(args.pack_tokens),
                   "--warmup-steps", str(args.warmup_steps)]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
            if proc.returncode or not line:
                sys.exit(f"{mode} run failed:\n{proc.stderr[-3000:]}")
            results[mode] = json.loads(line[-1][7:])
    pad, pk = results["padded"], results["packed"]
    print(f"device: {pad['device']}; model: {pad['params'] / 1e6:.1f}M parameters; {args.samples} samples; "
          f"padded batch {args.batch_size} samples, packed rows of {args.pack_tokens} tokens; "
          f"sample length p10/p50/p90 {pad['sample_tokens_p10_p50_p90']} tokens")
    for r in (pad, pk):
        mfu = f", MFU {100 * r['mfu']:.1f}%" if "mfu" in r else ""
        print(f"{r['mode']:>7}: {r['supervised_tokens_per_s']:10,.0f} supervised tok/s "
              f"({r['computed_tokens_per_s']:,.0f} computed tok/s), peak memory {r['peak_mem_gib']:.2f} GiB, "
              f"{r['steps_timed']} steps in {r['seconds']:.1f} s{mfu}")
    ratio = pk["supervised_tokens_per_s"] / pad["supervised_tokens_per_s"]
    print(f"packing / padding: {ratio:.2f}x wall-clock (target >= 1.5x)")


if __name__ == "__main__":
    main()
