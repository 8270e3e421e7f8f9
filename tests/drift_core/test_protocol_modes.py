"""Protocol knobs of issue 16 (prompt modes, verifier, answer parsing, seed schemes), end to end through the
episode loop: fixed raw model outputs from a scripted engine -> the stored messages, answers, rewards,
t_star and penalties, all written out by hand below."""

from __future__ import annotations

import json

import pytest

from drift_core.config import EvalConfig, PromptsConfig, ProtocolConfig, RolloutConfig
from drift_core.evaluate import evaluate
from drift_core.multiturn import Problem, run_episodes, turn_seed
from drift_core.prompts import load_prompts
from drift_core.rollout import rollout
from drift_core.testing.scripted_engine import PlainChatTemplate, ScriptedEngine

SYSTEM = {"role": "system", "content": "You're a helpful assistant. "}
INSTRUCTION = "You are solving Math problems. Only give the final answer between <answer> and </answer>."
FMT = "<answer> [your answer] </answer>"
FMT_THINK = "<think> [Your thoughts] </think> <answer> [your answer] </answer>"
INCORRECT = "Incorrect. Please think again."


def header(turn: int, state: str, left: int, fmt: str = FMT, length: int = 400) -> str:
    """The reference's build_turn_block, written out."""
    return (
        f"Turn {turn}:\nState:\n{state}\nYou have {left} actions left. Always output: {fmt} "
        f"with no extra text. Strictly follow this format. Max response length: {length} words (tokens).\n"
    )


def simple_user(question: str, fmt: str = FMT) -> str:
    return (f"{INSTRUCTION}\n\nProblem:\n{question}\n\n"
            f"Always output: {fmt} with no extra text. Strictly follow this format.")


def run(protocol, script, problems, n=1, seed=5, scheme="per_turn", temperature=1.0):
    engine = ScriptedEngine(script)
    eps = run_episodes(engine, PlainChatTemplate(), problems, protocol, n=n, temperature=temperature, top_p=1.0,
                       max_new_tokens=16, seed=seed, seed_scheme=scheme)
    return eps, engine


Q = "What is 2 + 2?"
P = [Problem("p", Q, "4")]


# -- prompt modes ------------------------------------------------------------------------------------------------


def test_full_mode_headers_state_and_actions_left():
    """Turn 1 unparseable (state stays the problem, actions left stay 3: the reference's env is not stepped),
    turn 2 wrong (state = the feedback, 2 left), turn 3 correct."""
    p = ProtocolConfig(prompt_mode="full", max_turns=3)
    eps, engine = run(p, [["I do not know"], ["5</answer>"], ["4</answer>"]], P)
    (e,) = eps
    assert e.messages == [
        SYSTEM,
        {"role": "user", "content": f"{INSTRUCTION}\n" + header(1, Q, 3)},
        {"role": "assistant", "content": "<answer>I do not know"},  # raw text, prefill included
        {"role": "user", "content": "Reward:\n0.0\n" + header(2, Q, 3)},
        {"role": "assistant", "content": "<answer>5</answer>"},
        {"role": "user", "content": "Reward:\n0.0\n" + header(3, INCORRECT, 2)},
        {"role": "assistant", "content": "<answer>4</answer>"},
    ]
    assert [(t.answer, t.reward, t.format_penalty) for t in e.turns] == [(None, 0.0, -0.1), ("5", 0.0, 0.0),
                                                                        ("4", 1.0, 0.0)]
    assert (e.t_star, e.format_penalty, e.answer_norms) == (3, -0.1, ["5", "4"])
    # what the engine saw at turn 3: the stored messages rendered, then the prefill
    rendered = "".join(f"<|{m['role']}|>\n{m['content']}\n" for m in e.messages[:6]) + "<|assistant|>\n<answer>"
    assert engine.calls[2].prompts == [rendered]


def test_full_mode_think_format_and_custom_texts():
    p = ProtocolConfig(prompt_mode="full", max_turns=2, think=True, max_response_length=50,
                       feedback_header="Score: {reward}\n",
                       turn_header="[{turn}] {state} ({actions_left}) {format_hint} <= {max_response_length}")
    eps, _ = run(p, [["x</think><answer>5</answer>"], ["y</think><answer>4</answer>"]], P)
    assert [m["content"] for m in eps[0].messages[1:]] == [
        f"{INSTRUCTION}\n[1] {Q} (2) {FMT_THINK} <= 50",
        "<think>x</think><answer>5</answer>",
        f"Score: 0.0\n[2] {INCORRECT} (1) {FMT_THINK} <= 50",
        "<think>y</think><answer>4</answer>",
    ]


def test_simple_mode_is_unchanged():
    eps, _ = run(ProtocolConfig(max_turns=2), [["5</answer>"], ["6</answer>"]], P)
    assert eps[0].messages == [
        SYSTEM, {"role": "user", "content": simple_user(Q)}, {"role": "assistant", "content": "<answer>5</answer>"},
        {"role": "user", "content": INCORRECT}, {"role": "assistant", "content": "<answer>6</answer>"},
    ]
    assert eps[0].t_star is None


