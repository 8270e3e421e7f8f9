"""Figures README.md and docs/*.md quote from results files match those files.

A results page (benchmarks/results/*.md, its .json) is written by a command; the docs quote some of its
figures. Editing the page (a rerun) without the docs, or the docs without the page, fails here with the
file and the figure. Also: no doc text refers to issue numbers or to "the issue", which readers of the
project cannot resolve. Plain text parsing only: no project imports, well under a second.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
# The page of the 2026-11-26 comparison (one learning rate for every arm), kept for docs/compare.md's findings.
OLD = "tiny_world_2026-11-26"
# The pages of `drift compare --world W --answer` (DRIFT and its rounds against online GRPO).
ANSWER, CHOICE_ANSWER = "tiny_world_answer.md", "tiny_world_choice_answer.md"
README = REPO / "README.md"
DOC_FILES = [README, *sorted((REPO / "docs").glob("*.md"))]

# A figure with exactly three decimals (0.468), not part of a longer number.
THREE_DECIMALS = re.compile(r"(?<![\d.])\d+\.\d{3}(?!\d)")
# Columns of the result table and their keys in the page's .json `summary`.
COLUMN_KEYS = {
    "multi@1": "multi@1", "multi@2": "multi@2", "multi@3": "multi@3", "multi@4": "multi@4",
    "multi@5": "multi@5", "correction rate": "correction_rate", "repeated answers": "repeat_share",
    "train time (s)": "train_seconds", "rollout tokens": "rollout_tokens",
}


def rel(path: Path) -> str:
    return str(path.relative_to(REPO))


def section(path: Path, heading: str) -> str:
    """The text of `heading` (a whole line) up to the next heading of the same or a higher level."""
    text = path.read_text()
    m = re.search(rf"^{re.escape(heading)}[ \t]*$", text, re.M)
    assert m, f"{rel(path)}: no section {heading!r} (the test reads its figures from there)"
    level = len(heading) - len(heading.lstrip("#"))
    end = re.compile(rf"^#{{1,{level}}} ", re.M).search(text, m.end())
    return text[m.end(): end.start() if end else len(text)]


def tables(text: str) -> list[list[list[str]]]:
    """Every markdown table in `text`: rows of stripped cells, header first, the |---| line dropped."""
    out, rows = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                rows.append(cells)
        elif rows:
            out.append(rows)
            rows = []
    return out


def table_with(text: str, first_header: str, where: str) -> list[list[str]]:
    found = [t for t in tables(text) if t[0][0] == first_header]
    assert found, f"{where}: no table whose first column is {first_header!r}"
    return found[0]


def facts(page: str) -> dict[str, str]:
    """The `facts` of a results page's .json (the "- key: value" lines of its .md)."""
    return json.loads((RESULTS / f"{page}.json").read_text())["facts"]


def find(path: Path, pattern: str) -> re.Match:
    m = re.search(pattern, path.read_text())
    assert m, f"{rel(path)}: the quoted figure /{pattern}/ is gone; update this test to what the text quotes now"
    return m


def test_readme_result_table_is_the_page_greedy_table():
    page = RESULTS / "tiny_world.md"
    theirs = table_with(section(page, "## Greedy decoding (the paper's evaluation)"), "arm", rel(page))
    ours = table_with(section(README, "## Result on the tiny world"), "arm", "README.md, Result on the tiny world")
    assert ours[0] == theirs[0], f"README.md result table's columns {ours[0]} != {rel(page)}'s {theirs[0]}"
    assert [r[0] for r in ours] == [r[0] for r in theirs], (
        f"README.md result table's arms {[r[0] for r in ours[1:]]} != {rel(page)}'s {[r[0] for r in theirs[1:]]}")
    for mine, page_row in zip(ours[1:], theirs[1:], strict=True):
        assert len(mine) == len(page_row), f"README.md result table, row {mine[0]}: {mine} != {rel(page)}'s {page_row}"
        for col, a, b in zip(ours[0][1:], mine[1:], page_row[1:], strict=True):
            assert a == b, f"README.md result table, {mine[0]} / {col}: {a!r}, but {rel(page)} says {b!r}"


def close(cell: str, value: float) -> bool:
    """`cell` (as printed, maybe with thousands commas) is `value` rounded to the cell's decimals."""
    cell = cell.replace(",", "")
    decimals = len(cell.split(".")[1]) if "." in cell else 0
    return abs(float(cell) - value) <= 0.5 * 10 ** -decimals + 1e-9


