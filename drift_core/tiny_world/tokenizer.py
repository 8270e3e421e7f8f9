"""The tiny world's tokenizer: byte-level BPE, digits one token each, protocol strings one token each.

Why: a sub-million-parameter model learns arithmetic in minutes only when the protocol's long fixed
strings cost one position each and every digit is its own token (docs/design.md §7). Any other text still
encodes (byte-level), so a changed protocol or a hub prompt file works, just less efficiently.
"""

from __future__ import annotations

from drift_core.config.protocol import ProtocolConfig
from drift_core.episode import initial_messages

CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>{{ message['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
EOS = "<|end|>"
PAD = "<pad>"
# Special: dropped by decode(skip_special_tokens=True); the role headers and end of turn.
SPECIAL = [PAD, EOS, "<|system|>", "<|user|>", "<|assistant|>"]
# Tags stay normal added tokens so that decoded completions keep them (the answer parser reads them).
TAGS = ["<answer>", "</answer>", "<think>", "</think>"]
QUESTION_PIECES = ["What is ", " + ", " - ", " * ", "?"]


def protocol_pieces(protocol: ProtocolConfig | None = None) -> list[str]:
    """The fixed strings of the first two messages and the feedback, split around the problem text."""
    p = protocol or ProtocolConfig()
    marker = "\x00QUESTION\x00"
    system, user = (m["content"] for m in initial_messages(marker, p))
    before, after = user.split(marker)
    return [system, before, after, p.feedback_incorrect]


def build_tokenizer(corpus: list[str], vocab_size: int = 320, protocol: ProtocolConfig | None = None,
                    extra_pieces: tuple[str, ...] = ()):
    """PreTrainedTokenizerFast with the chat template, eos '<|end|>' and pad '<pad>'; `protocol`'s fixed
    strings and `extra_pieces` (a world's own: drift_core/worlds, e.g. the choice world's option labels) are
    single tokens."""
    from tokenizers import AddedToken

    # Longest match wins among added tokens, so the format line (which contains '<answer>') stays one token.
    pieces = TAGS + protocol_pieces(protocol) + QUESTION_PIECES + list(extra_pieces)
    added = [AddedToken(t, normalized=False) for t in pieces]
    return chat_bpe_tokenizer(corpus, vocab_size, split_digits=True, added_tokens=added)


def chat_bpe_tokenizer(corpus: list[str], vocab_size: int, *, split_digits: bool, added_tokens: list):
    """Byte-level BPE trained on `corpus` (any text encodes) as a PreTrainedTokenizerFast with the chat
    template, SPECIAL tokens, eos '<|end|>' and pad '<pad>', then `added_tokens` (strings or AddedToken).
    Also builds the random test model's tokenizer (drift_core.testing.random_model)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False)
    # Split digits one by one before byte-level BPE, so no merge ever spans two digits.
    tok.pre_tokenizer = (
        pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), byte_level])
        if split_digits else byte_level
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, eos_token=EOS, pad_token=PAD, bos_token=None, unk_token=None
    )
    fast.add_tokens(added_tokens)
    fast.chat_template = CHAT_TEMPLATE
    return fast
