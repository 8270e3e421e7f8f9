"""The model every part measures: a Qwen2.5-0.5B-shaped Qwen2ForCausalLM built from config (random init,
no hub) with the random test model's chat tokenizer."""

from __future__ import annotations

from pathlib import Path


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
