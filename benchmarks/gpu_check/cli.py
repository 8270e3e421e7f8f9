"""The command line: flags, the GPU and --tiny default sizes, and the parts to run."""

from __future__ import annotations

import argparse

# --help's description: the package docstring's first line.
DESCRIPTION = "GPU check: the project's own figures on one CUDA device, each against its baseline in the same run."
PARTS = ("train", "rollout", "pipeline")
H200_BF16_TFLOPS = 989.0  # dense bf16 peak of an H100/H200 SXM (no sparsity)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=DESCRIPTION)
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
