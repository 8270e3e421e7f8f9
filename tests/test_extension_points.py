"""docs/design.md §3.1, "to add X, touch these files", is true: every file it names exists for every
stock entry of its registry, every registry has a row, and the test named for a row adds such a part
from the test file (a `register(` call there)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
HEADING = "### 3.1 Extension points: to add X, touch these files"


def _rows() -> dict[str, tuple[list[str], str]]:
    """'a weighting scheme' -> (package files, the test file), from the table under HEADING."""
    text = (REPO / "docs" / "design.md").read_text()
    assert HEADING in text, f"docs/design.md has no section {HEADING!r}"
    section = text.split(HEADING, 1)[1].split("\n#", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("to add", "---"):
            continue
        rows[cells[0]] = (re.findall(r"`([^`]+)`", cells[1]), cells[3].strip("`"))
    return rows


def _stock_names(kind: str) -> list[str]:
    if kind == "a weighting scheme":
        from drift_core import weight_schemes

        return list(weight_schemes.names())
    if kind == "an engine":
        from drift_core.engines.registry import ENGINES

        return ENGINES.names()
    if kind == "a verifier":
        from drift_core.verifiers import VERIFIERS

        return VERIFIERS.names()
    if kind == "a compare arm":
        from drift_core.compare.arms import arm_names

        return list(arm_names())
    if kind == "a tiny world":
        from drift_core.worlds import WORLDS

        return WORLDS.names()
    return []


# The kinds the registries hold (docs/design.md §3.1); each must have its row.
KINDS = ("a weighting scheme", "an engine", "a verifier", "a compare arm", "a tiny world")
# Most package files a stock part of the kind may need.
MOST_FILES = {"a weighting scheme": 2, "an engine": 2, "a verifier": 1, "a compare arm": 1, "a tiny world": 3}


def test_every_registry_has_a_row():
    assert set(KINDS) <= set(_rows()), f"rows: {sorted(_rows())}"


@pytest.mark.parametrize("kind", KINDS)
def test_the_row_names_real_files_for_every_stock_entry(kind):
    files, _ = _rows()[kind]
    assert 1 <= len(files) <= MOST_FILES[kind], files
    names = _stock_names(kind)
    assert names, f"no stock {kind}"
    for pattern in files:
        if "<name>" not in pattern:
            assert (REPO / pattern).is_file(), pattern
            continue
        # A per-part file: every stock part that has one of this form (engines: hf.py, vllm.py).
        found = [n for n in names if (REPO / pattern.replace("<name>", n.replace("-", "_"))).is_file()
                 or (REPO / pattern.replace("<name>", n)).is_file()]
        assert found, f"{pattern}: no stock {kind} has such a file ({names})"


@pytest.mark.parametrize("kind", KINDS)
def test_the_named_test_adds_one_from_the_test_file(kind):
    _, test = _rows()[kind]
    path = REPO / test
    assert path.is_file(), test
    assert re.search(r"\bregister\(", path.read_text()), f"{test} registers no {kind}"
