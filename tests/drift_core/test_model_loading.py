"""Model loading (drift_core/chat.py): safetensors only unless --allow-pickle, model code never runs,
and a missing model directory is named as such."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from drift_core.chat import ALLOW_PICKLE_ENV, check_model_dir, load_causal_lm, load_tokenizer
from drift_core.errors import DriftError


@pytest.fixture()
def no_pickle_env(monkeypatch):
    monkeypatch.delenv(ALLOW_PICKLE_ENV, raising=False)


@pytest.fixture(scope="module")
def pickle_model_dir(random_model_dir, tmp_path_factory):
    """The random model with its weights as pytorch_model.bin (a pickle) and no safetensors.

    transformers 5 writes safetensors whatever save_pretrained is told, so the pickle is torch.save's."""
    from transformers import AutoModelForCausalLM

    out = tmp_path_factory.mktemp("pickle_model") / "model"
    shutil.copytree(random_model_dir, out)
    model = AutoModelForCausalLM.from_pretrained(random_model_dir)
    (out / "model.safetensors").unlink()
    torch.save(model.state_dict(), out / "pytorch_model.bin")
    return out


def test_pickle_weights_are_refused_by_every_loader(pickle_model_dir, no_pickle_env):
    from drift_core.config.train import TrainConfig
    from drift_core.engines.hf import HFEngine
    from drift_core.train.run import load_model

    for load in (lambda: load_tokenizer(str(pickle_model_dir)),  # what rollout, eval and train call first
                 lambda: load_causal_lm(str(pickle_model_dir)),
                 lambda: HFEngine(str(pickle_model_dir), device="cpu"),
                 lambda: load_model(str(pickle_model_dir), TrainConfig())):
        with pytest.raises(DriftError, match=r"pytorch_model\.bin.*--allow-pickle"):
            load()


def test_allow_pickle_loads_the_same_weights(pickle_model_dir, random_model_dir, monkeypatch):
    monkeypatch.setenv(ALLOW_PICKLE_ENV, "1")
    check_model_dir(str(pickle_model_dir))
    got = load_causal_lm(str(pickle_model_dir)).state_dict()
    want = load_causal_lm(str(random_model_dir)).state_dict()
    assert got.keys() == want.keys() and all(torch.equal(got[k], want[k]) for k in want)


def test_the_cli_flag_sets_the_environment(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from cli.main import app

    monkeypatch.delenv(ALLOW_PICKLE_ENV, raising=False)  # restored (unset) after the test
    res = CliRunner().invoke(app, ["--allow-pickle", "config"])
    assert res.exit_code == 0, res.output
    import os

    assert os.environ.get(ALLOW_PICKLE_ENV) == "1"


def test_a_pickle_beside_safetensors_is_not_loaded(random_model_dir, tmp_path, no_pickle_env):
    # what the Trainer leaves next to a saved model: the safetensors weights are what loads
    d = tmp_path / "model"
    shutil.copytree(random_model_dir, d)
    (d / "training_args.bin").write_bytes(b"not even a pickle")
    (d / "pytorch_model.bin").write_bytes(b"not even a pickle")
    check_model_dir(str(d))
    load_causal_lm(str(d))


def _with_remote_code(src, dst, model_type: str):
    """A copy of src whose config.json and tokenizer_config.json point at a local module (auto_map)
    that, if imported, writes a marker file."""
    shutil.copytree(src, dst)
    marker = dst.parent / f"marker-{model_type}"
    cfg = json.loads((dst / "config.json").read_text())
    cfg["model_type"] = model_type
    cfg["auto_map"] = {"AutoConfig": "evil.EvilConfig", "AutoModelForCausalLM": "evil.EvilModel"}
    (dst / "config.json").write_text(json.dumps(cfg))
    tok = json.loads((dst / "tokenizer_config.json").read_text())
    tok["auto_map"] = {"AutoTokenizer": ["evil.EvilTokenizer", None]}
    (dst / "tokenizer_config.json").write_text(json.dumps(tok))
    (dst / "evil.py").write_text(
        "from pathlib import Path\n"
        f"Path({str(marker)!r}).write_text('the model code ran')\n"
        "from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast\n"
        f"class EvilConfig(LlamaConfig):\n    model_type = {model_type!r}\n"
        "class EvilModel(LlamaForCausalLM):\n    config_class = EvilConfig\n"
        "class EvilTokenizer(PreTrainedTokenizerFast):\n    pass\n"
    )
    return marker


def test_model_code_never_runs(random_model_dir, tmp_path, no_pickle_env):
    from transformers import LlamaForCausalLM

    from drift_core.engines.hf import HFEngine

    # a standard model_type: the standard class loads, the auto_map is ignored
    std = tmp_path / "std"
    marker = _with_remote_code(random_model_dir, std, "llama")
    load_tokenizer(str(std))
    assert type(load_causal_lm(str(std))) is LlamaForCausalLM
    HFEngine(str(std), device="cpu").close()
    assert not marker.exists()
    # a model_type only its own code knows: refused, clearly
    own = tmp_path / "own"
    marker = _with_remote_code(random_model_dir, own, "evilmodel")
    with pytest.raises(DriftError, match="never runs code from a model directory"):
        load_causal_lm(str(own))
    assert not marker.exists()


def test_a_missing_model_directory_is_named(tmp_path, no_pickle_env):
    with pytest.raises(DriftError, match=r"model directory .*/nope does not exist \(and is not a hub id"):
        load_tokenizer(str(tmp_path / "nope"))
    # a relative name that could be a hub id: offline (tests), it is named as neither
    with pytest.raises(DriftError, match="no local directory, and as a hub id it cannot be loaded"):
        load_tokenizer("no-such-org/no-such-model")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "config.json").write_text("{}")
    with pytest.raises(DriftError, match="has no weights"):
        check_model_dir(str(empty))
