"""The verifier registry: the built-in verifiers, and verifiers added from this file scoring real episodes
(no package file edited)."""

import duckdb
import pytest

from drift_core.config import EvalConfig, PromptsConfig, ProtocolConfig
from drift_core.episode import Episode
from drift_core.evaluate import evaluate
from drift_core.prompts import load_prompts
from drift_core.verifiers import VERIFIERS, VerifierEntry, is_correct


@pytest.mark.parametrize(
    "answer,gold,ok",
    [
        ("\\frac{1}{2}", "0.5", True),
        ("0.5", "\\frac{1}{2}", True),
        ("68", "68", True),
        ("67", "68", False),
        ("12.0", "12", True),
        ("a", "A", True),  # multiple-choice letters compare after normalisation
        ("B", "A", False),
        (None, "1", False),
        ("", "1", False),
    ],
)
def test_is_correct_uses_math_verify(answer, gold, ok):
    assert is_correct(answer, gold) is ok


@pytest.mark.parametrize(
    "answer,gold,ok",
    [
        ("0.5", "\\frac{1}{2}", False),  # math-verify would accept both of these
        ("12.0", "12", False),
        (" 1 2 ", "12", True),  # the reference's normaliser: lower-case, whitespace removed
        ("A", "a", True),
        ("12<|im_end|>", "12", False),  # math-verify accepts this one too; strip_special_tokens is for exact
        ("   ", "", False),  # a blank answer is never correct, not even against a blank gold
        ("x", "", False),
    ],
)
def test_exact_verifier_is_the_references(answer, gold, ok):
    assert is_correct(answer, gold, "exact") is ok


def test_math_verify_is_more_lenient():
    assert is_correct("0.5", "\\frac{1}{2}", "math-verify") and is_correct("12.0", "12", "math-verify")
    with pytest.raises(ValueError):
        is_correct("1", "2", "fuzzy")


CHOICE_Q = "What is 47 + 5?\nA. 42\nB. 52\nC. 53\nD. 62"


@pytest.mark.parametrize(
    "answer,ok",
    [
        ("B", True),
        ("b", True),  # lower case
        (" B ", True),  # spaces
        ("(B)", True),
        ("B.", True),
        ("B. 52", True),  # the letter with its own option's value
        ("52", True),  # the value of the gold option: only option B has it
        ("52.0", True),
        ("A", False),  # another option
        ("42", False),  # another option's value
        ("B. 42", False),  # the letter with another option's value
        ("54", False),  # a value no option has
        ("E", False),  # no such option
        ("bad", False),
        ("", False),
        (None, False),
    ],
)
def test_choice_verifier_accepts_the_letter_or_the_unambiguous_value(answer, ok):
    assert is_correct(answer, "B", "choice", CHOICE_Q) is ok


def test_choice_verifier_rejects_an_ambiguous_value_and_falls_back_without_options():
    twice = "Pick one\nA. 7\nB. 7\nC. 8\nD. 9"
    assert not is_correct("7", "A", "choice", twice)  # two options have 7: the value names no one option
    assert is_correct("a", "A", "choice", twice)
    # A question that lists no options is checked as math-verify checks it.
    assert is_correct("0.5", "\\frac{1}{2}", "choice", "What is 1/2?")
    assert not is_correct("B", "52", "choice", CHOICE_Q)  # the gold is no option's letter


# -- a verifier added from a test file ---------------------------------------------------------------------------


@pytest.fixture()
def register():
    """register(name, help, check) for one test: the entry is removed afterwards."""
    added = []

    def add(name, help, check):
        added.append(VERIFIERS.register(VerifierEntry(name=name, help=help, check=check)))
        return added[-1]

    yield add
    for entry in added:
        VERIFIERS.unregister(entry.name)


def test_an_added_verifier_scores_episodes(register):
    """'case-sensitive' is stricter than the built-in 'exact', which lower-cases: 'paris' is wrong here."""
    register("case-sensitive", "equal as written, case kept", lambda answer, gold, question: answer == gold)
    protocol = ProtocolConfig(verifier="case-sensitive", max_turns=3)
    e = Episode("p", 0, "Capital of France?", "Paris", protocol)
    turns = [e.step(text, 2) for text in ("paris</answer>", "Paris</answer>")]
    assert [t.correct for t in turns] == [False, True] and e.t_star == 2
    assert Episode("p", 0, "q", "Paris", ProtocolConfig(verifier="exact")).step("paris</answer>", 2).correct


def test_configs_accept_registered_verifiers_only(register):
    register("never", "nothing is right", lambda answer, gold, question: False)
    assert ProtocolConfig(verifier="never").verifier == "never"
    VERIFIERS.unregister("never")
    with pytest.raises(ValueError, match=r"unknown verifier 'never' \(choose one of exact, math-verify, choice\)"):
        ProtocolConfig(verifier="never")


def test_help_names_every_verifier():
    described = ProtocolConfig.model_fields["verifier"].description
    assert all(f"'{v.name}' = {v.help}" in described for v in VERIFIERS)


def test_an_added_verifier_decides_a_tiny_world_evaluation(register, tiny_world_dir, workspace):
    """'last-digit' counts the tiny world's dropped carries (47 + 5 = 42) as right; every stored turn's
    `correct` is its verdict, and it was asked once per parsed answer."""
    asked = []

    def last_digit(answer, gold, question):
        asked.append(answer)
        return answer.strip()[-1:] == gold.strip()[-1:]

    register("last-digit", "the last character equals the gold's", last_digit)
    prompts = load_prompts(PromptsConfig(source="arithmetic", count=8, levels=[1, 2], split="test"))
    res = evaluate(workspace, str(tiny_world_dir), prompts, ProtocolConfig(verifier="last-digit", max_turns=2),
                   EvalConfig(max_new_tokens=8, bootstrap_samples=100), engine="hf", progress=False)
    con = duckdb.connect(str(workspace.warehouse), read_only=True)
    turns = con.execute("select t.answer, t.correct, g.gold from eval_turns t join eval_trajectories g "
                        "using (eval_id, prompt_id) where eval_id = ? and t.answer is not null",
                        [res.eval_id]).fetchall()
    con.close()
    assert turns and len(asked) == len(turns)
    assert all(correct == (answer.strip()[-1:] == gold.strip()[-1:]) for answer, correct, gold in turns)
