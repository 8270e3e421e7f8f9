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
    from drift_core.config.protocol import ProtocolConfig
    from drift_core.episode import initial_messages
    from drift_core.tiny_world.pretrain import chat_llama

    out = Path(out)
    p = ProtocolConfig()
    corpus = [m["content"] for m in initial_messages("What is 12 + 7?", p)]
    corpus += [p.feedback_incorrect, "<answer> 19 </answer>", "0123456789 + - * = ?"] * 5
    tok = build_tokenizer(corpus)
    model = chat_llama(tok, hidden=hidden, intermediate=hidden * 2, layers=layers, heads=2, seed=seed)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    return out
