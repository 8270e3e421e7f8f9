"""GPU check: the project's own figures on one CUDA device, each against its baseline in the same run.

Three parts, each time-boxed, run in this order and written to <out>/gpu_check.json after each one
(so a run cut short still leaves what it measured):

1. train: weighted SFT (drift_core.train: build_samples -> make_trainer -> WeightedSFTTrainer) of a
   Qwen2.5-0.5B-shaped Qwen2ForCausalLM built from config (random init, no hub; bf16 weights and bf16
   autocast on CUDA), padded (the reference's layout) vs packed, under sdpa and, where `flash_attn`
   imports, flash_attention_2. Figures: supervised / real / processed tokens per second, achieved
   TFLOP/s, MFU and peak GPU memory. FLOPs (model FLOPs, not kernel FLOPs):

       FLOPs = 6 * N_mm * tokens  +  12 * L * d_attn * sum_t c_t

   N_mm: weights of every matmul (all nn.Linear weights, the lm_head included, even when tied to the
   embedding; the embedding lookup, biases and norms are left out); L layers; d_attn = heads * head_dim;
   c_t: the keys token t attends to under the causal mask (its position + 1). 6 = 2 FLOPs per
   multiply-add x (forward + 2x backward); the attention term is QK^T and AV (2 * 2 * c_t * d_attn
   forward per layer, x3 for training). MFU counts the real (non-padding) tokens with c_t = position in
   the sample + 1; "MFU incl. padding" counts every position of the batch tensor (c_t = position in the
   row + 1), i.e. what the padded layout makes the GPU compute. Peak: --peak-tflops (H200/H100 dense
   bf16: 989).
2. rollout: the `hf` engine in the multi-turn loop (drift_core.multiturn.run_episodes), T=1, on the same
   Qwen2-shaped random model saved to a directory: all trajectories batched vs one trajectory at a time.
   Figure: generated tokens per second (eos included). The random model's ids beyond its small
   tokenizer decode to nothing, so every turn runs to max_new_tokens: a fixed-length decode measurement.
3. pipeline: the tiny world (size test) through prompts -> rollout -> weights -> train -> eval with the
   stage functions (drift_core.stages), on the device; multi@k of the trained model vs the reference.
   Where DuckDB does not import (the GPU machine has none unless carried), the DuckDB stages are
   replaced by documented fallbacks and the output says so: rollout = run_episodes on the hf engine,
   weights = the in-script formula of docs/design.md §1 (`drift_weights`), train = drift_core.train.train
   on the rows, eval = greedy run_episodes + multi@k in Python (also when scipy is missing). With DuckDB
   the fallback formula is also run on the stored trajectories and compared with the SQL weights.

    python -m benchmarks.gpu_check --out benchmarks/out/gpu_check              # CUDA, < 8 minutes on an H200
    python -m benchmarks.gpu_check --device cpu --tiny --out /tmp/gc            # CPU: the same code, tiny sizes
    bash benchmarks/gpu_check.sh                                                 # on the device, carried wheels

Run from the repository root (or with it on PYTHONPATH, as gpu_check.sh does): drift_core, sql/ and
configs/ are read from the checkout without an install. Tests import this package as
`benchmarks.gpu_check` (pyproject.toml puts the root on pytest's path).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import math
import os
import platform
import shutil
import sys
import time
import traceback
from collections import defaultdict
from pathlib import Path

for _k, _v in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("TOKENIZERS_PARALLELISM", "false")):
    os.environ.setdefault(_k, _v)

PARTS = ("train", "rollout", "pipeline")
# Imported by every part (drift_core.config is pydantic + yaml; chat templates need jinja2; a wrong answer is
# checked by math-verify). duckdb and scipy are optional: without them the pipeline takes its fallbacks.
REQUIRED = ("torch", "transformers", "accelerate", "pyarrow", "pydantic", "yaml", "jinja2", "tqdm", "math_verify")
OPTIONAL = ("duckdb", "scipy", "flash_attn", "peft")
H200_BF16_TFLOPS = 989.0  # dense bf16 peak of an H100/H200 SXM (no sparsity)
IGNORE = -100
T0 = time.perf_counter()


# -- FLOP accounting (unit-tested with hand-computed values) ---------------------------------------------------
def train_flops(matmul_params: int, layers: int, attn_width: int, tokens: int, context_sum: int) -> float:
    """Training FLOPs of `tokens` tokens: 6 * N_mm * tokens + 12 * L * d_attn * sum_t c_t (see the docstring)."""
    return 6.0 * matmul_params * tokens + 12.0 * layers * attn_width * context_sum


def matmul_params(model) -> int:
    """N_mm: the weights of every nn.Linear (lm_head included, counted once even when tied)."""
    import torch

    return sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Linear))


def attn_width(config) -> int:
    """d_attn = heads * head_dim (the width QK^T and AV run at; with GQA the K/V projections are narrower)."""
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    return config.num_attention_heads * head_dim


def batch_counts(inputs: dict) -> dict[str, int]:
    """Token counts of one collated batch (drift_core.train.collators layout).

    processed: every position of input_ids [B, T] (padding included); real: sample_ids >= 0;
    supervised: labels != -100; ctx_*: sum of (position + 1) over processed / real positions, the
    position being the position_ids (packed: restart per sample) or the index in the row (padded, right
    padding, so a real token's index is its position in its sample).
    """
    import torch

    ids = inputs["input_ids"]
    real = inputs["sample_ids"] >= 0
    pos = inputs.get("position_ids")
    if pos is None:
        pos = torch.arange(ids.shape[1], device=ids.device).expand_as(ids)
    ctx = pos + 1
    return {
        "processed": int(ids.numel()),
        "real": int(real.sum()),
        "supervised": int((inputs["labels"] != IGNORE).sum()),
        "ctx_processed": int(ctx.sum()),
        "ctx_real": int(ctx[real].sum()),
    }


# -- the weights fallback: docs/design.md §1, the same arithmetic as sql/returns.sql + sql/weight_rows.sql ------
def trajectory_return(turn_rewards, format_penalty, answer_norms, gamma: float, repeat_lambda: float = 0.5) -> float:
    """R = sum_t gamma^(t-1) r_t + format_penalty - repeat_penalty; a missing reward counts 0;
    repeat_penalty = lambda * max(0, 1 - distinct(non-empty answer_norms) / len(answer_norms)), 0 if none."""
    discounted = sum((r or 0.0) * math.pow(gamma, i) for i, r in enumerate(turn_rewards or []))
    norms = [a for a in (answer_norms or []) if a is not None]
    repeat = 0.0
    if norms:
        repeat = max(0.0, repeat_lambda * (1.0 - len({a for a in norms if a != ""}) / len(norms)))
    return discounted + (format_penalty or 0.0) - repeat


def drift_weights(records: list[dict], gamma: float, beta: float, repeat_lambda: float = 0.5) -> dict[tuple, float]:
    """(prompt_id, sample_idx) -> w: per prompt, s_i = R_i/beta, m = max s, w_i = exp(s_i-m) / (mean exp(s-m) + 1e-12).

    records: dicts with prompt_id, sample_idx, turn_rewards, format_penalty, answer_norms (one run).
    """
    groups: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for r in records:
        ret = trajectory_return(r["turn_rewards"], r["format_penalty"], r["answer_norms"], gamma, repeat_lambda)
        groups[r["prompt_id"]].append((r["sample_idx"], ret / beta))
    out: dict[tuple, float] = {}
    for pid, rows in groups.items():
        m = max(s for _, s in rows)
        e = [(k, math.exp(s - m)) for k, s in rows]
        mean_e = sum(x for _, x in e) / len(e)
        out.update({(pid, k): x / (mean_e + 1e-12) for k, x in e})
    return out


def episode_record(e) -> dict:
    """An Episode as the trajectories table stores what the return reads (turn_rewards padded to K)."""
    rewards = [0.0] * e.protocol.max_turns
    for t in e.turns:
        rewards[t.turn - 1] = t.reward
    return {"prompt_id": e.prompt_id, "sample_idx": e.sample_idx, "turn_rewards": rewards,
            "format_penalty": e.format_penalty, "answer_norms": list(e.answer_norms)}


# -- helpers -------------------------------------------------------------------------------------------------
def log(msg: str) -> None:
    print(f"[{time.perf_counter() - T0:6.1f}s] {msg}", flush=True)


def importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except Exception:  # ImportError, or a broken binary (a CUDA build beside a CPU torch, ...)
        return False
    return True


def environment(args) -> dict:
    import torch
    import transformers

    env = {"python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__,
           "device": args.device, "device_name": torch.cuda.get_device_name() if args.device == "cuda" else "cpu",
           "torch_threads": torch.get_num_threads(), "simulated_missing": args.hide,
           "modules": {mod: importable(mod) for mod in REQUIRED + OPTIONAL}}
    return env


def free_memory() -> None:
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def sync() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()


def peak_gib() -> float | None:
    import torch

    return torch.cuda.max_memory_allocated() / 2**30 if torch.cuda.is_available() else None


def reset_peak() -> None:
    import torch

    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()


def chat_tokenizer(work: Path):
    """The random test model's chat tokenizer (byte-level BPE, ~400 ids, eos = end of turn), built offline."""
    from drift_core.chat import load_tokenizer
    from drift_core.testing.random_model import build_random_model

    d = work / "tokenizer"
    if not (d / "tokenizer.json").exists():
        build_random_model(d)
    return load_tokenizer(str(d), padding_side="right")


def qwen2_config(tiny: bool, tokenizer):
    """Qwen2.5-0.5B's shape (vocab 151936: the lm_head costs what it costs there; ids past the tokenizer
    are never fed and decode to nothing), or a 2-layer one with the tokenizer's vocab for CPU runs."""
    from transformers import Qwen2Config

    ids = dict(pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id, bos_token_id=None,
               tie_word_embeddings=True)
    if tiny:
        return Qwen2Config(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                           num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=4096, **ids)
    return Qwen2Config(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                       num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=32768,
                       rope_theta=1_000_000.0, **ids)


def build_qwen2(config, device: str, attn: str):
    """Random init on the device itself (initialising 0.5B parameters on the CPU first takes ~20 s); bf16
    weights on CUDA, as a bf16 hub checkpoint loads in transformers 5, fp32 on CPU."""
    import torch
    from transformers import AutoModelForCausalLM, GenerationConfig

    torch.manual_seed(0)
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, attn_implementation=attn, dtype=dtype)
    model.generation_config = GenerationConfig(eos_token_id=config.eos_token_id, pad_token_id=config.pad_token_id)
    return model


