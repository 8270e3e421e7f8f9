"""Reference-format JSONL import/export: lossless round trip, all-or-nothing errors, same returns as
a rollout's own rows."""

import json

import pyarrow.parquet as pq
import pytest

from drift_core.config import PromptsConfig, ProtocolConfig, RolloutConfig, WeightsConfig
from drift_core.errors import DriftError
from drift_core.jsonl_io import export_jsonl, import_jsonl
from drift_core.prompts import load_prompts
from drift_core.rollout import rollout
from drift_core.testing.reference_records import records, write_jsonl
from drift_core.weights import compute_weights


def write_lines(path, objs_or_lines):
    with open(path, "w") as f:
        for o in objs_or_lines:
            f.write((o if isinstance(o, str) else json.dumps(o)) + "\n")
    return path


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def roundtrip(ws, tmp_path, path):
    res = import_jsonl(ws, path)
    out = tmp_path / "out.jsonl"
    assert export_jsonl(ws, res.run_id, out) == res.records
    return res, read_jsonl(path), read_jsonl(out)


def test_roundtrip_is_lossless_including_odd_records(workspace, tmp_path):
    recs = list(records(40, group=4, seed=3))
    recs[1]["custom"] = {"nested": [1, 2.5, None]}  # unknown field -> extra
    recs[2]["zz"] = None  # an unknown key holding null
    del recs[3]["format_penalty"], recs[3]["gold"]  # known optional fields absent
    recs[4]["format_penalty"] = None  # known field present as null
    recs[5]["verifier"]["t5"] = 1  # verifier not one-hot at t_star: kept verbatim
    recs[6]["messages"][1]["content"] = "naïve — ünïcode ✓ \"quoted\" \\ back\nslash"
    recs[7]["format_penalty"] = -0.30000000000000004  # float digits survive
    recs[8]["answer_norms"] = []
    recs[9]["t_star"] = None
    path = tmp_path / "in.jsonl"
    with open(path, "w") as f:
        for i, r in enumerate(recs):
            f.write(json.dumps(r, ensure_ascii=i % 2 == 0) + "\n")
            if i == 10:
                f.write("\n")  # a blank line is skipped
    res, want, got = roundtrip(workspace, tmp_path, path)
    assert res.records == 40
    assert got == want
    # key order of a full reference record is kept too
    assert list(got[0]) == list(want[0])


def test_turn_rewards_with_gaps_and_extra_keys_import_and_come_back_unchanged(workspace, tmp_path):
    recs = list(records(6, group=3, seed=4))
    # a gap: t1..t5, then t10 (the reference reads t_k as turn k, a missing turn as 0)
    recs[0]["turn_rewards"] = {"t1": 0.0, "t2": 0.0, "t3": 0.0, "t4": 0.0, "t5": 0.0, "t10": 1.0}
    recs[0]["verifier"] = {"t1": 0, "t2": 0, "t3": 0, "t4": 0, "t5": 0, "t10": 1}
    recs[0]["answer_norms"], recs[0]["format_penalty"], recs[0]["t_star"] = ["3", "3", "5"], -0.1, 10
    # keys that name no turn (kept, counted nowhere), out of order, a turn spelt t01, an integer value
    recs[1]["turn_rewards"] = {"bonus": 0.5, "t2": 1, "t3_extra": 2.0, "t01": 0.25}
    recs[1]["answer_norms"], recs[1]["format_penalty"], recs[1]["t_star"] = ["", "4"], 0.0, 2
    # one turn and a key that names none (an object without any turn key is refused: test_bad_line...)
    recs[2]["turn_rewards"] = {"note": 3.0, "t1": 0.0}
    recs[2]["answer_norms"], recs[2]["format_penalty"], recs[2]["t_star"] = [], 0.0, None
    path = write_lines(tmp_path / "gaps.jsonl", recs)
    res, want, got = roundtrip(workspace, tmp_path, path)
    assert res.records == 6 and got == want
    con = workspace.connect(read_only=True)
    rows = con.execute("""
        select t.max_turns, t.turn_rewards, r.discounted_return, r.repeat_penalty, r."return"
        from trajectories t join returns r using (run_id, prompt_id, sample_idx)
        where r.gamma = 0.9 and r.repeat_penalty_lambda = 0.5 order by t.prompt_id, t.sample_idx""").fetchall()
    con.close()
    gap, extra, none = rows[0], rows[1], rows[2]  # records() puts sample_idx 0, 1, 2 of prompt 0 first
    # gap: r_10 = 1 -> 0.9^9; answers 3, 3, 5 -> 0.5 * (1 - 2/3) = 1/6; R = 0.9^9 - 0.1 - 1/6
    assert gap[:2] == (10, [0.0] * 9 + [1.0])
    assert gap[2:] == pytest.approx((0.9 ** 9, 1 / 6, 0.9 ** 9 - 0.1 - 1 / 6), rel=1e-12)
    # extra keys: r_1 = 0.25 (t01), r_2 = 1 -> 0.25 + 0.9; answers '', 4 -> 0.5 * (1 - 1/2); R = 1.15 - 0.25
    assert extra[:2] == (2, [0.25, 1.0])
    assert extra[2:] == pytest.approx((1.15, 0.25, 0.9), rel=1e-12)
    # 'note' counts nowhere: r_1 = 0, no answers: R = 0
    assert none[:2] == (1, [0.0]) and none[2:] == (0.0, 0.0, 0.0)


