"""Under configs/reference.yaml the training rows, the hold-out and the stored assistant messages are the
paper repository's (docs/reference-parity.md): the same trajectories go through the project's path
(rollout -> weights -> training set -> hold-out) and through the reference's rules, restated below in
this project's words from its generation and SFT scripts (commit d8e1630)."""

from __future__ import annotations

import hashlib
import math
import random
import re

import datasets
import pyarrow as pa
import pytest

from drift_core.chat import load_tokenizer
from drift_core.config import PipelineConfig, load_config
from drift_core.episode import Episode
from drift_core.resources import configs_dir
from drift_core.rollout import rollout
from drift_core.stages.weights import config_rows
from drift_core.testing.scripted_engine import ScriptedEngine
from drift_core.train.run import split_eval
from drift_core.weights import compute_weights

PROFILE = load_config(configs_dir() / "reference.yaml")

# -- the reference's rules, restated ------------------------------------------------------------------------------

REF_SYSTEM = "You're a helpful assistant. "
REF_INSTRUCTION = "You are solving Math problems. Only give the final answer between <answer> and </answer>."
REF_FORMAT = "<think> [Your thoughts] </think> <answer> [your answer] </answer>"
REF_INCORRECT = "Incorrect. Please think again."
# Removed from the thoughts and the answer text, in this order, outer whitespace stripped after each.
REF_REMOVED = ("<think>", "</think>", "<answer>", "</answer>", "<|im_start|>", "<|im_end|>")
REF_TURNS = 5  # max_turns = max_actions_per_traj = 5, one answer per turn, '||' between answers


def ref_clean(text: str) -> str:
    for token in REF_REMOVED:
        text = text.replace(token, "").strip()
    return text


def ref_message(response: str, think: bool = True, sep: str = "||") -> tuple[str, list[str]]:
    """(stored assistant message, answers taken) of one response, prefill included.

    No tags: the response itself, no answer. Tags: the message is always rebuilt from the cleaned thoughts
    and answer text, whether or not that text holds an answer; the answers are its non-empty parts between
    separators, of which one is taken per turn (with several, the text becomes that one)."""
    tags = r"<think>(.*?)</think>\s*<answer>(.*?)</answer>" if think else r"<answer>(.*?)</answer>"
    found = re.search(tags, response, re.DOTALL)
    if found is None:
        return response, []
    thought, text = (found.group(1), found.group(2)) if think else ("", found.group(1))
    thought, text = ref_clean(thought), ref_clean(text)
    answers = [part.strip() for part in text.split(sep) if part.strip()]
    if len(answers) > 1:
        answers = answers[:1]
        text = f" {sep} ".join(answers)
    if think:
        return f"<think>{thought}</think><answer>{text}</answer>", answers
    return f"<answer>{text}</answer>", answers


def ref_norm(text: str) -> str:
    return re.sub(r"\s+", "", text.strip().lower())


def ref_block(turn: int, state: str, left: int) -> str:
    return (f"Turn {turn}:\nState:\n{state}\nYou have {left} actions left. Always output: {REF_FORMAT} with no extra "
            "text. Strictly follow this format. Max response length: 400 words (tokens).\n")


def ref_trajectory(tokenizer, question: str, gold: str, first: str, reply) -> list[dict]:
    """One trajectory's messages (full prompts, think, exact match): `first` is its turn-1 output, `reply`
    gives a later turn's output from the rendered prompt. The environment steps only on a taken answer;
    the state shown is the problem until then, the incorrect observation after."""
    msgs = [{"role": "system", "content": REF_SYSTEM},
            {"role": "user", "content": REF_INSTRUCTION + "\n" + ref_block(1, question, REF_TURNS)}]
    steps, state, output = 0, question, first
    for turn in range(1, REF_TURNS + 1):
        message, answers = ref_message("<think>" + output)
        correct, done = False, False
        if answers:
            steps += 1
            correct = ref_norm(answers[0]) == ref_norm(gold)
            done = correct or steps >= REF_TURNS
            state = "Correct!" if done else REF_INCORRECT
        left = max(REF_TURNS - steps, 0)
        msgs.append({"role": "assistant", "content": message})
        if correct or done or left <= 0 or turn >= REF_TURNS:
            return msgs
        feedback = f"Reward:\n{0.0}\n" + ref_block(turn + 1, state, left)  # a wrong turn's reward
        msgs.append({"role": "user", "content": feedback})
        output = reply(tokenizer.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True) + "<think>")
    return msgs


