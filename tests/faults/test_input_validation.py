"""Reference-format JSONL import (docs/design.md §1, docs/weights.md): property tests over generated records.

Round trip: any valid record set imports, and exports back equal as parsed JSON. Rejection: a valid set
with one bad record of each kind is refused, the error names `file:line` of that record, and the
workspace (warehouse, shards, manifests) is byte-for-byte what it was. Bounded example counts keep CI
fast (~30 s for both on 2 CPU cores)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drift_core.errors import DriftError
from drift_core.jsonl_io import export_jsonl, import_jsonl
from drift_core.store import Workspace
from drift_core.testing.reference_records import write_jsonl

KNOWN = ("prompt_id", "gold", "messages", "verifier", "turn_rewards", "reward_details", "t_star",
         "answer_norms", "format_penalty")
OPTIONAL = ("gold", "verifier", "reward_details", "t_star", "answer_norms", "format_penalty")
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# text without lone surrogates (not valid UTF-8, so not representable in a UTF-8 JSONL file)
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
# finite rewards small enough that no sum of five overflows (huge ones are a rejection case)
reward = st.one_of(st.floats(-1e300, 1e300, allow_nan=False), st.integers(-10, 10), st.sampled_from([0.0, 1.0]))
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False,
                      allow_infinity=False), text)
json_value = st.recursive(json_leaf, lambda kids: st.one_of(st.lists(kids, max_size=3),
                                                            st.dictionaries(text, kids, max_size=3)), max_leaves=6)


@st.composite
def valid_record(draw, prompt_ids) -> dict:
    k = draw(st.integers(1, 5))  # K: turns with a reward
    turns = draw(st.lists(st.integers(1, 8), min_size=1, max_size=k, unique=True)) if draw(st.booleans()) \
        else list(range(1, k + 1))  # usual t1..tK, or gaps / any order
    rewards = {f"t{t}": draw(reward) for t in turns}
    if draw(st.booleans()):
        rewards["bonus"] = draw(reward)  # a key that names no turn: kept, counted nowhere
    rewarded = sorted(t for t in turns if rewards[f"t{t}"] > 0)
    t_star = draw(st.sampled_from(rewarded)) if rewarded and draw(st.booleans()) else None
    msgs = [{"role": "system", "content": draw(text)}, {"role": "user", "content": draw(text)}]
    for _ in range(draw(st.integers(0, 3))):
        msgs += [{"role": "assistant", "content": draw(text)}, {"role": "user", "content": draw(text)}]
    rec = {
        "prompt_id": draw(prompt_ids),
        "gold": draw(text),
        "messages": msgs,
        "verifier": {f"t{t}": int(t == t_star) for t in range(1, max(turns) + 1)} if draw(st.booleans())
        else draw(st.dictionaries(st.sampled_from(["t1", "t2", "t3"]), st.integers(0, 1), max_size=3)),
        "turn_rewards": rewards,
        "reward_details": {f"t{t}": {"format_penalty": draw(st.sampled_from([0.0, -0.1])),
                                     "actions": draw(st.lists(text, max_size=1))} for t in turns[:2]},
        "t_star": t_star,
        "answer_norms": draw(st.lists(text, max_size=3)),
        "format_penalty": draw(st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False))),
    }
    for key in draw(st.lists(st.sampled_from(OPTIONAL), unique=True, max_size=2)):
        del rec[key]  # known optional fields may be absent
    for key, value in draw(st.dictionaries(text.filter(lambda k: k not in KNOWN and k != "__drift__"),
                                           json_value, max_size=2)).items():
        rec[key] = value  # unknown fields: kept verbatim
    return rec


prompt_ids = st.sampled_from(["MATH_0", "MATH_1", "naïve ✓", "p\"q"]) | text.filter(bool)
record_sets = st.lists(valid_record(prompt_ids), min_size=1, max_size=6)


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def snapshot(ws: Workspace) -> dict[str, bytes]:
    """Every file of the workspace but DuckDB's spill folder, by content."""
    return {str(p.relative_to(ws.root)): p.read_bytes() for p in sorted(ws.root.rglob("*"))
            if p.is_file() and "tmp" not in p.relative_to(ws.root).parts}


