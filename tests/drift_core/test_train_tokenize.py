"""drift_core.train.data.token_ids: prompt and target tokenized apart (the project) or together (the reference's
collator, train.tokenize 'joint'). At the boundary the reference's profile puts them (the assistant header, then
the stored message with its prefill) the two give the same ids for the chat templates the project ships and
documents; where they differ, 'joint' gives the reference's (docs/reference-parity.md)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from drift_core.chat import load_tokenizer, render
from drift_core.config import load_config
from drift_core.episode import initial_messages
from drift_core.resources import configs_dir, worlds_dir
from drift_core.train.data import build_samples, token_ids

PROFILE = load_config(configs_dir() / "reference.yaml")

# Qwen2's pre-tokenizer split (the model configs/qwen2.5-3b.yaml trains) and Qwen2.5's ChatML template for a
# conversation with a system message: which pieces can merge across the boundary depends on the split alone.
QWEN2_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+"
               r"|\s+(?!\S)|\s+")
CHATML = ("{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
          "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")

# Assistant messages as the profile stores them: parsed, rebuilt from empty tags, raw (no tags), chat tokens kept.
STORED = [
    "<think>2 and 3 make 5</think><answer>5</answer>",
    "<think></think><answer></answer>",
    "<think>x</think><answer>||</answer>",
    "<think>\nlet me see\n</think><answer>4</answer>",
    "<think>no tags at all",
    "<think> spaced <|im_end|> out",
]


def chatml_tokenizer():
    """A byte-level BPE with Qwen2's split and ChatML template, trained offline on protocol text."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    corpus = [m["content"] for m in initial_messages("What is 2 + 3?", PROFILE.protocol)] + STORED
    corpus += ["<|im_start|>assistant\n<think>\nI add 2 and 3.\n</think>\n<answer>5</answer>"] * 20
    trainer = trainers.BpeTrainer(vocab_size=500, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(corpus, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    fast.chat_template = CHATML
    return fast


@pytest.fixture(scope="module", params=["random-model", "world-arithmetic", "world-choice", "chatml"])
def tok(request, random_model_dir):
    if request.param == "chatml":
        return chatml_tokenizer()
    if request.param == "random-model":
        return load_tokenizer(str(random_model_dir))
    return load_tokenizer(str(worlds_dir() / request.param.removeprefix("world-")))


def rows(tok_) -> pa.Table:
    ctx = initial_messages("What is 2 + 3?", PROFILE.protocol)
    out = []
    for i, content in enumerate(STORED):
        msgs = ctx + [{"role": "assistant", "content": STORED[i - 1]},
                      {"role": "user", "content": PROFILE.protocol.feedback_incorrect}] if i else list(ctx)
        out.append({"messages": msgs + [{"role": "assistant", "content": content}], "weight": 1.0})
    return pa.Table.from_pylist(out)


def samples(tok_, tokenize: str, train_prefill: bool = True):
    t = PROFILE.train
    return build_samples(rows(tok_), tok_, prefill="<think>", target="last", max_prompt_length=t.max_prompt_length,
                         max_completion_length=t.max_completion_length, train_prefill=train_prefill,
                         tokenize=tokenize)


def reference_split(tok_, messages: list[dict]) -> tuple[list[int], list[int]]:
    """The reference's collator restated: the prompt (up to the assistant header) + the stored message + the eos
    text tokenized as one text; the first as many tokens as the prompt alone has carry no loss."""
    prompt = tok_.apply_chat_template(messages[:-1], tokenize=False, add_generation_prompt=True)
    ids = tok_(prompt + messages[-1]["content"] + tok_.eos_token).input_ids
    n = len(tok_(prompt).input_ids)
    return ids[:n], ids[n:]


def test_the_profile_tokenizes_like_the_reference(tok):
    assert PROFILE.train.tokenize == "joint" and PROFILE.train.train_prefill
    joint, apart = samples(tok, "joint"), samples(tok, "apart")
    assert len(joint) == len(STORED)
    for row, s, a in zip(rows(tok).to_pylist(), joint, apart, strict=True):
        assert (s.prompt_ids, s.target_ids) == reference_split(tok, row["messages"])
        # at this boundary (assistant header | '<think>') no token spans it: apart gives the same ids
        assert (a.prompt_ids, a.target_ids) == (s.prompt_ids, s.target_ids)


def test_apart_and_joint_can_differ_and_joint_is_the_references():
    tok_ = chatml_tokenizer()
    messages = initial_messages("What is 2 + 3?", PROFILE.protocol)
    prompt = render(tok_, messages, "<think>")  # the prefill left in the prompt (train_prefill false)
    apart, joint = token_ids(tok_, prompt, "\nI add 2 and 3.", "apart"), token_ids(tok_, prompt, "\nI add 2 and 3.",
                                                                                   "joint")
    assert apart != joint  # '>' + '\n' is one token of the joint text: it counts as prompt there
    assert tok_.decode(joint[0]).endswith("<think>\n") and tok_.decode(apart[0]).endswith("<think>")
    ids = tok_(prompt + "\nI add 2 and 3.").input_ids
    assert joint[0] + joint[1] == ids and len(joint[0]) == len(tok_(prompt).input_ids)