@pytest.mark.slow  # a process pool
def test_a_file_read_in_parallel_keeps_its_record_order(workspace, tmp_path):
    # ~33 MB: DuckDB's JSON reader splits it over threads; record numbers (and so sample_idx, the
    # error line numbers and the export order) must still follow the file.
    recs = list(records(25_000, group=16, seed=5))
    for i in (7, 12_001, 24_999):
        recs[i]["note"] = f"odd record {i}"  # unusual records spread over the file
    path = write_lines(tmp_path / "big.jsonl", recs)
    res, want, got = roundtrip(workspace, tmp_path, path)
    assert res.records == 25_000
    assert got == want


def test_reimport_is_a_noop_and_other_content_under_same_run_id_is_refused(workspace, tmp_path):
    p = write_jsonl(tmp_path / "a.jsonl", 8, group=4)
    first = import_jsonl(workspace, p)
    again = import_jsonl(workspace, p)
    assert again.skipped and again.run_id == first.run_id
    q = write_jsonl(tmp_path / "b.jsonl", 8, group=4, seed=9)
    with pytest.raises(DriftError, match="already exists"):
        import_jsonl(workspace, q, run_id=first.run_id)


def test_tables_follow_the_ddl_and_turns_match_records(workspace, tmp_path):
    p = write_jsonl(tmp_path / "a.jsonl", 16, group=4, seed=2)
    res = import_jsonl(workspace, p)
    for table in ("trajectories", "turns"):
        ddl = pq.read_schema(workspace.table_dir(table) / "_schema.parquet")
        got = pq.read_schema(workspace.shard_path(table, res.run_id, 0))
        assert [(f.name, f.type) for f in got] == [(f.name, f.type) for f in ddl]
    con = workspace.connect(read_only=True)
    # per trajectory: turn rows = assistant messages, summed penalties, correct turn = t_star
    bad = con.execute("""
        select count(*) from trajectories t
        join (select prompt_id, sample_idx, count(*) n, sum(format_penalty) fp,
                     min(turn) filter (where correct) first_ok from turns group by all) u
          using (prompt_id, sample_idx)
        where u.n <> t.num_turns or abs(u.fp - t.format_penalty) > 1e-12 or u.first_ok is distinct from t.t_star
    """).fetchone()[0]
    assert bad == 0
    keys = con.execute("select count(*), count(distinct (prompt_id, sample_idx)) from trajectories").fetchone()
    assert keys == (16, 16)
    con.close()


