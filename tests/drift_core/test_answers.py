import pytest

from drift_core.answers import extract_answer, is_correct, normalize_answer


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