@pytest.mark.parametrize("field,template", [("turn_header", "Turn {n}"), ("feedback_header", "{state}"),
                                            ("turn_header", "Turn {}"), ("feedback_header", "{reward")])
def test_templates_with_unknown_fields_are_config_errors(field, template):
    with pytest.raises(ValueError, match=field):
        ProtocolConfig(**{field: template})


def test_new_fields_are_content_not_speed():
    dump = ProtocolConfig().content_dump()
    for name in ("prompt_mode", "turn_header", "feedback_header", "max_response_length", "verifier",
                 "multi_answer", "answer_separator", "strip_special_tokens"):
        assert name in dump, name
    assert {"seed_scheme"} <= RolloutConfig().content_dump().keys()
    assert {"seed_scheme", "prompt_mode"} <= EvalConfig().content_dump().keys()
    assert ProtocolConfig(prompt_mode="full").for_eval("simple") == ProtocolConfig()


@pytest.fixture(scope="module")
def eval_prompts():
    return [{"prompt_id": "a", "question": Q, "gold": "4"}, {"prompt_id": "b", "question": "What is 3 + 3?",
                                                                 "gold": "6"}]


def _wrong_then_right(prompt: str, sampling) -> str:
    # problem a: wrong at turn 1, right at turn 2 (its prompt then holds an assistant turn); b: right at once
    if "3 + 3" in prompt:
        return "6</answer>"
    return "4</answer>" if "<answer>5</answer>" in prompt else "5</answer>"


def stored_messages(ws, eval_id):
    con = ws.connect()
    try:
        rows = con.execute("select prompt_id, messages from eval_trajectories where eval_id = ? order by prompt_id",
                           [eval_id]).fetchall()
    finally:
        con.close()
    return {pid: [dict(m) for m in msgs] for pid, msgs in rows}


def test_evaluation_uses_eval_prompt_mode(workspace, random_model_dir, eval_prompts):
    """Full-mode rollouts, simple-mode evaluation (the reference's launch values); eval.prompt_mode=full too.
    The rollout's prompt mode does not enter the eval id when eval.prompt_mode decides the episodes."""
    model = str(random_model_dir)
    full = ProtocolConfig(prompt_mode="full", max_turns=2)

    def ev(protocol, cfg):
        return evaluate(workspace, model, eval_prompts, protocol, cfg, engine=ScriptedEngine(_wrong_then_right),
                        dataset="d", progress=False)

    simple = ev(full, EvalConfig())
    assert simple.per_problem == {"a": 2, "b": 1}
    msgs = stored_messages(workspace, simple.eval_id)
    assert msgs["a"] == [SYSTEM, {"role": "user", "content": simple_user(Q)},
                         {"role": "assistant", "content": "<answer>5</answer>"},
                         {"role": "user", "content": INCORRECT},
                         {"role": "assistant", "content": "<answer>4</answer>"}]
    assert ev(ProtocolConfig(max_turns=2), EvalConfig()).eval_id == simple.eval_id

    fullres = ev(full, EvalConfig(prompt_mode="full"))
    assert fullres.eval_id != simple.eval_id and fullres.per_problem == {"a": 2, "b": 1}
    msgs = stored_messages(workspace, fullres.eval_id)
    assert [m["content"] for m in msgs["a"][1:]] == [
        f"{INSTRUCTION}\n" + header(1, Q, 2), "<answer>5</answer>", "Reward:\n0.0\n" + header(2, INCORRECT, 1),
        "<answer>4</answer>"]
    assert ev(ProtocolConfig(max_turns=2), EvalConfig(prompt_mode="full")).eval_id == fullres.eval_id


def test_full_mode_rollout_stores_what_the_model_saw(workspace, random_model_dir):
    prompts = load_prompts(PromptsConfig(source="arithmetic", count=1, levels=[1], seed=0))
    q = prompts[0]["question"]
    engine = ScriptedEngine(lambda prompt, s: "nope</answer>")
    cfg = RolloutConfig(engine="hf", n=2, max_new_tokens=4, prompts_per_shard=1)
    res = rollout(workspace, prompts, ProtocolConfig(prompt_mode="full", max_turns=2), cfg, str(random_model_dir),
                  engine=engine, progress=False)
    con = workspace.connect()
    rows = con.execute("select messages, t_star, format_penalty, answer_norms, turn_rewards, reward_details "
                       "from trajectories where run_id = ? order by sample_idx", [res.run_id]).fetchall()
    con.close()
    assert len(rows) == 2
    for msgs, t_star, penalty, norms, rewards, details in rows:
        assert [m["content"] for m in msgs[1:]] == [
            f"{INSTRUCTION}\n" + header(1, q, 2), "<answer>nope</answer>",
            "Reward:\n0.0\n" + header(2, INCORRECT, 1), "<answer>nope</answer>"]
        assert (t_star, penalty, norms, rewards) == (None, 0.0, ["nope", "nope"], [0.0, 0.0])
        assert json.loads(details)["t2"]["actions"] == ["nope"]


