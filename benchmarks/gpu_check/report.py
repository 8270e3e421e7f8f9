"""The human-readable summary of each part, printed after its figures are in gpu_check.json."""

from __future__ import annotations


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
