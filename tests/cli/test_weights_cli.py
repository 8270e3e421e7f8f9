"""`drift import-jsonl / export-jsonl / weights / export-dataset / sql` through the real entry point."""

import hashlib
import json

import pyarrow.parquet as pq
import pytest

from cli.testing import drift as run_drift
from drift_core import weight_schemes
from drift_core.testing.reference_records import write_jsonl


def drift(capsys, *args) -> tuple[int, str, str]:
    rc = run_drift(*args)
    out = capsys.readouterr()
    return rc, out.out, out.err


def digest(ws):
    """Every file of the workspace, hashed: 'unchanged' means byte for byte."""
    return {str(p.relative_to(ws)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(ws.rglob("*")) if p.is_file() and "tmp" not in p.parts}


@pytest.fixture()
def ws(tmp_path, capsys):
    ws = tmp_path / "ws"
    src = write_jsonl(tmp_path / "traj.jsonl", 48, group=8, seed=4)
    rc, out, err = drift(capsys, "import-jsonl", src, "-w", ws, "--run-id", "imp")
    assert rc == 0 and "imported 48 records as run imp" in out and "returns at gamma 0.9" in out, err
    return ws


def test_import_export_roundtrip_cli(ws, tmp_path, capsys):
    out = tmp_path / "back.jsonl"
    rc, text, _ = drift(capsys, "export-jsonl", out, "-w", ws, "--run-id", "imp")
    assert rc == 0 and "wrote 48 records" in text
    src = tmp_path / "traj.jsonl"
    assert [json.loads(x) for x in out.read_text().splitlines()] == [
        json.loads(x) for x in src.read_text().splitlines()]


def test_export_jsonl_picks_its_run_like_every_command(ws, tmp_path, capsys):
    """drift_core.stages.weights.pick_run: the only run by default; with two, an error naming both; --run-id picks."""
    rc, text, _ = drift(capsys, "export-jsonl", tmp_path / "only.jsonl", "-w", ws)
    assert rc == 0 and "wrote 48 records of run imp" in text
    other = write_jsonl(tmp_path / "other.jsonl", 16, group=8, seed=5)
    rc, _, err = drift(capsys, "import-jsonl", other, "-w", ws, "--run-id", "imp2")
    assert rc == 0, err
    rc, text, err = drift(capsys, "export-jsonl", tmp_path / "none.jsonl", "-w", ws)
    assert rc != 0 and "imp, imp2" in text + err and "--run-id" in text + err
    assert not (tmp_path / "none.jsonl").exists()
    rc, text, err = drift(capsys, "export-jsonl", tmp_path / "second.jsonl", "-w", ws, "--run-id", "imp2")
    assert rc == 0 and "wrote 16 records of run imp2" in text, err
    assert [json.loads(x) for x in (tmp_path / "second.jsonl").read_text().splitlines()] == [
        json.loads(x) for x in other.read_text().splitlines()]
    rc, text, err = drift(capsys, "export-jsonl", tmp_path / "x.jsonl", "-w", ws, "--run-id", "nope")
    assert rc != 0 and "no run 'nope'" in text + err


def test_weights_prints_diagnostics_and_json(ws, capsys):
    rc, out, _ = drift(capsys, "weights", "-w", ws, "--scheme", "drift", "--gamma", "0.9", "--beta", "0.1")
    assert rc == 0
    for label in ("mean ESS/n per prompt", "weight on solved", "all-fail prompts", "imp"):
        assert label in out
    # the import computed the returns at the config's gamma (0.9): this only weighted
    assert "weights: drift, beta 0.1, gamma 0.9: 48 rows" in out and "(returns reused)" in out
    rc, out, _ = drift(capsys, "weights", "-w", ws, "--gamma", "0.8")
    assert rc == 0 and "(returns computed)" in out
    rc, out, _ = drift(capsys, "weights", "-w", ws, "--beta", "auto", "--json")
    summary = json.loads(out)
    assert rc == 0 and summary["beta_spec"] == "auto" and summary["runs"][0]["mean_ess_fraction"] >= 0.5


@pytest.mark.parametrize("command", ["weights", "export-dataset", "train"])
def test_scheme_help_lists_the_registered_schemes(capsys, monkeypatch, command):
    monkeypatch.setenv("COLUMNS", "400")  # one line per option: names are not wrapped apart
    rc, out, _ = drift(capsys, command, "--help")
    line = next(x for x in out.splitlines() if "--scheme" in x)
    assert rc == 0 and all(name in line for name in weight_schemes.names()), line


@pytest.mark.parametrize("args, msg", [
    (["--beta", "0"], "beta"), (["--beta", "-1"], "beta"), (["--beta", "abc"], "beta"),
    (["--gamma", "0"], "gamma"), (["--gamma", "1.5"], "gamma"), (["--scheme", "nope"], "scheme"),
])
def test_bad_weights_arguments_exit_1_and_write_nothing(ws, capsys, args, msg):
    drift(capsys, "weights", "-w", ws)
    before = digest(ws)
    rc, _, err = drift(capsys, "weights", "-w", ws, *args)
    assert rc == 1 and msg in err
    assert digest(ws) == before


def test_export_dataset_parquet_and_jsonl(ws, tmp_path, capsys):
    drift(capsys, "weights", "-w", ws, "--scheme", "rft")
    rc, out, _ = drift(capsys, "export-dataset", tmp_path / "d.parquet", "-w", ws, "--scheme", "rft")
    assert rc == 0, out
    t = pq.read_table(tmp_path / "d.parquet")
    assert t.num_rows == 48 and {"messages", "weight"} <= set(t.column_names)
    rc, _, _ = drift(capsys, "export-dataset", tmp_path / "d.jsonl", "-w", ws, "--scheme", "rft", "--drop-zero")
    rows = [json.loads(x) for x in (tmp_path / "d.jsonl").read_text().splitlines()]
    assert rc == 0 and rows and all(r["weight"] == 1.0 for r in rows)
    assert rows[0]["messages"][0].keys() == {"role", "content"}
    rc, _, err = drift(capsys, "export-dataset", tmp_path / "x.parquet", "-w", ws, "--scheme", "drift",
                       "--beta", "0.7")
    assert rc == 1 and "no weights" in err and "beta 0.7" in err


def test_sql_reads_and_refuses_writes(ws, tmp_path, capsys):
    drift(capsys, "weights", "-w", ws)
    rc, out, _ = drift(capsys, "sql", "select scheme, count(*) as n from weights group by 1", "-w", ws)
    assert rc == 0 and "drift" in out and "48" in out
    before = digest(ws)
    for stmt in ("delete from weights", "drop table weights", "insert into returns select * from returns",
                 f"copy weights to '{tmp_path / 'w.csv'}'", "create table x as select 1",
                 "select 1; delete from weights", "attach ':memory:' as m"):
        rc, _, err = drift(capsys, "sql", stmt, "-w", ws)
        assert rc == 1 and "read-only" in err, stmt
    assert digest(ws) == before
    assert not (tmp_path / "w.csv").exists()
    rc, _, err = drift(capsys, "sql", "select * from no_such_table", "-w", ws)
    assert rc == 1 and "no_such_table" in err
    # a stage's table that was never written: the error says which command writes it
    rc, _, err = drift(capsys, "sql", "select * from eval_metrics", "-w", ws)
    assert rc == 1 and "written by `drift eval`" in err


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_sql_formats(ws, tmp_path, capsys, fmt):
    q = "select prompt_id, sample_idx, answer_norms from trajectories order by all limit 3"
    out = tmp_path / f"r.{fmt}"
    rc, _, err = drift(capsys, "sql", q, "-w", ws, "--format", fmt, "--out", out)
    assert rc == 0, err
    if fmt == "parquet":
        assert pq.read_table(out).num_rows == 3
    elif fmt == "json":
        rows = [json.loads(x) for x in out.read_text().splitlines()]
        assert len(rows) == 3 and isinstance(rows[0]["answer_norms"], list)
    else:
        assert out.read_text().splitlines()[0] == "prompt_id,sample_idx,answer_norms"
    if fmt != "parquet":
        rc, text, _ = drift(capsys, "sql", q, "-w", ws, "--format", fmt)
        assert rc == 0 and "MATH_0" in text


def test_import_bad_file_exit_1(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    good = '{"prompt_id": "a", "messages": [], "turn_rewards": {"t1": 1.0}}\n'
    bad.write_text(good + '{"prompt_id": \n' + good)
    rc, _, err = drift(capsys, "import-jsonl", bad, "-w", tmp_path / "ws")
    assert rc == 1 and "bad.jsonl:2:" in err


def test_a_second_weight_cap_keeps_the_first_weighting(ws, tmp_path, capsys):
    """weights --weight-cap 1.5, then --weight-cap 3.0 on the same run: both kept, and the cap-1.5 config
    exports the cap-1.5 rows (as computed alone), not the cap-3.0 ones."""
    ext = ["--scheme", "drift-ext", "--beta", "0.1"]
    rc, out, err = drift(capsys, "weights", "-w", ws, *ext, "--weight-cap", "1.5")
    assert rc == 0 and "weight_cap 1.5" in out, err
    rc, _, err = drift(capsys, "export-dataset", tmp_path / "alone.parquet", "-w", ws, *ext, "--weight-cap", "1.5")
    assert rc == 0, err
    rc, out, err = drift(capsys, "weights", "-w", ws, *ext, "--weight-cap", "3.0")
    assert rc == 0 and "weight_cap 3" in out, err
    rc, _, err = drift(capsys, "export-dataset", tmp_path / "cap15.parquet", "-w", ws, *ext, "--weight-cap", "1.5")
    assert rc == 0, err
    rc, _, err = drift(capsys, "export-dataset", tmp_path / "cap30.parquet", "-w", ws, *ext, "--weight-cap", "3")
    assert rc == 0, err
    cap15, alone = pq.read_table(tmp_path / "cap15.parquet"), pq.read_table(tmp_path / "alone.parquet")
    assert cap15.equals(alone) and cap15.num_rows == 48
    assert max(cap15.column("weight").to_pylist()) == 1.5
    assert max(pq.read_table(tmp_path / "cap30.parquet").column("weight").to_pylist()) > 1.5
    rc, out, _ = drift(capsys, "sql", "select weight_cap, count(*) as n from weights group by 1 order by 1",
                       "-w", ws, "--format", "csv")
    assert rc == 0 and out.split()[1:] == ["1.5,48", "3,48"]
    # a weighting named with another option is not there: the error names what is
    rc, _, err = drift(capsys, "export-dataset", tmp_path / "x.parquet", "-w", ws, *ext, "--weight-cap", "2")
    assert rc == 1 and "weight_cap=2" in err and "weight_cap=1.5; drift-ext beta=0.1 gamma=0.9 weight_cap=3" in err