# -- part 1: weighted SFT -------------------------------------------------------------------------------------
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


# -- part 2: rollout throughput ----------------------------------------------------------------------------------
def timed_episodes(engine, tok, problems, protocol, n: int, args, seed: int) -> tuple[int, int, float]:
    """(trajectories, generated tokens, seconds) of one run_episodes call at T=1."""
    from drift_core.multiturn import run_episodes

    sync()
    t0 = time.perf_counter()
    eps = run_episodes(engine, tok, problems, protocol, n=n, temperature=1.0, top_p=1.0,
                       max_new_tokens=args.max_new_tokens, seed=seed)
    sync()
    return len(eps), sum(t.completion_tokens for e in eps for t in e.turns), time.perf_counter() - t0


def part_rollout(args, work: Path, res: dict) -> None:
    from drift_core.config import PromptsConfig, ProtocolConfig
    from drift_core.engines.hf import HFEngine
    from drift_core.multiturn import Problem
    from drift_core.prompts import load_prompts

    tok = chat_tokenizer(work)
    model_dir = work / "qwen2-random"
    model = build_qwen2(qwen2_config(args.tiny, tok), args.device, "sdpa")
    res["model"] = {"class": "Qwen2ForCausalLM", "params": sum(p.numel() for p in model.parameters()),
                    "dir": str(model_dir)}
    model.save_pretrained(model_dir)
    tok.save_pretrained(model_dir)
    del model
    free_memory()
    engine = HFEngine(str(model_dir), device=args.device, batch_size=args.rollout_batch_size)
    try:
        rows = load_prompts(PromptsConfig(source="arithmetic", count=args.prompts, levels=[1, 2, 3], seed=0))
        problems = [Problem(r["prompt_id"], r["question"], r["gold"]) for r in rows]
        protocol = ProtocolConfig()
        res["settings"] = {"problems": len(problems), "n": args.n, "max_turns": protocol.max_turns,
                           "max_new_tokens": args.max_new_tokens, "temperature": 1.0,
                           "batch_size": args.rollout_batch_size}
        timed_episodes(engine, engine.tokenizer, problems[:2], protocol, 2, args, seed=999)  # warm-up, untimed
        reset_peak()
        trajs, tokens, secs = timed_episodes(engine, engine.tokenizer, problems, protocol, args.n, args, seed=0)
        res["batched"] = {"trajectories": trajs, "tokens": tokens, "seconds": secs, "tokens_per_s": tokens / secs,
                          "peak_mem_gib": peak_gib()}
        log(f"rollout: batched {tokens / secs:,.0f} tok/s ({trajs} trajectories, {secs:.1f} s)")
        # One trajectory per generate call: the same engine and loop, batching the only difference.
        timed_episodes(engine, engine.tokenizer, problems[:1], protocol, 1, args, seed=998)
        deadline = time.perf_counter() + args.seconds
        trajs = tokens = 0
        secs = 0.0
        for k in range(args.single):
            p, s = divmod(k, args.n)
            tr, tk, sc = timed_episodes(engine, engine.tokenizer, problems[p:p + 1], protocol, 1, args, seed=s)
            trajs, tokens, secs = trajs + tr, tokens + tk, secs + sc
            if time.perf_counter() > deadline:
                break  # time box: a rate needs a few trajectories, not all of them
        res["sequential"] = {"trajectories": trajs, "tokens": tokens, "seconds": secs, "tokens_per_s": tokens / secs}
        log(f"rollout: one at a time {tokens / secs:,.0f} tok/s ({trajs} trajectories, {secs:.1f} s)")
        res["ratio_batched_vs_sequential"] = res["batched"]["tokens_per_s"] / res["sequential"]["tokens_per_s"]
    finally:
        engine.close()
        free_memory()
    shutil.rmtree(model_dir, ignore_errors=True)  # ~1 GB on the GPU run