def ref_training_rows(records: list[dict], ratio: float) -> tuple[list[dict], list[dict]]:
    """(train rows, held-out rows) as its trainer makes them from its JSONL's records, in their order: datasets'
    unshuffled split (the last ceil(ratio x rows) held out), then rows whose last assistant message is empty
    dropped on each side."""
    split = datasets.Dataset.from_list(records).train_test_split(test_size=ratio, seed=42, shuffle=False)

    def kept(rows) -> list[dict]:
        out = []
        for row in rows:
            said = [m["content"] for m in row["messages"] if m["role"] == "assistant"]
            if said and said[-1]:
                out.append(row)
        return out

    return kept(split["train"]), kept(split["test"])


# -- what the model writes (after the '<think>' prefill): every kind of turn, chosen by the prompt's hash ---------

OUTPUTS = [
    "add</think><answer>5</answer>",  # right (gold 5)
    "guess</think><answer>4</answer>",  # wrong
    "</think><answer></answer>",  # empty
    " x </think> <answer>  \n </answer>",  # whitespace only
    "a</think><answer>||</answer>",  # only the separator
    "b</think><answer> || || </answer>",
    "c</think><answer><|im_end|></answer>",  # only chat tokens
    "<|im_start|>d</think><answer><|im_start|> <|im_end|></answer>",
    "e</think><answer> 6 || 5</answer>",  # the first of several
    "f</think><answer>3 ||</answer>",
    "no tags at all",
    "g</think>answer: 5",
]


def pick(text: str) -> str:
    return OUTPUTS[int(hashlib.sha256(text.encode()).hexdigest(), 16) % len(OUTPUTS)]


def script(prompt: str, sampling) -> str | list[str]:
    return [pick(f"{prompt}#{i}") for i in range(sampling.n)] if sampling.n > 1 else pick(prompt)


# -- the stored messages: a fuzz of raw outputs through the project's episode ---------------------------------------

PIECES = ["<think>", "</think>", "<answer>", "</answer>", "<|im_start|>", "<|im_end|>", "||", " ", "\n", "5",
          "12", "x", " 5 ", "answer"]
EMPTY_ANSWERS = ["</think><answer></answer>", "t</think><answer> \n\t </answer>", "t</think><answer>||</answer>",
                 "t</think> <answer> || ||</answer>", "t</think><answer><|im_start|><|im_end|></answer>",
                 "<|im_end|></think><answer> <|im_end|> || </answer>"]