@pytest.mark.slow
@settings(SETTINGS, max_examples=30)  # ~0.5 s each: an import with returns, an export
@given(recs=record_sets, ascii_only=st.booleans())
def test_generated_valid_records_import_and_export_back_equal(tmp_path, recs, ascii_only):
    ws = Workspace(tmp_path / "ws")
    path = write(tmp_path / "in.jsonl", [json.dumps(r, ensure_ascii=ascii_only) for r in recs])
    res = import_jsonl(ws, path)
    out = tmp_path / "out.jsonl"
    assert export_jsonl(ws, res.run_id, out) == len(recs)
    # split on newlines only: str.splitlines also splits at \x85 or \u2028, which JSON strings may hold
    got = [json.loads(line) for line in out.read_text(encoding="utf-8").split("\n") if line]
    assert got == recs
    con = ws.connect(read_only=True)
    try:
        returns = con.execute('select "return" from returns where run_id = ?', [res.run_id]).fetchall()
    finally:
        con.close()
    assert len(returns) == len(recs) and all(math.isfinite(r[0]) for r in returns)


def _bad(rec: dict, **changes) -> str:
    rec = dict(rec)
    for key, value in changes.items():
        if value is _DROP:
            rec.pop(key, None)
        else:
            rec[key] = value
    return json.dumps(rec)


_DROP = object()
# (kind, how to spoil a valid record into a JSON line, a pattern the error must match)
SPOILERS = [
    ("null reward", lambda r: _bad(r, turn_rewards={"t1": None}), "finite numbers"),
    ("bool reward", lambda r: _bad(r, turn_rewards={"t1": True, "t2": 0.0}), "finite numbers"),
    ("string reward", lambda r: _bad(r, turn_rewards={"t1": "1.0"}), "finite numbers"),
    ("string reward of an extra key", lambda r: _bad(r, turn_rewards={"t1": 0.0, "bonus": "x"}), "finite numbers"),
    ("NaN reward", lambda r: _bad(r, turn_rewards={"t1": math.nan}), "finite"),
    ("infinite reward", lambda r: _bad(r, turn_rewards={"t1": -math.inf}), "finite"),
    ("overflowing return", lambda r: _bad(r, turn_rewards={"t1": 1e308, "t2": 1e308}, t_star=1), "overflows"),
    ("empty turn_rewards", lambda r: _bad(r, turn_rewards={}), "no turn"),
    ("turn_rewards without a turn", lambda r: _bad(r, turn_rewards={"bonus": 1.0}), "no turn"),
    ("missing turn_rewards", lambda r: _bad(r, turn_rewards=_DROP), "missing turn_rewards"),
    ("turn t0", lambda r: _bad(r, turn_rewards={"t0": 0.0, "t1": 0.0}), "turns 1..1000"),
    ("turn named twice", lambda r: _bad(r, turn_rewards={"t1": 0.0, "t01": 0.0}), "twice"),
    ("t_star 0", lambda r: _bad(r, turn_rewards={"t1": 1.0}, t_star=0), "t_star must be null or a turn 1..1"),
    ("t_star negative", lambda r: _bad(r, turn_rewards={"t1": 1.0}, t_star=-2), "t_star must be null or a turn"),
    ("t_star beyond K", lambda r: _bad(r, turn_rewards={"t1": 0.0, "t2": 1.0}, t_star=9), "turn 1..2"),
    ("t_star huge", lambda r: _bad(r, t_star=2**64 - 1), "t_star must be null or a turn"),
    ("t_star float", lambda r: _bad(r, t_star=1.0), "integer or null"),
    ("t_star string", lambda r: _bad(r, t_star="1"), "integer or null"),
    ("t_star at an unrewarded turn", lambda r: _bad(r, turn_rewards={"t1": 1.0, "t2": 0.0}, t_star=2),
     "not consistent"),
    ("missing prompt_id", lambda r: _bad(r, prompt_id=_DROP), "missing prompt_id"),
    ("null prompt_id", lambda r: _bad(r, prompt_id=None), "missing prompt_id"),
    ("empty prompt_id", lambda r: _bad(r, prompt_id=""), "prompt_id is empty"),
    ("numeric prompt_id", lambda r: _bad(r, prompt_id=7), "prompt_id must be a string"),
    ("string format_penalty", lambda r: _bad(r, format_penalty="-0.1"), "format_penalty"),
    ("bool format_penalty", lambda r: _bad(r, format_penalty=False), "format_penalty"),
    ("NaN format_penalty", lambda r: _bad(r, format_penalty=math.nan), "format_penalty"),
    ("missing messages", lambda r: _bad(r, messages=_DROP), "missing messages"),
    ("reserved key", lambda r: _bad(r, __drift__={}), "reserved"),
    ("not an object", lambda r: json.dumps([r]), "OBJECT|not a JSON object"),
    ("malformed JSON", lambda r: json.dumps(r)[:-1], "Malformed JSON"),
    ("messages not a list", lambda r: _bad(r, messages="hi"), "ARRAY|messages must be a list"),
    ("turn_rewards not an object", lambda r: _bad(r, turn_rewards=[1.0]), "OBJECT|turn_rewards must be an object"),
]