# -- part 3: the tiny world's pipeline -----------------------------------------------------------------------
def pipeline_config(args, root: Path):
    """The embedded tiny default (configs/tiny.yaml), on the chosen device, with the hf engine."""
    from drift_core.config import load_config

    sets = [f"workspace={root}", "rollout.engine=hf", "eval.engine=hf", f"rollout.device={args.device}",
            f"eval.device={args.device}", f"rollout.n={args.pipeline_n}"]
    if args.pipeline_train_steps:
        sets.append(f"train.max_steps={args.pipeline_train_steps}")
    return load_config(None, overrides=sets)


def timed(stages: dict, name: str, path: str, fn):
    """Run fn(), record its wall time and which path ran ('stage' or a fallback description)."""
    sync()
    t0 = time.perf_counter()
    out = fn()
    sync()
    stages[name] = {"path": path, "seconds": time.perf_counter() - t0}
    log(f"pipeline: {name} ({path}) {stages[name]['seconds']:.1f} s")
    return out


def part_pipeline(args, work: Path, res: dict) -> None:
    from drift_core.prompts import load_prompt_set
    from drift_core.tiny_world import build, read_card, tiny_world_dir

    root = work / "ws"
    cfg = pipeline_config(args, root)
    world = tiny_world_dir(root)
    stages: dict = {}
    res["stages"] = stages
    if args.tiny_world and read_card(args.tiny_world):
        timed(stages, "tiny_world", "copied", lambda: shutil.copytree(args.tiny_world, world, dirs_exist_ok=True))
    else:
        timed(stages, "tiny_world", "built (size test)", lambda: build(world, size="test", progress=False))
    have_db = importable("duckdb")
    have_eval = have_db and importable("scipy")
    res["skipped"] = []
    if not have_db:
        res["skipped"].append("duckdb does not import: rollout, weights and train run outside the warehouse; "
                              "weights stage skipped (no duckdb): used the in-script formula")
    if not have_eval:
        res["skipped"].append(f"eval stage skipped (no {'duckdb' if not have_db else 'scipy'}): greedy "
                              "run_episodes + multi@k in Python")
    for line in res["skipped"]:
        log(f"pipeline: {line}")
    protocol = cfg.protocol
    test_set = load_prompt_set(cfg.eval_prompts, root)
    if have_db:
        run_id, rows, model_ref = pipeline_db(cfg, root, stages, res)
    else:
        run_id, rows = pipeline_fallback(args, cfg, world, load_prompt_set(cfg.prompts, root), stages, res)
    res["rollout_tokens_per_s"] = res["rollout"]["tokens"] / stages["rollout"]["seconds"]
    out_dir = root / "models" / "gpu-check"
    if have_db:
        from drift_core.stages.train import TrainInputs, train_stage
        from drift_core.store import Workspace

        trained = timed(stages, "train", "stage", lambda: train_stage(
            Workspace(root), TrainInputs(rows, model_ref, f"{run_id}-drift"), protocol, cfg.train, out=out_dir,
            progress=False))
        tres, trained_ref = trained.result, trained.model
    else:
        from drift_core.train import train

        tres = timed(stages, "train", "fallback: drift_core.train.train on the rows", lambda: train(
            rows, str(world), cfg.train, out_dir, protocol=protocol, progress=False))
        trained_ref = None
    res["train"] = {"steps": tres.global_step, "samples": tres.samples, "supervised_tokens": tres.supervised_tokens,
                    "supervised_tokens_per_s": tres.supervised_tokens / stages["train"]["seconds"],
                    "final_loss": tres.train_loss[-1][1] if tres.train_loss else None}
    res["eval"] = {}
    for name, model in (("reference", str(world)), ("trained", str(out_dir))):
        if have_eval:
            from drift_core.stages.evaluate import evaluate_stage
            from drift_core.stages.model import ModelRef
            from drift_core.store import Workspace

            ref = ModelRef.of(model, Workspace(root)) if name == "reference" else trained_ref
            ev = timed(stages, f"eval_{name}", "stage", lambda ref=ref: evaluate_stage(
                Workspace(root), ref, test_set, protocol, cfg.eval, progress=False))
            metrics = {k: v for k, v in ev.metrics.items() if k.startswith("multi@")}
        else:
            metrics = timed(stages, f"eval_{name}", "fallback: greedy run_episodes + multi@k in Python",
                            lambda model=model: eval_fallback(cfg, model, test_set))
        res["eval"][name] = metrics
    k = f"multi@{protocol.max_turns}"
    res["multi_delta"] = {m: res["eval"]["trained"][m] - res["eval"]["reference"][m] for m in res["eval"]["trained"]}
    log(f"pipeline: {k} reference {res['eval']['reference'][k]:.3f}, trained {res['eval']['trained'][k]:.3f}")


