import pytest

from drift_core.answers import extract_answer, extract_think, math_equal, normalize_answer, parse_answer


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


def test_math_equal_off_main_thread():
    # Prefect runs tasks in threads, where math-verify's signal timeout cannot be used.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as ex:
        assert ex.submit(math_equal.__wrapped__, "\\frac{2}{4}", "0.5").result() is True


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


def test_parse_options_reads_the_benchmarks_rendering():
    from drift_core.answers import parse_options
    from drift_core.prompts.benchmarks import render_choices

    assert parse_options(render_choices("Which?", ["Red", " 2 x", "-3"])) == {"a": "red", "b": "2x", "c": "-3"}
    assert parse_options("What is 2 + 2?") == {}
