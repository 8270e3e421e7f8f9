"""benchmarks/gpu_check/: its FLOP and weight formulas by hand, and the whole script on the CPU (--tiny),
with DuckDB (the stages) and without (the fallbacks), so it is known to work before GPU time is spent."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from benchmarks import gpu_check

REPO = Path(__file__).resolve().parents[2]


def test_train_flops_by_hand():
    # 6 * N_mm * tokens + 12 * L * d_attn * sum(c_t) = 6*1232*10 + 12*2*8*55 = 73,920 + 10,560
    assert gpu_check.train_flops(1232, 2, 8, 10, 55) == 84_480


def test_matmul_params_by_hand():
    import torch
    from transformers import AutoModelForCausalLM, Qwen2Config

    cfg = Qwen2Config(vocab_size=10, hidden_size=8, intermediate_size=16, num_hidden_layers=2, num_attention_heads=2,
                      num_key_value_heads=1, tie_word_embeddings=True)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(cfg)
    # per layer: q 8*8 + k 8*4 + v 8*4 + o 8*8 (head_dim 4, one kv head) + gate/up/down 3*8*16 = 576;
    # 2 layers = 1152; + lm_head 10*8 = 80 (tied to the embedding, counted once as the matmul it is)
    assert gpu_check.matmul_params(model) == 1232
    assert gpu_check.attn_width(cfg) == 8


def test_qwen_half_billion_shape():
    import torch
    from transformers import AutoModelForCausalLM

    class Tok:  # what qwen2_config reads from a tokenizer
        pad_token_id, eos_token_id = 0, 1

    cfg = gpu_check.qwen2_config(False, Tok())
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(cfg)
    # Qwen2.5-0.5B: per layer 896*896*2 (q, o) + 896*128*2 (k, v: 2 kv heads of 64) + 3*896*4864 = 14,909,440;
    # x 24 = 357,826,560; + lm_head 151936*896 = 136,134,656
    assert gpu_check.matmul_params(model) == 493_961_216
    assert 490e6 < sum(p.numel() for p in model.parameters()) < 500e6


def test_batch_counts_padded_and_packed():
    from drift_core.train.collators import PackingCollator, PaddingCollator
    from drift_core.train.data import Sample

    a = Sample([1, 2], [3], 1.0)  # 3 tokens, 1 supervised
    b = Sample([1, 2, 3], [4, 5], 0.5)  # 5 tokens, 2 supervised
    padded = gpu_check.batch_counts(PaddingCollator(pad_token_id=0)([a, b]))
    # [2, 5] tensor: 10 positions, 8 real; context: every row 1+..+5 = 15 -> 30; real: (1+2+3) + 15 = 21
    assert padded == {"processed": 10, "real": 8, "supervised": 3, "ctx_processed": 30, "ctx_real": 21}
    packed = gpu_check.batch_counts(PackingCollator()([[a, b]]))
    # one row of 8, positions 0..2 then 0..4: no padding, context 6 + 15
    assert packed == {"processed": 8, "real": 8, "supervised": 3, "ctx_processed": 21, "ctx_real": 21}


def test_trajectory_return_by_hand():
    r = gpu_check.trajectory_return
    # solved at turn 2: 0.9^1 = 0.9; one format slip -0.1; two distinct answers of two -> no repeat penalty
    assert r([0, 1, 0, 0, 0], -0.1, ["3", "4"], 0.9) == pytest.approx(0.8, abs=1e-12)
    # never solved, one answer three times: repeat = 0.5 * (1 - 1/3)
    assert r([0, 0, 0, 0, 0], 0.0, ["3", "3", "3"], 0.9) == pytest.approx(-1 / 3, abs=1e-12)
    # NULL reward counts 0; '' is no distinct answer but counts in the length: 0.9 - 0.1 - 0.5 * (1 - 1/2)
    assert r([None, 1], -0.1, ["", "5"], 0.9) == pytest.approx(0.55, abs=1e-12)
    assert r(None, -0.5, [], 0.9) == pytest.approx(-0.5, abs=1e-12)  # no answers: no repeat penalty


def test_drift_weights_by_hand():
    recs = [
        {"prompt_id": "p", "sample_idx": 0, "turn_rewards": [0, 1, 0, 0, 0], "format_penalty": -0.1,
         "answer_norms": ["3", "4"]},  # R = 0.8
        {"prompt_id": "p", "sample_idx": 1, "turn_rewards": [0] * 5, "format_penalty": 0.0,
         "answer_norms": ["3", "3", "3"]},  # R = -1/3
        {"prompt_id": "q", "sample_idx": 0, "turn_rewards": [0] * 5, "format_penalty": -0.5, "answer_norms": []},
    ]
    w = gpu_check.drift_weights(recs, gamma=0.9, beta=0.5)
    # beta 0.5: s = 1.6 and -2/3, m = 1.6, e = 1 and exp(-34/15); w = e / mean(e) (+1e-12, negligible here)
    e = math.exp(-34 / 15)
    assert w[("p", 0)] == pytest.approx(2 / (1 + e), rel=1e-9)
    assert w[("p", 1)] == pytest.approx(2 * e / (1 + e), rel=1e-9)
    assert (w[("p", 0)] + w[("p", 1)]) / 2 == pytest.approx(1.0, abs=1e-9)  # each prompt's weights average 1
    assert w[("q", 0)] == pytest.approx(1.0, abs=1e-9)  # a prompt of one trajectory


def run_script(tmp_path: Path, *args: str, timeout: int = 240) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # the checkout, as gpu_check.sh sets it
    return subprocess.run([sys.executable, "-m", "benchmarks.gpu_check", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=tmp_path)


def finite_positive(x) -> bool:
    return isinstance(x, int | float) and math.isfinite(x) and x > 0


@pytest.mark.slow
def test_cpu_tiny_run_every_part(tmp_path, tiny_world_dir):
    """All three parts on the CPU; the pipeline through the real stages (DuckDB is installed here)."""
    out = tmp_path / "out"
    proc = run_script(tmp_path, "--device", "cpu", "--tiny", "--out", str(out), "--tiny-world", str(tiny_world_dir),
                      "--peak-tflops", "0.1")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    res = json.loads((out / "gpu_check.json").read_text())
    assert res["errors"] == {}
    assert set(res["parts"]) == {"train", "rollout", "pipeline"}

    train = res["parts"]["train"]
    assert set(train["runs"]) == {"padded-sdpa", "packed-sdpa"}  # no flash-attention on a CPU
    for r in train["runs"].values():
        for k in ("supervised_tokens_per_s", "real_tokens_per_s", "processed_tokens_per_s", "tflops_per_s", "mfu",
                  "mfu_incl_padding", "seconds"):
            assert finite_positive(r[k]), (k, r[k])
        assert r["peak_mem_gib"] is None  # CUDA memory only: n/a on a CPU
        assert r["steps_timed"] >= 1
    pad = train["runs"]["padded-sdpa"]
    assert pad["processed_tokens_per_s"] > pad["real_tokens_per_s"]  # padding counts as processed, not as real
    assert finite_positive(train["ratios"]["packed/padded sdpa supervised tok/s"])

    ro = res["parts"]["rollout"]
    for k in ("batched", "sequential"):
        assert finite_positive(ro[k]["tokens_per_s"]) and ro[k]["trajectories"] >= 1
    assert finite_positive(ro["ratio_batched_vs_sequential"])

    pipe = res["parts"]["pipeline"]
    assert pipe["skipped"] == []
    for stage in ("prompts", "rollout", "weights", "train", "eval_reference", "eval_trained"):
        assert pipe["stages"][stage]["path"] == "stage", stage
    # the fallback formula on the stored trajectories equals the SQL weights
    assert pipe["weights"]["fallback_compared"] == pipe["rollout"]["trajectories"] > 0
    assert pipe["weights"]["fallback_max_abs_diff"] < 1e-9
    assert finite_positive(pipe["rollout_tokens_per_s"]) and finite_positive(pipe["train"]["supervised_tokens_per_s"])
    for model in ("reference", "trained"):
        ks = pipe["eval"][model]
        assert set(ks) == {f"multi@{k}" for k in range(1, 6)}
        assert all(0.0 <= v <= 1.0 for v in ks.values())
        assert list(ks.values()) == sorted(ks.values())  # solved within k turns only grows with k


@pytest.mark.slow
def test_cpu_tiny_pipeline_without_duckdb(tmp_path, tiny_world_dir):
    """--no-duckdb makes `import duckdb` fail, as on the GPU machine: the fallbacks run and say so."""
    out = tmp_path / "out"
    proc = run_script(tmp_path, "--device", "cpu", "--tiny", "--no-duckdb", "--parts", "pipeline", "--out", str(out),
                      "--tiny-world", str(tiny_world_dir))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "weights stage skipped (no duckdb): used the in-script formula" in proc.stdout
    assert "eval stage skipped (no duckdb)" in proc.stdout
    res = json.loads((out / "gpu_check.json").read_text())
    assert res["errors"] == {} and res["environment"]["modules"]["duckdb"] is False
    pipe = res["parts"]["pipeline"]
    for stage in ("rollout", "weights", "train", "eval_reference", "eval_trained"):
        assert pipe["stages"][stage]["path"] != "stage", stage
    assert pipe["weights"]["fallback"] is True and pipe["weights"]["rows"] == pipe["rollout"]["trajectories"] > 0
    assert 0 < pipe["weights"]["mean_ess_fraction"] <= 1
    assert pipe["train"]["steps"] >= 1
    assert all(0.0 <= v <= 1.0 for v in pipe["eval"]["trained"].values())


def make_wheel(folder: Path, name: str, version: str) -> Path:
    """A minimal pure-Python wheel: one module and the .dist-info importlib.metadata reads."""
    whl = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w") as z:
        z.writestr(f"{name}/__init__.py", "VALUE = 7\n")
        z.writestr(f"{name}-{version}.dist-info/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        z.writestr(f"{name}-{version}.dist-info/WHEEL",
                   "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    return whl


@pytest.mark.slow
def test_wrapper_unpacks_missing_wheels_once(tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    make_wheel(wheels, "drift_probe_pkg", "1.0")
    env = {**os.environ, "PYTHON": sys.executable, "GPU_WHEELS": str(wheels), "GPU_SITE": str(tmp_path / "site"),
           "OUT": str(tmp_path / "out")}
    cmd = ["bash", str(REPO / "benchmarks" / "gpu_check.sh"), "--preflight"]
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=180)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "drift_probe_pkg missing -> unpacked drift_probe_pkg-1.0-py3-none-any.whl" in first.stdout
    assert (tmp_path / "site" / "drift_probe_pkg" / "__init__.py").is_file()
    env_json = json.loads((tmp_path / "out" / "gpu_check.json").read_text())["environment"]
    assert env_json["modules"]["duckdb"] is True  # the preflight's module report
    second = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=180)
    assert second.returncode == 0
    assert "drift_probe_pkg 1.0 present; drift_probe_pkg-1.0-py3-none-any.whl not needed" in second.stdout