def pipeline_db(cfg, root: Path, stages: dict, res: dict):
    """prompts -> rollout -> weights through the stage functions (DuckDB warehouse); also runs the in-script
    weights formula on the stored trajectories and records how far it is from the SQL weights."""
    import pyarrow.parquet as pq

    from drift_core.stages.model import reference_model
    from drift_core.stages.prompts import prompts_stage
    from drift_core.stages.rollout import rollout_stage
    from drift_core.stages.weights import config_rows, weights_stage
    from drift_core.store import Workspace

    ws = Workspace(root)
    prompts = timed(stages, "prompts", "stage", lambda: prompts_stage(ws, cfg.prompts))
    prompts_stage(ws, cfg.eval_prompts)
    ref = reference_model(ws, cfg.rollout)
    out = timed(stages, "rollout", "stage", lambda: rollout_stage(ws, prompts, cfg.protocol, cfg.rollout, ref,
                                                                  progress=False))
    run_id = out.run.run_id
    res["rollout"] = {"run_id": run_id, "trajectories": out.run.trajectories, "tokens": out.run.tokens,
                      "sampled_multi": out.sampled_multi}
    w = cfg.weights
    summary = timed(stages, "weights", "stage", lambda: weights_stage(ws, w, run_id))
    rows = config_rows(ws, w, run_id, runs=[run_id])  # the weighting just computed, by its whole key
    res["weights"] = {"scheme": w.scheme, "beta": w.beta, "gamma": w.gamma, "rows": rows.num_rows,
                      "mean_ess_fraction": summary.mean_ess_fraction}
    # The fallback formula on the same trajectories: guards it against drifting from the SQL.
    shards = sorted(ws.run_dir(run_id).glob("*.parquet"))
    traj = pq.ParquetDataset(shards).read(
        columns=["prompt_id", "sample_idx", "turn_rewards", "format_penalty", "answer_norms"]).to_pylist()
    mine = drift_weights(traj, w.gamma, float(w.beta), cfg.protocol.repeat_penalty_lambda)
    sql = {(p, s): x for p, s, x in zip(rows["prompt_id"].to_pylist(), rows["sample_idx"].to_pylist(),
                                        rows["weight"].to_pylist(), strict=True)}
    if set(sql) != set(mine):
        raise RuntimeError(f"fallback check: {len(sql)} SQL weights vs {len(mine)} trajectories")
    res["weights"]["fallback_max_abs_diff"] = max(abs(sql[k] - mine[k]) for k in sql)
    res["weights"]["fallback_compared"] = len(sql)
    return run_id, rows, ref