def test_readme_result_table_matches_the_page_json():
    path = RESULTS / "tiny_world.json"
    summary = json.loads(path.read_text())["summary"]
    table = table_with(section(README, "## Result on the tiny world"), "arm", "README.md, Result on the tiny world")
    for row in table[1:]:
        arm = row[0]
        assert len(row) == len(table[0]), f"README.md result table, row {arm}: {len(row)} cells, header {len(table[0])}"
        for col, cell in zip(table[0][1:], row[1:], strict=True):
            key = f"{arm}.greedy.{COLUMN_KEYS[col]}"
            mean, std = (c.strip() for c in cell.split("±"))
            for part, suffix in ((mean, "_mean"), (std, "_std")):
                assert key + suffix in summary, f"{rel(path)} has no {key + suffix} (README.md quotes {cell!r})"
                assert close(part, summary[key + suffix]), (
                    f"README.md result table, {arm} / {col}: {part!r}, but {rel(path)} "
                    f"{key + suffix} = {summary[key + suffix]}")


# Three-decimal figures in these sections must appear on the results pages they discuss.
QUOTING_SECTIONS = [
    (README, "## Result on the tiny world", ["tiny_world.md", "tiny_world_choice.md", ANSWER, CHOICE_ANSWER]),
    (REPO / "docs" / "compare.md", "## Findings: DRIFT vs online GRPO (2026-12-08; "
     f"`benchmarks/results/{ANSWER}`, `{CHOICE_ANSWER}`)", [ANSWER, CHOICE_ANSWER]),
    (REPO / "docs" / "compare.md", f"## Findings on the tiny world (2026-11-26; `benchmarks/results/{OLD}.md`)",
     [f"{OLD}.md", "tiny_world_lr2e-5.md", "tiny_world_sweep.md"]),
]


@pytest.mark.parametrize(("path", "heading", "pages"), QUOTING_SECTIONS, ids=lambda v: getattr(v, "name", None))
def test_three_decimal_figures_come_from_the_pages(path, heading, pages):
    have = set()
    for page in pages:
        have |= set(THREE_DECIMALS.findall((RESULTS / page).read_text()))
    missing = sorted(set(THREE_DECIMALS.findall(section(path, heading))) - have)
    assert not missing, (f"{rel(path)}, {heading!r} quotes {missing}, found on none of "
                         f"{', '.join('benchmarks/results/' + p for p in pages)}")


def pct(x: str) -> str:
    return f"{round(float(x) * 100)}"


# (doc, pattern with one group per figure, results page, fact key, pattern for the same figures, how the doc
# writes each figure of the page). \s+ lets a quote wrap across lines.
QUOTED_FACTS = [
    (README, r"95% interval of one\s+share: ± (0\.\d+)", "tiny_world", "test noise", r"± (0\.\d+)", str),
    (README, r"\((\d+) prompts × n=(\d+)\)", "tiny_world", "rollouts", None, None),
    (README, r"\((\d+) steps\s+× (\d+),", "tiny_world", "budget per trained arm",
     r"(\d+) optimizer steps x batch (\d+)", float),
    (README, r'the page\'s "all-fail prompts (0\.\d+)"', "tiny_world", "weights of drift",
     r"all-fail prompts (0\.\d+)", str),
    (REPO / "docs" / "compare.md", r"and (\d+)% of train prompts fail in all 8", OLD, "weights of drift",
     r"all-fail prompts (0\.\d+)", pct),
    (REPO / "docs" / "compare.md", r'the page\'s "all-fail prompts (0\.\d+)"', OLD, "weights of drift",
     r"all-fail prompts (0\.\d+)", str),
    (REPO / "docs" / "compare.md", r"With (\d+)% all-fail prompts and beta (0\.\d+)", OLD,
     "weights of drift", None, None),
    (REPO / "docs" / "compare.md", r"(\d+)% of its weight is on solved", OLD, "weights of drift",
     r"weight on solved (0\.\d+)", pct),
    (REPO / "docs" / "compare.md", r"beta auto\s+resolved to (0\.\d+) \(mean ESS/n (0\.\d+)\)", OLD,
     "weights of drift-ext", r"beta (0\.\d+), .*mean ESS/n (0\.\d+)", str),
    (REPO / "docs" / "compare.md", r"`drift compare` (\d+\.\d) min after the tiny world build", OLD,
     "wall time", r"(\d+\.\d) min", str),
]