# -- verifier and answer parsing, through the loop ---------------------------------------------------------------


@pytest.mark.parametrize("verifier,t_star", [("math-verify", 1), ("exact", None)])
def test_verifier_decides_the_reward(verifier, t_star):
    p = ProtocolConfig(max_turns=2, verifier=verifier)
    eps, _ = run(p, [["0.5</answer>"], ["1/2</answer>"]], [Problem("p", "Half?", "\\frac{1}{2}")])
    e = eps[0]
    assert e.t_star == t_star
    assert [t.reward for t in e.turns] == ([1.0] if t_star else [0.0, 0.0])


def test_first_of_several_answers_and_special_tokens():
    """'12 || 13' -> '12' (stored as '<answer>12</answer>', as the reference rebuilds it); the chat token goes
    before the split; '||' alone is unparseable (format penalty, raw text kept)."""
    p = ProtocolConfig(max_turns=3, multi_answer="first", strip_special_tokens=True, verifier="exact")
    eps, _ = run(p, [["||</answer>"], ["13 || 12</answer>"], ["<|im_start|>12 || 13<|im_end|></answer>"]],
                 [Problem("p", "q", "12")])
    e = eps[0]
    assert [(t.answer, t.correct, t.format_penalty) for t in e.turns] == [(None, False, -0.1), ("13", False, 0.0),
                                                                        ("12", True, 0.0)]
    assert [m["content"] for m in e.messages if m["role"] == "assistant"] == [
        "<answer>||</answer>", "<answer>13</answer>", "<answer>12</answer>"]
    assert (e.t_star, e.answer_norms, e.format_penalty) == (3, ["13", "12"], -0.1)


def test_defaults_keep_the_whole_answer_and_the_tokens():
    eps, _ = run(ProtocolConfig(max_turns=1, verifier="exact"), [["12 || 13<|im_end|></answer>"]],
                 [Problem("p", "q", "12")])
    (t,) = eps[0].turns
    assert (t.answer, t.answer_norm, t.correct) == ("12 || 13<|im_end|>", "12||13<|im_end|>", False)


# -- seed schemes ------------------------------------------------------------------------------------------------


def test_turn_seeds_per_scheme():
    wrong = lambda prompt, s: "x</answer>"  # noqa: E731 - every turn wrong: all max_turns calls happen
    _, per_turn = run(ProtocolConfig(max_turns=3), wrong, P, n=2, seed=5)
    assert per_turn.seeds == [5, 5 + 2000, 5 + 3000]
    assert [c.sampling.n for c in per_turn.calls] == [2, 1, 1]
    _, fixed = run(ProtocolConfig(max_turns=3), wrong, P, n=2, seed=5, scheme="fixed")
    assert fixed.seeds == [5, 5, 5]
    assert turn_seed(5, 4) == 4005
    with pytest.raises(ValueError):
        turn_seed(5, 1, "nope")


@pytest.mark.parametrize("scheme,expected", [
    # shard k: seed * 100003 + k at turn 1, + 1000 * t at turn t (two shards of one prompt, two turns each)
    ("per_turn", [1 * 100_003, 1 * 100_003 + 2000, 1 * 100_003 + 1, 1 * 100_003 + 1 + 2000]),
    ("fixed", [1, 1, 1, 1]),  # the reference: one seed on every generate call
])
def test_rollout_seed_scheme(workspace, random_model_dir, scheme, expected):
    prompts = load_prompts(PromptsConfig(source="arithmetic", count=2, levels=[1], seed=0))
    engine = ScriptedEngine(lambda prompt, s: "x</answer>")
    cfg = RolloutConfig(engine="hf", n=2, max_new_tokens=4, prompts_per_shard=1, seed=1, seed_scheme=scheme)
    rollout(workspace, prompts, ProtocolConfig(max_turns=2), cfg, str(random_model_dir), engine=engine,
            progress=False)
    assert engine.seeds == expected


@pytest.mark.parametrize("scheme,expected", [("per_turn", [3, 2003]), ("fixed", [3, 3])])
def test_eval_seed_scheme(workspace, random_model_dir, eval_prompts, scheme, expected):
    engine = ScriptedEngine(_wrong_then_right)
    cfg = EvalConfig(temperature=0.7, seed=3, seed_scheme=scheme)
    evaluate(workspace, str(random_model_dir), eval_prompts, ProtocolConfig(max_turns=2), cfg, engine=engine,
             dataset="d", progress=False)
    assert engine.seeds == expected
    assert [c.sampling.temperature for c in engine.calls] == [0.7, 0.7]