def pipeline_fallback(args, cfg, world: Path, train_set, stages: dict, res: dict):
    """Rollout and weights without DuckDB: run_episodes on the hf engine, then the in-script formula."""
    import pyarrow as pa

    from drift_core.engines.hf import HFEngine
    from drift_core.multiturn import Problem, run_episodes
    from drift_core.weight_schemes import DRIFT  # the one scheme drift_weights implements

    r, protocol = cfg.rollout, train_set.protocol(cfg.protocol)
    problems = [Problem(p["prompt_id"], p["question"], p["gold"]) for p in train_set.rows]
    stages["prompts"] = {"path": "fallback: read the tiny world's split", "seconds": 0.0}

    def rollout():
        engine = HFEngine(str(world), device=r.device, dtype=r.dtype, batch_size=r.batch_size)
        try:
            return run_episodes(engine, engine.tokenizer, problems, protocol, n=r.n, temperature=r.temperature,
                                top_p=r.top_p, max_new_tokens=r.max_new_tokens, seed=r.seed)
        finally:
            engine.close()

    eps = timed(stages, "rollout", "fallback: run_episodes on the hf engine", rollout)
    n = max(len(eps), 1)
    res["rollout"] = {"run_id": None, "trajectories": len(eps),
                      "tokens": sum(t.completion_tokens for e in eps for t in e.turns),
                      "sampled_multi": {f"multi@{k}": sum(e.t_star is not None and e.t_star <= k for e in eps) / n
                                        for k in range(1, protocol.max_turns + 1)}}
    w = cfg.weights
    if w.scheme != DRIFT.name or w.beta == "auto":
        raise RuntimeError("the weights fallback implements scheme drift with a numeric beta only")
    weights = timed(stages, "weights", "skipped (no duckdb): used the in-script formula",
                    lambda: drift_weights([episode_record(e) for e in eps], w.gamma, float(w.beta),
                                          protocol.repeat_penalty_lambda))
    rows = pa.Table.from_pylist([{"prompt_id": e.prompt_id, "sample_idx": e.sample_idx, "messages": e.messages,
                                  "weight": weights[(e.prompt_id, e.sample_idx)]} for e in eps])
    ess = []
    by_prompt = defaultdict(list)
    for (pid, _), x in weights.items():
        by_prompt[pid].append(x)
    for xs in by_prompt.values():
        ess.append(sum(xs) ** 2 / max(sum(x * x for x in xs), 1e-300) / len(xs))
    res["weights"] = {"scheme": w.scheme, "beta": w.beta, "gamma": w.gamma, "rows": rows.num_rows,
                      "mean_ess_fraction": sum(ess) / len(ess), "fallback": True}
    return None, rows