@pytest.mark.parametrize("case", QUOTED_FACTS, ids=lambda c: f"{c[0].name}:{c[1][:30]}")
def test_quoted_facts_match_the_page(case):
    path, pattern, page, key, fact_pattern, show = case
    quoted = find(path, pattern).groups()
    fact = facts(page)[key]
    where = f"benchmarks/results/{page}.json facts[{key!r}] = {fact!r}"
    if key == "rollouts":  # "(600 prompts × n=8)": prompts from "data", n from "rollouts"
        expected = (re.search(r"(\d+) train prompts", facts(page)["data"])[1], re.search(r"n=(\d+)", fact)[1])
        assert quoted == expected, f"{rel(path)} quotes {quoted}, but the page's data/rollouts say {expected}"
        return
    if show is None:  # compare.md's all-fail share (percent) and beta
        share = re.search(r"all-fail prompts (0\.\d+)", fact)[1]
        beta = re.search(r"beta (0\.\d+)", fact)[1]
        assert quoted == (pct(share), beta), f"{rel(path)} quotes {quoted}, but {where}"
        return
    m = re.search(fact_pattern, fact)
    assert m, f"{where} no longer matches /{fact_pattern}/"
    if show is float:
        assert tuple(map(float, quoted)) == tuple(map(float, m.groups())), f"{rel(path)} quotes {quoted}, but {where}"
    else:
        expected = tuple(show(g) for g in m.groups())
        assert quoted == expected, f"{rel(path)} quotes {quoted}, but {where}"


def test_sweep_wall_time_quote():
    page = RESULTS / "tiny_world_sweep.md"
    theirs = re.search(r"Wall time (\d+\.\d) min", page.read_text())
    assert theirs, f"{rel(page)} no longer states 'Wall time N min'"
    ours = find(REPO / "docs" / "compare.md", r"`drift sweep` (\d+\.\d) min")[1]
    assert ours == theirs[1], f"docs/compare.md quotes `drift sweep` {ours} min, but {rel(page)} says {theirs[1]} min"


def test_readme_tiny_world_table_matches_docs_tiny_world():
    """The README's card figures are the ones docs/tiny-world.md records with the command and date."""
    doc = REPO / "docs" / "tiny-world.md"
    measured = section(doc, "## Measured figures")
    choice = table_with(measured[: measured.index("**Arithmetic world**")], "seed", f"{rel(doc)}, choice world")
    arith = table_with(measured[measured.index("**Arithmetic world**"):], "seed", f"{rel(doc)}, arithmetic world")
    expected = {}
    for seed, greedy, t1, repeated, all_fail, malformed, _build in choice[1:]:
        g, t = greedy.split(" / "), t1.split(" / ")
        expected[f"choice {seed}"] = [g[0], g[-1], t[0], t[-1], malformed.split(" / ")[0],
                                      f"{float(repeated.split(' / ')[0]):.2f}", all_fail]
    for seed, g1, g5, t1, t5, malformed, repeated, all_fail, _build in arith[1:]:
        expected[f"arithmetic {seed}"] = [g1, g5, t1, t5, malformed.split(" / ")[0], repeated.split(" / ")[0],
                                          all_fail]
    ours = table_with(section(README, "## The tiny world"), "world, seed", "README.md, The tiny world")
    assert sorted(r[0] for r in ours[1:]) == sorted(expected), (
        f"README.md tiny-world table has rows {[r[0] for r in ours[1:]]}, {rel(doc)} {sorted(expected)}")
    for row in ours[1:]:
        assert len(row) == len(ours[0]), (
            f"README.md tiny-world table, row {row[0]}: {len(row)} cells, header {len(ours[0])}")
        for col, a, b in zip(ours[0][1:], row[1:], expected[row[0]], strict=True):
            assert a == b, f"README.md tiny-world table, {row[0]} / {col}: {a!r}, but {rel(doc)} says {b!r}"


# An issue number ("issue 14", "issues #3") or "the issue", also wrapped across lines.
ISSUE_REFERENCE = re.compile(r"\bissues?\s?#?\d+|\bthe\s+issue\b", re.I)


