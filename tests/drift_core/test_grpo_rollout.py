"""drift_core/train/grpo_rollout.py: an episode as one token sequence whose env_mask is 1 exactly on the
policy's tokens, and the rollout_func TRL calls (groups in a row, the project's episode loop)."""

from __future__ import annotations

import pytest

from drift_core.chat import load_tokenizer, render
from drift_core.config import ProtocolConfig
from drift_core.episode import Episode
from drift_core.errors import DriftError
from drift_core.multiturn import Problem
from drift_core.train.grpo_rollout import RolloutStats, group_problems, make_rollout_func, token_trajectory


def segments(tokenizer, traj) -> list[tuple[int, str]]:
    """(mask, decoded text) of each run of equal env_mask values, in order."""
    out, start = [], 0
    mask, ids = traj.env_mask, traj.completion_ids
    for k in range(1, len(mask) + 1):
        if k == len(mask) or mask[k] != mask[start]:
            out.append((mask[start], tokenizer.decode(ids[start:k])))
            start = k
    return out


def test_env_mask_is_one_exactly_on_the_policys_tokens(tiny_world_dir):
    tok = load_tokenizer(str(tiny_world_dir))
    ep = Episode("p", 0, "What is 3 + 4?", "7", ProtocolConfig(max_turns=3))
    ep.step("5</answer>", 3)  # wrong
    ep.step("junk", 2)  # unparseable: a format penalty, the raw text kept
    ep.step("7</answer>", 3)  # right: the episode ends
    traj = token_trajectory(tok, ep)
    assert tok.decode(traj.prompt_ids).endswith("<|end|><|assistant|><answer>")  # prefill: the engine's, no loss
    feedback = "<|user|>Incorrect. Please think again.<|end|><|assistant|><answer>"
    assert segments(tok, traj) == [
        (1, "5</answer><|end|>"), (0, feedback), (1, "junk<|end|>"), (0, feedback), (1, "7</answer><|end|>"),
    ]
    assert len(traj.env_mask) == len(traj.completion_ids) and traj.model_tokens == sum(traj.env_mask)
    # the sequence before each turn's tokens is what the engine tokenized at that turn: no mismatch here
    assert traj.context_mismatches == 0
    # ... checked here too: the tokens before each model segment are the engine's tokens of that turn's prompt
    seq, mask = traj.prompt_ids + traj.completion_ids, [0] * len(traj.prompt_ids) + traj.env_mask
    starts = [k for k in range(1, len(mask)) if mask[k] and not mask[k - 1]]
    turns = [i for i, m in enumerate(ep.messages) if m["role"] == "assistant"]
    assert len(starts) == len(turns) == 3
    for k, i in zip(starts, turns, strict=True):
        assert seq[:k] == tok(render(tok, ep.messages[:i], "<answer>"), add_special_tokens=False).input_ids


def test_a_template_that_rewrites_earlier_turns_is_refused(tiny_world_dir):
    tok = load_tokenizer(str(tiny_world_dir))
    # drops every earlier assistant message's content (as templates that strip past thoughts do)
    tok.chat_template = ("{% for m in messages %}<|{{ m['role'] }}|>{% if m['role'] != 'assistant' or loop.last %}"
                         "{{ m['content'] }}{% endif %}<|end|>{% endfor %}"
                         "{% if add_generation_prompt %}<|assistant|>{% endif %}")
    ep = Episode("p", 0, "What is 3 + 4?", "7", ProtocolConfig(max_turns=2))
    ep.step("5</answer>", 3)
    ep.step("7</answer>", 3)
    with pytest.raises(DriftError, match="no single token sequence"):
        token_trajectory(tok, ep)


def test_groups_must_come_in_a_row():
    probs = {p: Problem(p, "q", "1") for p in ("a", "b")}
    assert [p.prompt_id for p in group_problems(["a", "a", "b", "b"], 2, probs)] == ["a", "b"]
    with pytest.raises(DriftError, match="in a row"):
        group_problems(["a", "b", "a", "b"], 2, probs)
    with pytest.raises(DriftError, match="unknown prompt ids"):
        group_problems(["c", "c"], 2, probs)


def test_rollout_func_runs_the_protocol_with_the_given_engine(tiny_world_dir):
    """TRL's call: each prompt n times in a row -> one episode per entry, in that order, with the keys TRL
    needs and the reward fields. The engine here is the reference loaded from disk (the trainer's comes in
    tests/drift_core/test_grpo_train.py)."""
    from drift_core.engines.hf import HFEngine

    tok = load_tokenizer(str(tiny_world_dir))
    engine = HFEngine(str(tiny_world_dir))
    problems = [Problem("a", "What is 3 + 4?", "7"), Problem("b", "What is 10 + 5?", "15")]
    stats = RolloutStats()
    protocol = ProtocolConfig(max_turns=3)
    func = make_rollout_func(problems, protocol, tok, lambda trainer: engine, n=3, temperature=1.0, top_p=1.0,
                             max_new_tokens=8, seed=0, gamma=0.9, stats=stats)
    out = func(["a"] * 3 + ["b"] * 3, None)
    assert set(out) == {"prompt_ids", "completion_ids", "logprobs", "env_mask", "turn_rewards", "format_penalty",
                        "answer_norms"}
    assert out["logprobs"] is None and len(out["completion_ids"]) == 6
    assert [len(r) for r in out["turn_rewards"]] == [3] * 6
    assert all(len(m) == len(c) for m, c in zip(out["env_mask"], out["completion_ids"], strict=True))
    first = [tok.decode(p) for p in out["prompt_ids"]]
    assert all("What is 3 + 4?" in t for t in first[:3]) and all("What is 10 + 5?" in t for t in first[3:])
    assert stats.calls == 1 and stats.trajectories == 6 and stats.context_mismatches == 0
    assert stats.trained_tokens == sum(map(sum, out["env_mask"])) > 0
    assert stats.generated_tokens > 0 and stats.turns >= 6
