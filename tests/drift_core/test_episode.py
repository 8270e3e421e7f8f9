"""The episode protocol of docs/design.md §1, turn by turn, on hand-written model outputs."""

import pytest

from drift_core.config import ProtocolConfig
from drift_core.episode import Episode, initial_messages, prefill_text


def ep(**kw):
    return Episode(prompt_id="p", sample_idx=0, question="What is 2 + 2?", gold="4", protocol=ProtocolConfig(**kw))


def test_initial_messages_hold_instruction_problem_and_format():
    msgs = initial_messages("What is 2 + 2?", ProtocolConfig())
    assert [m["role"] for m in msgs] == ["system", "user"]
    assert msgs[0]["content"] == "You're a helpful assistant. "
    user = msgs[1]["content"]
    assert "Only give the final answer between <answer> and </answer>." in user
    assert "Problem:\nWhat is 2 + 2?" in user
    assert "<answer> [your answer] </answer>" in user
    think = initial_messages("q", ProtocolConfig(think=True))[1]["content"]
    assert "<think> [Your thoughts] </think> <answer> [your answer] </answer>" in think


def test_correct_first_turn_ends_the_episode():
    e = ep()
    # generation continues after the '<answer>' prefill
    t = e.step("4</answer>", completion_tokens=3)
    assert (t.correct, t.reward, t.format_ok, e.t_star, e.done) == (True, 1.0, True, 1, True)
    assert e.messages[-1] == {"role": "assistant", "content": "<answer>4</answer>"}
    assert e.answer_norms == ["4"]


def test_wrong_then_feedback_then_correct():
    e = ep()
    e.step("5</answer>", 3)
    assert not e.done
    assert e.messages[-1] == {"role": "user", "content": "Incorrect. Please think again."}
    e.step("4</answer>", 3)
    assert (e.t_star, e.num_turns, e.answer_norms) == (2, 2, ["5", "4"])
    assert [m["role"] for m in e.messages] == ["system", "user", "assistant", "user", "assistant"]


def test_unparseable_turn_gets_format_penalty_and_counts():
    e = ep(max_turns=2)
    t = e.step("I think it is 4", 6)
    assert (t.format_ok, t.answer, t.format_penalty) == (False, None, -0.1)
    assert e.messages[2]["content"] == "<answer>I think it is 4"  # raw text is kept (prefill included)
    e.step("no idea", 2)
    assert e.done and e.t_star is None
    assert e.format_penalty == pytest.approx(-0.2)  # summed over turns
    assert e.answer_norms == []  # only parsed answers are recorded


def test_max_turns_stops_without_feedback_after_last_turn():
    e = ep(max_turns=3)
    for _ in range(3):
        e.step("5</answer>", 2)
    assert e.done and e.num_turns == 3
    assert e.messages[-1]["role"] == "assistant"
    with pytest.raises(RuntimeError):
        e.step("4</answer>", 2)


def test_think_mode_and_prefill():
    p = ProtocolConfig(think=True)
    assert prefill_text(p) == "<think>"
    assert prefill_text(ProtocolConfig(prefill=False)) == ""
    e = Episode("p", 0, "q", "4", p)
    e.step("2+2=4</think><answer>4</answer>", 9)
    assert e.messages[-1]["content"] == "<think>2+2=4</think><answer>4</answer>"
    assert e.t_star == 1


def test_full_mode_initial_message_and_feedback():
    # the reference's build_initial_messages / build_reward_message with prompt_mode 'full', written out
    block = ("Turn {t}:\nState:\n{s}\nYou have {a} actions left. Always output: <answer> [your answer] </answer> "
             "with no extra text. Strictly follow this format. Max response length: 400 words (tokens).\n")
    e = ep(prompt_mode="full", max_turns=3)
    assert e.messages[1]["content"] == (
        "You are solving Math problems. Only give the final answer between <answer> and </answer>.\n"
        + block.format(t=1, s="What is 2 + 2?", a=3))
    e.step("5</answer>", 3)
    assert e.messages[-1] == {"role": "user", "content": "Reward:\n0.0\n"
                              + block.format(t=2, s="Incorrect. Please think again.", a=2)}
    e.step("no tags", 3)  # unparseable: the state stays, no action is used up
    assert e.messages[-1]["content"] == "Reward:\n0.0\n" + block.format(t=3, s="Incorrect. Please think again.", a=2)
    e.step("4</answer>", 3)
    assert (e.t_star, e.format_penalty, e.answer_norms) == (3, -0.1, ["5", "4"])


@pytest.mark.parametrize("verifier,correct", [("math-verify", True), ("exact", False)])
def test_verifier(verifier, correct):
    e = Episode("p", 0, "half?", "\\frac{1}{2}", ProtocolConfig(verifier=verifier, max_turns=2))
    t = e.step("0.5</answer>", 2)
    assert (t.correct, t.reward, e.t_star) == (correct, float(correct), 1 if correct else None)


def test_first_answer_and_stripped_tokens_in_the_stored_message():
    p = ProtocolConfig(think=True, multi_answer="first", strip_special_tokens=True)
    e = Episode("p", 0, "q", "12", p)
    t = e.step("a<|im_end|></think><answer>12 || 13<|im_end|></answer>", 9)
    assert (t.answer, t.answer_norm, t.correct, e.t_star) == ("12", "12", True, 1)
    assert t.response == "<think>a<|im_end|></think><answer>12 || 13<|im_end|></answer>"  # raw kept in turns
    assert e.messages[-1]["content"] == "<think>a</think><answer>12</answer>"