@pytest.mark.parametrize("line, problem", [
    ('{"prompt_id": "a", "messages": [], "turn_rewards": {"t1": 1.0}', "Malformed JSON"),
    ('{"gold": "1", "messages": [], "turn_rewards": {"t1": 1.0}}', "missing prompt_id"),
    ('{"prompt_id": "a", "messages": [], "turn_rewards": {"t1": NaN}}', "finite"),
    ('{"prompt_id": "a", "messages": [], "turn_rewards": {"t1": Infinity}}', "finite"),
    ('{"prompt_id": "a", "messages": [], "turn_rewards": {"t0": 0.0, "t3": 1.0}}', "turns 1..1000"),
    ('{"prompt_id": "a", "messages": [], "turn_rewards": {"t1": 0.0, "t1001": 1.0}}', "turns 1..1000"),
    ('{"prompt_id": "a", "messages": [], "turn_rewards": {"t1": 0.0, "t01": 1.0}}', "turn twice"),
    ('{"prompt_id": "a", "messages": [], "turn_rewards": {"t1": 0.0, "bonus": NaN}}', "finite"),
    ('{"prompt_id": "a", "messages": [], "turn_rewards": {"t1": 0.0}, "format_penalty": NaN}', "finite"),
    ('{"prompt_id": "a", "messages": [], "turn_rewards": {"t1": "x"}}', 'finite numbers .* "t1": "x"'),
    ('{"prompt_id": "a", "messages": [], "turn_rewards": {"t1": null}}', 'finite numbers .* "t1": null'),
    ('{"prompt_id": "a", "messages": [], "turn_rewards": {"t1": true}}', 'finite numbers .* "t1": true'),
    ('{"prompt_id": "a", "messages": [], "turn_rewards": {"t1": "1.0"}}', r'finite numbers .* "t1": "1\.0"'),
    ('{"prompt_id": "a", "messages": [], "turn_rewards": {"t1": 1e308, "t2": 1e308}}', "overflows"),
    ('{"prompt_id": "a", "messages": [], "turn_rewards": {}}', "no turn"),
    ('{"prompt_id": "a", "messages": [], "turn_rewards": {"note": 1.0}}', "no turn"),
    ('{"prompt_id": "a", "messages": [], "turn_rewards": {"t1": 1.0}, "t_star": 0}', "null or a turn 1..1"),
    ('{"prompt_id": "a", "messages": [], "turn_rewards": {"t1": 1.0}, "t_star": -2}', "turn 1..1 .*got -2"),
    ('{"prompt_id": "a", "messages": [], "turn_rewards": {"t1": 1.0}, "t_star": 9}', "turn 1..1 .*got 9"),
    ('{"prompt_id": "a", "messages": [], "turn_rewards": {"t1": 0.0, "t2": 0.0}, "t_star": 2}', "not consistent"),
    ('{"prompt_id": 7, "messages": [], "turn_rewards": {"t1": 0.0}}', "prompt_id must be a string, got 7"),
    ('{"prompt_id": "a", "messages": [], "turn_rewards": {"t1": 0.0}, "format_penalty": "0.1"}', "format_penalty"),
    ('{"prompt_id": "a", "messages": "hi", "turn_rewards": {"t1": 0.0}}', "ARRAY"),
    ('[1, 2]', "OBJECT"),
])
def test_bad_line_is_named_and_nothing_is_written(workspace, tmp_path, line, problem):
    good = [json.dumps(r) for r in records(5, group=5)]
    path = write_lines(tmp_path / "bad.jsonl", good[:2] + [""] + [line] + good[2:])
    with pytest.raises(DriftError, match=problem) as err:
        import_jsonl(workspace, path)
    assert "line 4" in str(err.value) or "bad.jsonl:4" in str(err.value)
    assert not list(workspace.table_dir("trajectories").glob("*/shard-*.parquet"))
    assert not list(workspace.table_dir("turns").glob("*/shard-*.parquet"))


def test_rollout_rows_and_their_reimport_give_identical_returns(workspace, tmp_path, random_model_dir):
    prompts = load_prompts(PromptsConfig(source="arithmetic", count=4, levels=[1], seed=0))
    res = rollout(workspace, prompts, ProtocolConfig(max_turns=3),
                  RolloutConfig(engine="hf", n=3, max_new_tokens=8, seed=1), str(random_model_dir), progress=False)
    out = tmp_path / "rollout.jsonl"
    export_jsonl(workspace, res.run_id, out)
    back = import_jsonl(workspace, out)
    compute_weights(workspace, WeightsConfig())
    con = workspace.connect(read_only=True)
    pairs = con.execute("""
        select a."return", b."return", a.discounted_return, b.discounted_return, a.repeat_penalty, b.repeat_penalty
        from returns a join returns b using (prompt_id, sample_idx, gamma)
        where a.run_id = $a and b.run_id = $b""", {"a": res.run_id, "b": back.run_id}).fetchall()
    assert len(pairs) == 12
    assert all(p[0] == p[1] and p[2] == p[3] and p[4] == p[5] for p in pairs)
    # and the re-exported import equals the rollout's export
    again = tmp_path / "again.jsonl"
    export_jsonl(workspace, back.run_id, again)
    assert read_jsonl(again) == read_jsonl(out)
    con.close()


def test_an_interrupted_import_is_redone(workspace, tmp_path):
    p = write_jsonl(tmp_path / "a.jsonl", 8, group=4)
    res = import_jsonl(workspace, p)
    # simulate a kill after the shards but before the manifest
    (workspace.run_dir(res.run_id) / "_import.json").unlink()
    again = import_jsonl(workspace, p)
    assert not again.skipped and again.records == 8
    con = workspace.connect(read_only=True)
    assert con.execute("select count(*) from trajectories").fetchone()[0] == 8
    con.close()
