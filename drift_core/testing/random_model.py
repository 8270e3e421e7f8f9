"""A randomly initialised Llama-class chat model with a real BPE tokenizer, built offline in ~1 s.

Used by tests and benchmarks that need a real transformers model but not a good one.
"""

from __future__ import annotations

from pathlib import Path


def build_tokenizer(corpus: list[str], vocab_size: int = 400):
    """Byte-level BPE (any text encodes) wrapped as PreTrainedTokenizerFast with a chat template; digits
    are not split (unlike the tiny world's), the answer / think tags are added tokens."""
    from drift_core.tiny_world.tokenizer import TAGS, chat_bpe_tokenizer

    return chat_bpe_tokenizer(corpus, vocab_size, split_digits=False, added_tokens=list(TAGS))


def build_random_model(out: str | Path, seed: int = 0, hidden: int = 32, layers: int = 2) -> Path:
    """Save a random Llama chat model + tokenizer to `out`; returns the directory."""
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    from drift_core.config.protocol import ProtocolConfig
    from drift_core.episode import initial_messages

    out = Path(out)
    p = ProtocolConfig()
    corpus = [m["content"] for m in initial_messages("What is 12 + 7?", p)]
    corpus += [p.feedback_incorrect, "<answer> 19 </answer>", "0123456789 + - * = ?"] * 5
    tok = build_tokenizer(corpus)
    torch.manual_seed(seed)
    cfg = LlamaConfig(
        vocab_size=len(tok),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        tie_word_embeddings=True,
        pad_token_id=tok.pad_token_id,
        eos_token_id=tok.eos_token_id,
        bos_token_id=None,
    )
    model = LlamaForCausalLM(cfg)
    model.generation_config = GenerationConfig(eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out
