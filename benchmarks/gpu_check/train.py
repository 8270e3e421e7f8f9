"""Part 1, train: weighted SFT (drift_core.train: build_samples -> make_trainer -> WeightedSFTTrainer) of the
Qwen2.5-0.5B-shaped model (bf16 weights and bf16 autocast on CUDA), padded (the reference's layout) vs packed,
under sdpa and, where `flash_attn` imports, flash_attention_2. Figures: supervised / real / processed tokens
per second, achieved TFLOP/s, MFU (FLOPs: benchmarks/gpu_check/flops.py) and peak GPU memory. Peak:
--peak-tflops (H200/H100 dense bf16: 989).
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

from benchmarks.gpu_check.device import free_memory, peak_gib, reset_peak, sync
from benchmarks.gpu_check.env import importable
from benchmarks.gpu_check.flops import attn_width, batch_counts, matmul_params, train_flops
from benchmarks.gpu_check.log import log
from benchmarks.gpu_check.model import build_qwen2, chat_tokenizer, qwen2_config


def train_layout(args, work: Path, tok, samples, layout: str, attn: str) -> dict:
    """Train one (layout, attention) combination for --train-steps steps or --seconds; the figures of the
    steps after the first --warmup-steps."""
    from transformers import TrainerCallback

    from drift_core.config.train import TrainConfig
    from drift_core.train.run import make_trainer
    from drift_core.train.trainer import WeightedSFTTrainer

    config = qwen2_config(args.tiny, tok)
    model = build_qwen2(config, args.device, attn)
    model.config.use_cache = False
    packed = layout == "packed"
    cfg = TrainConfig(learning_rate=1e-5, warmup_ratio=0.0, weight_decay=0.0, gradient_accumulation_steps=1,
                      per_device_train_batch_size=1 if packed else args.batch_size, packing=packed,
                      packing_max_tokens=args.pack_tokens if "flash" not in attn else args.pack_tokens_flash,
                      max_steps=args.train_steps, save_steps=10**9, logging_steps=10**6, bf16="auto",
                      attn_implementation=attn, shuffle=True, seed=0)
    counts = defaultdict(int)

    class Counting(WeightedSFTTrainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            for k, v in batch_counts(inputs).items():
                counts[k] += v
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)

    marks: list[tuple[float, dict]] = []  # (wall s, counters) at the end of each optimizer step
    deadline = time.perf_counter() + args.seconds

    class Clock(TrainerCallback):
        def on_step_end(self, a, state, control, **kw):
            sync()  # CUDA runs ahead of Python: the step is over when the device says so
            marks.append((time.perf_counter(), dict(counts)))
            if time.perf_counter() > deadline and len(marks) > max(args.warmup_steps, 1) + 1:
                control.should_training_stop = True  # time box: enough steps timed, stop here

    trainer = make_trainer(model, tok, samples, cfg, work / f"train-{layout}-{attn}", progress=False)
    trainer.__class__ = Counting  # the same trainer, its loss wrapped by the counter
    trainer.add_callback(Clock())
    reset_peak()
    trainer.train()
    warm = max(args.warmup_steps, 1)  # the first step is never timed: it holds CUDA / allocator start-up
    if len(marks) <= warm:
        raise RuntimeError(f"{layout}/{attn}: only {len(marks)} steps ran, need more than {warm} warm-up steps")
    (t0, c0), (t1, c1) = marks[warm - 1], marks[-1]
    secs = t1 - t0
    d = {k: c1[k] - c0[k] for k in c1}
    n_mm, layers, width = matmul_params(model), config.num_hidden_layers, attn_width(config)
    useful = train_flops(n_mm, layers, width, d["real"], d["ctx_real"])
    processed = train_flops(n_mm, layers, width, d["processed"], d["ctx_processed"])
    peak = args.peak_tflops * 1e12 if args.peak_tflops else None
    out = {
        "layout": layout, "attn": attn, "steps_timed": len(marks) - warm, "seconds": secs,
        "supervised_tokens_per_s": d["supervised"] / secs, "real_tokens_per_s": d["real"] / secs,
        "processed_tokens_per_s": d["processed"] / secs, "padding_share": 1 - d["real"] / max(d["processed"], 1),
        "tflops_per_s": useful / secs / 1e12, "tflops_per_s_incl_padding": processed / secs / 1e12,
        "mfu": useful / secs / peak if peak else None,
        "mfu_incl_padding": processed / secs / peak if peak else None,
        "peak_mem_gib": peak_gib(), "pack_tokens": cfg.packing_max_tokens if packed else None,
    }
    del trainer, model
    free_memory()
    return out


def part_train(args, work: Path, res: dict) -> None:
    import torch

    from benchmarks.bench_train import weighted_rows  # trajectories like a rollout's: 1-5 turns, log-normal lengths
    from drift_core.train.data import build_samples

    tok = chat_tokenizer(work)
    samples = build_samples(weighted_rows(args.train_samples), tok, prefill="<answer>", target="last",
                            max_prompt_length=args.max_prompt_length, max_completion_length=args.max_completion_length)
    lengths = sorted(len(s) for s in samples)
    config = qwen2_config(args.tiny, tok)
    with torch.device("meta"):  # shapes only, for the parameter counts
        from transformers import AutoModelForCausalLM

        shape_model = AutoModelForCausalLM.from_config(config)
    res["model"] = {
        "class": "Qwen2ForCausalLM", "params": sum(p.numel() for p in shape_model.parameters()),
        "matmul_params": matmul_params(shape_model), "layers": config.num_hidden_layers,
        "hidden": config.hidden_size, "heads": config.num_attention_heads, "kv_heads": config.num_key_value_heads,
        "intermediate": config.intermediate_size, "vocab": config.vocab_size, "attn_width": attn_width(config),
        "dtype": "bf16 weights + bf16 autocast" if args.device == "cuda" else "fp32",
    }
    res["data"] = {"samples": len(samples), "sample_tokens_p10_p50_p90": [lengths[len(lengths) * q // 10] for q in
                                                                          (1, 5, 9)],
                   "padded_batch_samples": args.batch_size}
    res["flop_formula"] = ("6 * N_mm * tokens + 12 * L * d_attn * sum_t (position_t + 1); N_mm = nn.Linear weights "
                           "incl. lm_head; MFU = FLOPs of real tokens / s / peak")
    res["peak_tflops"] = args.peak_tflops
    del shape_model
    attns = ["sdpa"]
    if args.device == "cuda" and importable("flash_attn"):
        attns.append("flash_attention_2")
    else:
        res["flash_attention_2"] = "skipped: flash_attn does not import" if args.device == "cuda" else "skipped: CPU"
    res["runs"] = {}
    for attn in attns:
        for layout in ("padded", "packed"):
            log(f"train: {layout} / {attn} ...")
            r = train_layout(args, work, tok, samples, layout, attn)
            res["runs"][f"{layout}-{attn}"] = r
            log(f"train: {layout} / {attn}: {r['supervised_tokens_per_s']:,.0f} supervised tok/s, "
                f"{r['steps_timed']} steps in {r['seconds']:.1f} s")
    res["ratios"] = {}
    for attn in attns:
        pad, pk = res["runs"][f"padded-{attn}"], res["runs"][f"packed-{attn}"]
        res["ratios"][f"packed/padded {attn} supervised tok/s"] = pk["supervised_tokens_per_s"] / pad[
            "supervised_tokens_per_s"]
    if len(attns) > 1:
        for layout in ("padded", "packed"):
            a, b = res["runs"][f"{layout}-flash_attention_2"], res["runs"][f"{layout}-sdpa"]
            res["ratios"][f"flash/sdpa {layout} supervised tok/s"] = a["supervised_tokens_per_s"] / b[
                "supervised_tokens_per_s"]