@pytest.mark.parametrize("path", DOC_FILES, ids=rel)
def test_no_issue_references(path):
    text = path.read_text()
    hits = [f"{rel(path)}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)!r}"
            for m in ISSUE_REFERENCE.finditer(text)]
    assert not hits, "issue numbers / 'the issue' mean nothing to a reader of the docs:\n" + "\n".join(hits)


def test_readme_learning_rates_are_the_ones_chosen_on_validation():
    """'chosen on the validation split: a, b 1e-05; c 3e-05)' names each arm's value from the page's .json."""
    chosen = {s["arm"]: s["chosen"] for s in json.loads((RESULTS / "tiny_world.json").read_text())["selections"]}
    quoted = {}
    for part in find(README, r"learning rate chosen on the validation\s+split: ([^)]*)\)")[1].split(";"):
        arms, value = part.strip().rsplit(None, 1)
        quoted |= {arm.strip(): float(value) for arm in re.split(r",\s*", arms)}
    assert quoted == chosen, f"README.md quotes learning rates {quoted}, benchmarks/results/tiny_world.json {chosen}"


def test_readme_choice_tables_are_the_pages():
    """The choice world's greedy and T=1 tables (optimum row included) are copied from its page verbatim."""
    page = (RESULTS / "tiny_world_choice.md").read_text()
    ours = section(README, "### Choice world (hidden-option items)")
    for heading in ("## Greedy decoding (the paper's evaluation)", "## Sampled at T=1 (one trajectory per problem)"):
        table = page.split(heading + "\n\n", 1)[1].split("\n\n", 1)[0]
        assert table in ours, f"README.md's choice-world section lacks the {heading!r} table of tiny_world_choice.md"


ANSWER_TABLES = [("arithmetic", ANSWER), ("choice", CHOICE_ANSWER)]
VERDICTS = {"reaches online GRPO's multi@5 within noise": "within noise",
            "is above online GRPO's multi@5 beyond noise": "above, beyond noise",
            "does not reach online GRPO's multi@5 within noise": "below, beyond noise"}


@pytest.mark.parametrize(("world", "page"), ANSWER_TABLES)
def test_readme_answer_tables_are_the_pages(world, page):
    """Each row of the README's DRIFT-vs-online table: multi@1 and multi@5 from the page's greedy table, generated
    tokens from its Cost table, seconds and the verdict from its computed DRIFT vs online GRPO section."""
    path = RESULTS / page
    where = f"README.md, DRIFT vs online GRPO ({world})"
    ours = table_with(section(README, "### DRIFT vs online GRPO (the answer)"), world, where)
    greedy = {r[0]: r for r in table_with(section(path, "## Greedy decoding (the paper's evaluation)"), "arm", page)}
    cost = {r[0]: r for r in table_with(section(path, "## Cost"), "arm", page)}
    head = greedy["arm"]
    computed = section(path, "## DRIFT vs online GRPO (computed, not written by hand)")
    for row in ours[1:]:
        arm = row[0]
        assert row[1] == greedy[arm][head.index("multi@1")], f"{where}, {arm} multi@1 {row[1]} != {page}"
        assert row[2] == greedy[arm][head.index("multi@5")], f"{where}, {arm} multi@5 {row[2]} != {page}"
        assert row[3] == cost[arm][1].split(" ±")[0], f"{where}, {arm} generated tokens {row[3]} != {page}'s Cost"
        if arm == "online-grpo":
            m = re.search(r"wall seconds of generation and training \([\d,]+ vs ([\d,]+) s\)", computed)
            assert m and row[4] == m[1], f"{where}, online-grpo seconds {row[4]} != {page}'s {m and m[1]}"
            continue
        line = re.search(rf"^- `{re.escape(arm)}`: .*$", computed, re.M)
        assert line, f"{page}: no computed line for {arm}"
        m = re.search(r"\(([\d,]+) vs [\d,]+ s\)", line[0])
        assert m and row[4] == m[1], f"{where}, {arm} seconds {row[4]} != {page}'s {m and m[1]}"
        verdict = next(v for k, v in VERDICTS.items() if k in line[0])
        assert row[5].startswith(verdict.split(",")[0]), (
            f"{where}, {arm}: {row[5]!r}, but {page} says {verdict!r}")
