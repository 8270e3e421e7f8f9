"""Loading a model (its tokenizer, its weights) and rendering episodes with its chat template.

Every model load in drift goes through here (engines, training, evaluation). Two rules hold for all:
- weights are read from safetensors only: pickle formats (`pytorch_model.bin`, `*.pt`, `*.pth`,
  `*.pkl`, `*.ckpt`) can run code when unpickled, so they are refused with an error naming the file,
  unless the environment has DRIFT_ALLOW_PICKLE=1 (what `drift --allow-pickle ...` sets);
- code shipped with a model (`auto_map` in config.json / tokenizer_config.json) never runs:
  `trust_remote_code=False` is passed explicitly (left unset, transformers asks on a terminal).
"""

from __future__ import annotations

import os
from pathlib import Path

from drift_core.errors import DriftError

ALLOW_PICKLE_ENV = "DRIFT_ALLOW_PICKLE"
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")
NOT_WEIGHTS = ("training_args.bin",)  # the Trainer's pickled arguments beside a saved model: never loaded


def pickle_allowed() -> bool:
    """True when DRIFT_ALLOW_PICKLE is 1/true/yes (set by `drift --allow-pickle`)."""
    return os.environ.get(ALLOW_PICKLE_ENV, "").strip().lower() in ("1", "true", "yes")


def check_model_dir(model: str) -> None:
    """A local model directory must exist and hold safetensors weights (pickle ones only when allowed);
    anything that is not a directory must be a hub id. Errors say what to do."""
    local = Path(model).expanduser()
    if local.exists() and not local.is_dir():
        raise DriftError(f"model path {model} is a file; expected a model directory or a hub id")
    if not local.exists():
        from huggingface_hub.utils import HFValidationError, validate_repo_id

        try:
            validate_repo_id(model)
        except HFValidationError:
            raise DriftError(
                f"model directory {model} does not exist (and is not a hub id such as Qwen/Qwen2.5-3B-Instruct); "
                "check the --model path or the config's rollout.model"
            ) from None
        return  # a hub id: from_pretrained(use_safetensors=True) refuses a repo without safetensors
    if any(local.glob("*.safetensors")):
        return
    pickles = sorted(f.name for f in local.iterdir() if f.suffix in PICKLE_SUFFIXES and f.name not in NOT_WEIGHTS)
    if pickles and not pickle_allowed():
        raise DriftError(
            f"model directory {model} holds weights only in a pickle format ({pickles[0]}), which can run code "
            "when loaded; convert them to safetensors (model.save_pretrained), or, if you trust the files, "
            f"pass --allow-pickle (drift --allow-pickle <command>) or set {ALLOW_PICKLE_ENV}=1"
        )
    if not pickles and (local / "config.json").exists():
        raise DriftError(f"model directory {model} has no weights (no *.safetensors file)")


def load_kwargs() -> dict:
    """from_pretrained arguments every model load uses: safetensors only unless allowed, no model code."""
    return {"use_safetensors": None if pickle_allowed() else True, "trust_remote_code": False}


def load_causal_lm(model: str, **kwargs):
    """AutoModelForCausalLM.from_pretrained(model) under the rules above; errors name the model."""
    from transformers import AutoModelForCausalLM

    check_model_dir(model)
    try:
        return AutoModelForCausalLM.from_pretrained(model, **load_kwargs(), **kwargs)
    except OSError as exc:
        hint = "" if pickle_allowed() else " (only safetensors weights are read unless --allow-pickle)"
        raise DriftError(f"cannot load a causal LM from {model}: {exc}{hint}") from exc
    except ValueError as exc:
        raise DriftError(_remote_code_error(model, exc)) from exc


def _remote_code_error(model: str, exc: Exception) -> str:
    if "custom code" in str(exc) or "trust_remote_code" in str(exc):
        return (f"model {model} needs its own Python code (auto_map in its config); drift never runs code from a "
                "model directory (trust_remote_code stays off): use a model of a class transformers ships")
    return f"cannot load model {model}: {exc}"


def load_tokenizer(model: str, padding_side: str = "left"):
    """AutoTokenizer for `model` with a pad token; errors name the directory when it is unusable (the
    directory's weights are checked here too, so every stage fails before any work)."""
    from transformers import AutoTokenizer

    check_model_dir(model)
    local = Path(model)
    if local.is_dir() and not any(
        (local / f).exists() for f in ("tokenizer.json", "tokenizer_config.json", "tokenizer.model")
    ):
        raise DriftError(f"model directory {model} has no tokenizer (tokenizer.json / tokenizer_config.json)")
    try:
        tok = AutoTokenizer.from_pretrained(model, trust_remote_code=False)
    except OSError as exc:
        if not local.exists():
            raise DriftError(f"model {model} is no local directory, and as a hub id it cannot be loaded: "
                             f"{str(exc).strip().splitlines()[0]}") from exc
        raise DriftError(f"cannot load a tokenizer from {model}: {exc}") from exc
    except ValueError as exc:
        raise DriftError(_remote_code_error(model, exc)) from exc
    if not getattr(tok, "chat_template", None):
        raise DriftError(
            f"model {model} has no chat template; the episode protocol needs one "
            "(set tokenizer.chat_template and save_pretrained)"
        )
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    tok.padding_side = padding_side
    return tok


def render(tokenizer, messages: list[dict[str, str]], prefill: str = "") -> str:
    """Chat-template text of `messages` with the generation prompt, then the prefill."""
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    return text + prefill
