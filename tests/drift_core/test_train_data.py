"""drift_core.train.data and collators: train-time text equals rollout-time text; batches are exact."""

from __future__ import annotations

import pyarrow as pa
import pytest
import torch

from drift_core.chat import load_tokenizer, render
from drift_core.config.protocol import ProtocolConfig
from drift_core.episode import initial_messages
from drift_core.errors import DriftError
from drift_core.train.collators import IGNORE, PackingCollator, PaddingCollator
from drift_core.train.data import Sample, build_samples, pack

P = ProtocolConfig()


def traj(*answers: str) -> list[dict]:
    """System + user, then assistant answers separated by the feedback message."""
    msgs = initial_messages("What is 2 + 3?", P)
    for i, a in enumerate(answers):
        if i:
            msgs.append({"role": "user", "content": P.feedback_incorrect})
        msgs.append({"role": "assistant", "content": a})
    return msgs


@pytest.fixture(scope="module")
def tok(random_model_dir):
    return load_tokenizer(str(random_model_dir), padding_side="right")


def samples(tok, rows, **kw):
    opts = dict(prefill="<answer>", target="last", max_prompt_length=10_000, max_completion_length=10_000)
    return build_samples(pa.Table.from_pylist(rows), tok, **{**opts, **kw})


def test_last_target_is_what_the_model_generated(tok):
    msgs = traj("<answer>4</answer>", "<answer>5</answer>")
    (s,) = samples(tok, [{"messages": msgs, "weight": 2.5}])
    # prompt: everything before the last assistant message, rendered as at rollout, plus the prefill
    assert tok.decode(s.prompt_ids) == render(tok, msgs[:-1], "<answer>")
    # target: the rest of the stored message, then eos (the model's stop token)
    assert tok.decode(s.target_ids) == "5</answer>" + tok.eos_token
    assert s.target_ids[-1] == tok.eos_token_id and s.weight == 2.5


def test_all_targets_share_the_trajectory_weight(tok):
    msgs = traj("<answer>4</answer>", "<answer>5</answer>")
    first, second = samples(tok, [{"messages": msgs, "weight": 0.5}], target="all")
    assert tok.decode(first.prompt_ids) == render(tok, msgs[:2], "<answer>")
    assert tok.decode(first.target_ids) == "4</answer>" + tok.eos_token
    assert tok.decode(second.prompt_ids) == render(tok, msgs[:-1], "<answer>")
    assert first.weight == second.weight == 0.5


def test_unparseable_turn_and_imported_text_without_prefill(tok):
    (raw,) = samples(tok, [{"messages": traj("<answer>five"), "weight": 1.0}])
    assert tok.decode(raw.target_ids) == "five" + tok.eos_token  # stored raw text keeps the prefill
    (plain,) = samples(tok, [{"messages": traj("The answer is 5"), "weight": 1.0}])
    assert tok.decode(plain.prompt_ids) == render(tok, traj("x")[:-1])  # no prefill was given
    assert tok.decode(plain.target_ids) == "The answer is 5" + tok.eos_token


def test_train_prefill_moves_the_prefill_from_prompt_to_target(tok):
    """The reference's label mask: -100 up to the assistant header, loss on '<answer>5</answer>' + eos."""
    msgs = traj("<answer>4</answer>", "<answer>5</answer>")
    row = [{"messages": msgs, "weight": 1.0}]
    (given,) = samples(tok, row)  # default: '<answer>' is prompt (the engine was given it)
    (trained,) = samples(tok, row, train_prefill=True)
    header = render(tok, msgs[:-1])  # chat template up to '<|im_start|>assistant\n', no prefill
    assert tok.decode(given.prompt_ids) == header + "<answer>"
    assert tok.decode(trained.prompt_ids) == header
    # by hand: n_p = tokens of the header alone; then labels = the stored message's tokens, then eos
    ids = lambda text: tok(text, add_special_tokens=False).input_ids  # noqa: E731
    n_p = len(ids(header))
    labels = PaddingCollator(tok.pad_token_id)([trained])["labels"][0].tolist()
    assert labels == [IGNORE] * n_p + ids("<answer>5</answer>") + [tok.eos_token_id]
    labels = PaddingCollator(tok.pad_token_id)([given])["labels"][0].tolist()
    assert labels == [IGNORE] * len(ids(header + "<answer>")) + ids("5</answer>") + [tok.eos_token_id]
    assert tok.decode([t for t in labels if t != IGNORE]) == "5</answer>" + tok.eos_token


def test_left_truncation_keeps_the_end_of_the_prompt(tok):
    msgs = traj("<answer>5</answer>")
    (full,) = samples(tok, [{"messages": msgs, "weight": 1.0}])
    (cut,) = samples(tok, [{"messages": msgs, "weight": 1.0}], max_prompt_length=7, max_completion_length=2)
    assert cut.prompt_ids == full.prompt_ids[-7:]
    assert cut.target_ids == full.target_ids[:2]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"messages": traj("<answer>1</answer>")}], "lack column"),
        ([], "empty training set"),
        ([{"messages": traj("<answer>1</answer>"), "weight": -1.0}], "row 0: weight"),
        ([{"messages": traj("<answer>1</answer>"), "weight": float("nan")}], "row 0: weight"),
        ([{"messages": initial_messages("q", P), "weight": 1.0}], "has an assistant message"),
    ],
)
def test_bad_rows(tok, rows, message):
    empty = pa.table({"messages": [], "weight": pa.array([], pa.float64())})
    table = pa.Table.from_pylist(rows) if rows else empty
    with pytest.raises(DriftError, match=message):
        build_samples(table, tok, prefill="<answer>", target="last", max_prompt_length=99,
                      max_completion_length=99)


def test_pack_respects_the_budget_and_keeps_every_sample():
    ss = [Sample([1] * n, [2], 1.0) for n in (9, 3, 5, 2, 7, 1, 30)]
    packs = pack(ss, max_tokens=12)
    assert sorted(id(s) for p in packs for s in p) == sorted(id(s) for s in ss)
    assert all(sum(len(s) for s in p) <= 12 for p in packs if len(p) > 1)
    assert len(packs) == 4  # lengths 10,4,6,3,8,2,31: {31}, {10,2}, {8,4}, {6,3} by best fit decreasing


def test_collators_lay_out_the_same_tokens():
    a, b = Sample([5, 6, 7], [8, 9], 1.0), Sample([5, 6], [4], 3.0)
    padded = PaddingCollator(pad_token_id=0)([a, b])
    assert padded["input_ids"].tolist() == [[5, 6, 7, 8, 9], [5, 6, 4, 0, 0]]
    assert padded["labels"].tolist() == [[IGNORE] * 3 + [8, 9], [IGNORE, IGNORE, 4, IGNORE, IGNORE]]
    assert padded["sample_ids"].tolist() == [[0] * 5, [1, 1, 1, -1, -1]]
    packed = PackingCollator()([[a, b]])
    assert packed["input_ids"].tolist() == [[5, 6, 7, 8, 9, 5, 6, 4]]
    assert packed["position_ids"].tolist() == [[0, 1, 2, 3, 4, 0, 1, 2]]  # restart per sample
    assert packed["weights"].tolist() == [1.0, 3.0]
    mask = packed["attention_mask"][0, 0]
    assert mask.shape == (8, 8)
    assert mask[6, 5] and mask[6, 6] and not mask[6, 4] and not mask[6, 7]  # own sample, causal only
    assert torch.equal(mask[:5, :5], torch.ones(5, 5, dtype=torch.bool).tril())
