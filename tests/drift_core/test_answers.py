import pytest

from drift_core.answers import extract_answer, extract_think, is_correct, normalize_answer, parse_answer


@pytest.mark.parametrize(
    "text,think,expected",
    [
        ("<answer>42</answer>", False, "42"),
        ("<answer> 4 2 </answer> trailing", False, "4 2"),
        ("<answer></answer>", False, None),  # empty answer = unparseable (format penalty)
        ("42", False, None),
        ("<answer>42", False, None),
        ("<think>carry the 1</think> <answer>68</answer>", True, "68"),
        ("<answer>68</answer>", True, None),  # think mode needs the think block
    ],
)
def test_extract_answer(text, think, expected):
    assert extract_answer(text, think=think) == expected


def test_normalizer_is_the_references():
    assert normalize_answer("  The  Answer\n") == "theanswer"
    assert normalize_answer(None) == ""


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


def test_is_correct_off_main_thread():
    # Prefect runs tasks in threads, where math-verify's signal timeout cannot be used.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as ex:
        assert ex.submit(is_correct.__wrapped__, "\\frac{2}{4}", "0.5").result() is True


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


@pytest.mark.parametrize(
    "response,kw,expected",
    [
        ("<answer>12 || 13</answer>", {}, ("12 || 13", "12 || 13")),  # default: the whole text
        ("<answer>12 || 13</answer>", {"multi_answer": "first"}, ("12", "12")),
        ("<answer> 12 ||</answer>", {"multi_answer": "first"}, ("12", "12 ||")),  # one part: stored unchanged
        ("<answer>|| ||</answer>", {"multi_answer": "first"}, (None, None)),  # no part: unparseable
        ("<answer>1 ; 2</answer>", {"multi_answer": "first", "separator": ";"}, ("1", "1")),
        ("<answer>12<|im_end|></answer>", {}, ("12<|im_end|>", "12<|im_end|>")),
        ("<answer>12<|im_end|></answer>", {"strip_special_tokens": True}, ("12", "12")),
        ("<answer><|im_end|></answer>", {"strip_special_tokens": True}, (None, None)),
            # tokens go before the split: '<|im_start|>' alone is no answer; one part left -> stored unchanged
        ("<answer><|im_start|> || 7</answer>", {"multi_answer": "first", "strip_special_tokens": True},
         ("7", "|| 7")),
    ],
)
def test_parse_answer_options(response, kw, expected):
    assert parse_answer(response, **kw) == expected


def test_think_text_loses_tags_as_the_answer_does():
    r = "<think>try <answer>3</answer> no<|im_end|></think><answer>4</answer>"
    assert extract_think(r) == "try 3 no<|im_end|>"
    assert extract_think(r, strip_special_tokens=True) == "try 3 no"
    assert extract_answer(r, think=True) == "4"


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


def test_parse_options_reads_the_benchmarks_rendering():
    from drift_core.answers import parse_options
    from drift_core.prompts.benchmarks import render_choices

    assert parse_options(render_choices("Which?", ["Red", " 2 x", "-3"])) == {"a": "red", "b": "2x", "c": "-3"}
    assert parse_options("What is 2 + 2?") == {}