def eval_fallback(cfg, model: str, test_set) -> dict[str, float]:
    """Greedy episodes (one per problem) on the hf engine; multi@k = share solved within k turns."""
    from drift_core.engines.hf import HFEngine
    from drift_core.multiturn import Problem, run_episodes
    from drift_core.tiny_world.card import episode_metrics

    e, protocol = cfg.eval, test_set.protocol(cfg.protocol)
    engine = HFEngine(model, device=e.device, dtype=e.dtype, batch_size=e.batch_size)
    try:
        problems = [Problem(p["prompt_id"], p["question"], p["gold"]) for p in test_set.rows]
        eps = run_episodes(engine, engine.tokenizer, problems, protocol, n=1, temperature=e.temperature,
                           top_p=e.top_p, max_new_tokens=e.max_new_tokens, seed=e.seed)
    finally:
        engine.close()
    return {k: v for k, v in episode_metrics(eps, protocol.max_turns).items() if k.startswith("multi@")}


# -- output --------------------------------------------------------------------------------------------------
def fmt(x, spec: str = ",.0f") -> str:
    return "n/a" if x is None else format(x, spec)


def print_train(res: dict) -> None:
    m = res["model"]
    d = res["data"]
    print(f"\n== weighted SFT: {m['class']} {m['params'] / 1e6:.1f}M parameters "
          f"(N_mm {m['matmul_params'] / 1e6:.1f}M), {m['dtype']}; {d['samples']} samples, "
          f"length p10/p50/p90 {d['sample_tokens_p10_p50_p90']}")
    print(f"   FLOPs = {res['flop_formula']}; peak {fmt(res['peak_tflops'], '.4g')} TFLOP/s")
    head = ("layout / attn", "supervised tok/s", "real tok/s", "processed tok/s", "TFLOP/s", "MFU", "MFU incl pad",
            "peak GiB", "steps", "s")
    print("   " + " | ".join(head))
    for name, r in res["runs"].items():
        mfu = None if r["mfu"] is None else 100 * r["mfu"]
        mfu_p = None if r["mfu_incl_padding"] is None else 100 * r["mfu_incl_padding"]
        print(f"   {name:<22} | {fmt(r['supervised_tokens_per_s'])} | {fmt(r['real_tokens_per_s'])} | "
              f"{fmt(r['processed_tokens_per_s'])} | {fmt(r['tflops_per_s'], '.3g')} | {fmt(mfu, '.3g')}% | "
              f"{fmt(mfu_p, '.3g')}% | {fmt(r['peak_mem_gib'], '.2f')} | {r['steps_timed']} | {r['seconds']:.1f}")
    for k, v in res["ratios"].items():
        print(f"   {k}: {v:.2f}x")
    if "flash_attention_2" in res:
        print(f"   flash_attention_2: {res['flash_attention_2']}")