def fuzz(count: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return EMPTY_ANSWERS + ["".join(rng.choices(PIECES, k=rng.randint(0, 12))) for _ in range(count)]


def project_message(generated: str, protocol) -> tuple[str, str | None]:
    ep = Episode("p", 0, "What is 2 + 3?", "5", protocol)
    turn = ep.step(generated, completion_tokens=0)
    return ep.messages[2]["content"], turn.answer


def test_stored_messages_are_the_references_byte_for_byte():
    outputs = fuzz(5000)
    unanswered = 0
    for out in outputs:
        ref, answers = ref_message("<think>" + out)
        got, answer = project_message(out, PROFILE.protocol)
        assert got == ref, out
        assert answer == (answers[0] if answers else None), out
        unanswered += not answers and ref != "<think>" + out
    assert unanswered >= len(EMPTY_ANSWERS)  # the cases where the two rules used to differ are there


def test_the_default_keeps_the_raw_text_of_an_unanswered_turn():
    differ = 0
    for out in EMPTY_ANSWERS:
        raw, _ = project_message(out, PROFILE.protocol.model_copy(update={"unanswered_message": "raw"}))
        assert raw == "<think>" + out
        differ += raw != ref_message("<think>" + out)[0]
    assert differ == 4  # all but '</think><answer></answer>' and 't</think><answer>||</answer>', rebuilt as they are


# -- rows, order and hold-out: one rollout through both ------------------------------------------------------------

# Source order on purpose unlike prompt_id order (strings: '-10' before '-2').
IDS = ["MATH-7", "MATH-10", "MATH-2", "MATH-0", "MATH-31", "MATH-3", "MATH-12"]
N = 4  # 28 trajectories: the 5% hold-out is 2 rows, half of the last prompt's


@pytest.fixture(scope="module")
def both(tmp_path_factory, random_model_dir):
    from drift_core.store import Workspace

    ws = Workspace(tmp_path_factory.mktemp("ref_rows") / "ws")
    prompts = [{"prompt_id": pid, "split": "train", "question": f"What is {i} + {5 - i}?", "gold": "5",
                "source": "test", "difficulty": None} for i, pid in enumerate(IDS)]
    cfg = PROFILE.rollout.model_copy(update={"n": N, "prompts_per_shard": 3, "engine": "hf"})
    run = rollout(ws, prompts, PROFILE.protocol, cfg, str(random_model_dir), engine=ScriptedEngine(script),
                  progress=False).run_id
    compute_weights(ws, PROFILE.weights, run, repeat_penalty_lambda=PROFILE.protocol.repeat_penalty_lambda)

    def rows(order: str) -> list[dict]:
        return config_rows(ws, PROFILE.weights, run, runs=[run], order=order,
                           repeat_penalty_lambda=PROFILE.protocol.repeat_penalty_lambda).to_pylist()

    tok = load_tokenizer(str(random_model_dir))
    records = []
    for p in prompts:  # the reference's JSONL: prompts in source order, each prompt's samples in order
        first = tok.apply_chat_template(
            [{"role": "system", "content": REF_SYSTEM},
             {"role": "user", "content": REF_INSTRUCTION + "\n" + ref_block(1, p["question"], REF_TURNS)}],
            tokenize=False, add_generation_prompt=True) + "<think>"
        for i in range(N):
            msgs = ref_trajectory(tok, p["question"], p["gold"], pick(f"{first}#{i}"), pick)
            records.append({"prompt_id": p["prompt_id"], "sample_idx": i, "messages": msgs})
    return rows(PROFILE.train.row_order), rows(PipelineConfig().train.row_order), records


def key(row: dict) -> tuple[str, int]:
    return row["prompt_id"], row["sample_idx"]


def test_rows_come_in_the_references_order_with_its_hold_out_and_messages(both):
    stored, _, records = both
    ratio = PROFILE.train.eval_split_ratio
    train, held = split_eval(pa.Table.from_pylist(stored), ratio)
    ref_train, ref_held = ref_training_rows(records, ratio)
    assert [key(r) for r in train.to_pylist()] == [key(r) for r in ref_train]
    assert [key(r) for r in held.to_pylist()] == [key(r) for r in ref_held]
    assert len(ref_train) + len(ref_held) == len(records) == len(stored)  # none dropped as empty here
    mine = {key(r): [dict(m) for m in r["messages"]] for r in stored}
    theirs = {key(r): r["messages"] for r in records}
    assert mine == theirs
    said = [m["content"] for r in records for m in r["messages"] if m["role"] == "assistant"]
    assert sum(c.startswith("<think>") and c.endswith("<answer></answer>") for c in said) > 0  # rebuilt empties
    assert any(c.endswith("<answer>||</answer>") for c in said)


def test_neither_holds_out_whole_prompts(both):
    _, _, records = both
    n_held = math.ceil(PROFILE.train.eval_split_ratio * len(records))
    assert n_held == 2 and n_held % N  # the hold-out is rows: here half of the last prompt's samples
    _, ref_held = ref_training_rows(records, PROFILE.train.eval_split_ratio)
    assert [key(r) for r in ref_held] == [(IDS[-1], 2), (IDS[-1], 3)]


def test_the_default_order_is_by_prompt_id(both):
    stored, by_id, _ = both
    assert [key(r) for r in by_id] == sorted(key(r) for r in stored) != [key(r) for r in stored]
