"""Loading a model's tokenizer and rendering episodes with its chat template."""

from __future__ import annotations

from pathlib import Path

from drift_core.errors import DriftError


def load_tokenizer(model: str, padding_side: str = "left"):
    """AutoTokenizer for `model` with a pad token; errors name the directory when it is unusable."""
    from transformers import AutoTokenizer

    local = Path(model)
    if local.exists() and not local.is_dir():
        raise DriftError(f"model path {model} is a file; expected a model directory or a hub id")
    if local.is_dir() and not any(
        (local / f).exists() for f in ("tokenizer.json", "tokenizer_config.json", "tokenizer.model")
    ):
        raise DriftError(f"model directory {model} has no tokenizer (tokenizer.json / tokenizer_config.json)")
    try:
        tok = AutoTokenizer.from_pretrained(model)
    except OSError as exc:
        raise DriftError(f"cannot load a tokenizer from {model}: {exc}") from exc
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