def print_rollout(res: dict) -> None:
    s = res["settings"]
    print(f"\n== rollout (hf engine, multi-turn loop): {res['model']['params'] / 1e6:.1f}M-parameter random Qwen2, "
          f"{s['problems']} problems x n={s['n']}, max_new_tokens {s['max_new_tokens']}, T=1")
    for name in ("batched", "sequential"):
        r = res[name]
        print(f"   {name:<10} | {fmt(r['tokens_per_s'])} generated tok/s | {r['trajectories']} trajectories | "
              f"{r['tokens']} tokens | {r['seconds']:.1f} s")
    print(f"   batched / one at a time: {res['ratio_batched_vs_sequential']:.1f}x")


def print_pipeline(res: dict) -> None:
    print("\n== tiny world pipeline: prompts -> rollout -> weights -> train -> eval")
    for name, st in res["stages"].items():
        print(f"   {name:<16} {st['seconds']:7.1f} s   {st['path']}")
    for line in res["skipped"]:
        print(f"   NOTE: {line}")
    print(f"   rollout: {res['rollout']['trajectories']} trajectories, {fmt(res['rollout_tokens_per_s'])} generated "
          f"tok/s (stage wall time, model load included)")
    w = res["weights"]
    extra = (f"; fallback formula vs SQL: max |diff| {w['fallback_max_abs_diff']:.2e} over {w['fallback_compared']}"
             if "fallback_max_abs_diff" in w else "")
    print(f"   weights: {w['rows']} rows, mean ESS/n {fmt(w['mean_ess_fraction'], '.3f')}{extra}")
    t = res["train"]
    print(f"   train: {t['steps']} steps, {fmt(t['supervised_tokens_per_s'])} supervised tok/s (stage wall time)")
    print("   metric     | reference | trained | delta")
    for k in res["eval"]["trained"]:
        print(f"   {k:<10} | {res['eval']['reference'][k]:9.3f} | {res['eval']['trained'][k]:7.3f} | "
              f"{res['multi_delta'][k]:+.3f}")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", choices=["auto", "cuda", "cpu"], default="auto")
    ap.add_argument("--tiny", action="store_true", help="Tiny sizes for a CPU run (a 2-layer model, few steps).")
    ap.add_argument("--out", default="benchmarks/out/gpu_check", help="Folder for gpu_check.json.")
    ap.add_argument("--workdir", help="Scratch folder (default: <out>/work, removed at the end).")
    ap.add_argument("--parts", default=",".join(PARTS), help="Comma list of train, rollout, pipeline.")
    ap.add_argument("--budget", type=float, default=420.0, help="Seconds for the whole run; a part that would "
                    "start after it is skipped (the H200 limit is 8 minutes including start-up).")
    ap.add_argument("--seconds", type=float, default=None, help="Time box of each timed loop (train layout, "
                    "one-at-a-time rollout); default 40 (GPU) / 8 (tiny).")
    ap.add_argument("--peak-tflops", type=float, default=H200_BF16_TFLOPS,
                    help="Peak TFLOP/s the MFU divides by (H200 dense bf16: 989; 0: no MFU).")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch CPU threads (0: torch's default; default 1 on CPU, where two threads on the shared "
                    "2-core machine ran up to 10x slower and erratic, as in bench_rollout.py).")
    ap.add_argument("--no-duckdb", action="store_true", help="Act as if duckdb were missing (the fallback path).")
    ap.add_argument("--tiny-world", help="A built tiny world (size test) to copy instead of building one.")
    ap.add_argument("--preflight", action="store_true", help="Only report which modules import, then exit.")
    # sizes; None = the GPU or the --tiny default below
    for name, kind in (("train-samples", int), ("batch-size", int), ("pack-tokens", int), ("pack-tokens-flash", int),
                       ("train-steps", int), ("warmup-steps", int), ("max-prompt-length", int),
                       ("max-completion-length", int), ("prompts", int), ("n", int), ("single", int),
                       ("max-new-tokens", int), ("rollout-batch-size", int), ("pipeline-n", int),
                       ("pipeline-train-steps", int)):
        ap.add_argument(f"--{name}", type=kind, default=None)
    args = ap.parse_args(argv)
    gpu = dict(seconds=40.0, train_samples=1024, batch_size=8, pack_tokens=4096, pack_tokens_flash=16384,
               train_steps=60, warmup_steps=3, max_prompt_length=2048, max_completion_length=1024, prompts=32, n=8,
               single=8, max_new_tokens=64, rollout_batch_size=256, pipeline_n=8, pipeline_train_steps=0)
    tiny = dict(seconds=8.0, train_samples=64, batch_size=4, pack_tokens=512, pack_tokens_flash=512, train_steps=12,
                warmup_steps=2, max_prompt_length=256, max_completion_length=64, prompts=4, n=4, single=2,
                max_new_tokens=8, rollout_batch_size=64, pipeline_n=4, pipeline_train_steps=4)
    for k, v in (tiny if args.tiny else gpu).items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    # Only duckdb can be hidden this way: transformers probes scipy etc. with find_spec, which raises on a
    # None entry in sys.modules; nothing probes duckdb, so hiding it is what a machine without it sees.
    args.hide = ["duckdb"] if args.no_duckdb else []
    args.parts = [p for p in args.parts.split(",") if p]
    bad = sorted(set(args.parts) - set(PARTS))
    if bad:
        ap.error(f"unknown part(s) {', '.join(bad)}; choose from {', '.join(PARTS)}")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    for mod in args.hide:
        sys.modules[mod] = None  # `import mod` now raises ImportError, as on a machine without it
    if args.device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # before torch initialises CUDA: the Trainer would pick the GPU
    import torch

    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda: CUDA is not available")
    if args.threads is None:
        args.threads = 1 if args.device == "cpu" else 0
    if args.threads:
        torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(args.workdir) if args.workdir else out / "work"
    work.mkdir(parents=True, exist_ok=True)
    env = environment(args)
    result: dict = {"environment": env, "args": vars(args), "parts": {}, "errors": {}}
    log(f"gpu_check on {env['device_name']} (python {env['python']}, torch {env['torch']}, transformers "
        f"{env['transformers']}); " + ", ".join(f"{m} {'yes' if ok else 'NO'}" for m, ok in env["modules"].items()))
    missing = [m for m in REQUIRED if not env["modules"][m]]
    if missing or args.preflight:
        (out / "gpu_check.json").write_text(json.dumps(result, indent=2, default=str))
    if missing:
        log(f"missing required module(s) {', '.join(missing)}: fetch wheels with benchmarks/gpu_check_wheels.sh "
            "and run through benchmarks/gpu_check.sh")
        return 2
    if args.preflight:
        return 0
    runners = {"train": (part_train, print_train), "rollout": (part_rollout, print_rollout),
               "pipeline": (part_pipeline, print_pipeline)}
    for part in args.parts:
        if time.perf_counter() - T0 > args.budget:
            result["errors"][part] = f"skipped: the {args.budget:.0f} s budget is spent"
            log(result["errors"][part])
            continue
        res: dict = {}
        result["parts"][part] = res
        t0 = time.perf_counter()
        try:
            runners[part][0](args, work, res)
            res["wall_seconds"] = time.perf_counter() - t0
            runners[part][1](res)
        except Exception:  # one failed part must not cost the others their device time
            result["errors"][part] = traceback.format_exc()
            log(f"{part} FAILED:\n{result['errors'][part]}")
        result["wall_seconds"] = time.perf_counter() - T0
        (out / "gpu_check.json").write_text(json.dumps(result, indent=2, default=str))
        free_memory()
    if not args.workdir:
        with contextlib.suppress(OSError):
            shutil.rmtree(work)
    log(f"done in {time.perf_counter() - T0:.1f} s; figures in {out / 'gpu_check.json'}")
    return 1 if result["errors"] else 0