@pytest.fixture(scope="module")
def populated(tmp_path_factory) -> Workspace:
    """A workspace that already holds an imported run (with returns), so that 'unchanged' means something."""
    root = tmp_path_factory.mktemp("populated")
    ws = Workspace(root / "ws")
    import_jsonl(ws, write_jsonl(root / "good.jsonl", 8, group=4))
    return ws


@pytest.mark.parametrize("kind, spoil, expect", SPOILERS, ids=[s[0] for s in SPOILERS])
@settings(SETTINGS, max_examples=3)  # per kind: a refused import is cheap, but there are 32 kinds
@given(recs=record_sets, at=st.integers(0, 6), blank=st.booleans())
def test_generated_invalid_records_are_refused_with_file_line_and_change_nothing(
        populated, tmp_path, kind, spoil, expect, recs, at, blank):
    lines = [json.dumps(r) for r in recs]
    at = min(at, len(lines))
    lines.insert(at, spoil(recs[0]))
    if blank:
        lines.insert(0, "")  # blank lines count for the line number, not as records
    bad_line = at + 1 + blank
    path = write(tmp_path / "bad.jsonl", lines)
    before = snapshot(populated)
    with pytest.raises(DriftError) as err:
        import_jsonl(populated, path)
    msg = str(err.value)
    assert f"{path}:{bad_line}:" in msg, (kind, msg)
    assert re.search(expect, msg), (kind, msg)
    assert "nothing imported" in msg
    assert snapshot(populated) == before, kind


def test_a_failed_returns_step_leaves_no_run_behind(workspace, tmp_path, monkeypatch):
    """The import computes returns after writing the shards; if that step fails (here: an injected
    error), the shards go too, so a retry imports afresh instead of 'already imported'."""
    import drift_core.jsonl_io as jio

    path = write_jsonl(tmp_path / "a.jsonl", 4, group=2)

    def boom(*a, **k):
        raise DriftError("injected failure while computing returns")

    monkeypatch.setattr(jio, "compute_returns", boom)
    with pytest.raises(DriftError, match="injected"):
        import_jsonl(workspace, path)
    assert not list(workspace.table_dir("trajectories").glob("*/*"))
    assert not list(workspace.table_dir("turns").glob("*/*"))
    monkeypatch.undo()
    res = import_jsonl(workspace, path)
    assert not res.skipped and res.records == 4
