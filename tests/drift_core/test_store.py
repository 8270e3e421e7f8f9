import pyarrow as pa
import pytest

from drift_core.errors import DriftError


def test_fresh_workspace_has_empty_typed_views(workspace):
    con = workspace.connect()
    try:
        assert con.execute("select count(*) from trajectories").fetchone() == (0,)
        assert con.execute("select count(*) from turns").fetchone() == (0,)
        cols = dict(con.execute("select column_name, column_type from (describe trajectories)").fetchall())
        assert cols["messages"] == 'STRUCT("role" VARCHAR, "content" VARCHAR)[]'
        assert cols["t_star"] == "INTEGER" and cols["answer_norms"] == "VARCHAR[]"
    finally:
        con.close()


def test_shard_written_atomically_and_cast_to_ddl_types(workspace):
    rows = pa.Table.from_pylist(
        [
            {
                "run_id": "r",
                "prompt_id": "p",
                "sample_idx": 0,
                "turn": 1,
                "response": "<answer>1</answer>",
                "answer": "1",
                "answer_norm": "1",
                "correct": True,
                "reward": 1,
                "format_ok": True,
                "format_penalty": 0,
                "completion_tokens": 3,
            }
        ]
    )
    path = workspace.write_shard("turns", "r", 0, rows)
    assert path.exists() and not list(path.parent.glob(".*.tmp"))
    con = workspace.connect()
    # the file itself: the turns view shows it only once its shard's trajectories file exists too
    got = con.execute("select reward, typeof(reward) from read_parquet(?)", [str(path)]).fetchone()
    assert got == (1.0, "DOUBLE")
    con.close()


def test_bad_shard_leaves_no_file(workspace):
    bad = pa.table({"run_id": ["r"], "prompt_id": [None]})  # violates NOT NULL
    with pytest.raises(DriftError, match="turns: .*NOT NULL.*prompt_id"):
        workspace.write_shard("turns", "r", 1, bad)
    assert not workspace.shard_path("turns", "r", 1).exists()
    assert not list(workspace.shard_path("turns", "r", 1).parent.glob(".*"))


def test_a_shard_with_a_repeated_key_is_refused(workspace):
    # turns' key (sql/tables/turns.sql): run_id, prompt_id, sample_idx, turn -- turn 1 twice here
    row = {"run_id": "r", "prompt_id": "p", "sample_idx": 0, "turn": 1, "response": "x", "answer": None,
           "answer_norm": "", "correct": False, "reward": 0.0, "format_ok": False, "format_penalty": 0.0,
           "completion_tokens": 1}
    with pytest.raises(DriftError, match=r"turns: key \(run_id, prompt_id, sample_idx, turn\) is not unique"):
        workspace.write_shard("turns", "r", 2, pa.Table.from_pylist([row, row]))
    assert not workspace.shard_path("turns", "r", 2).exists()


def test_upsert_prompts_refuses_a_changed_prompt(workspace):
    row = {"prompt_id": "a", "split": "train", "question": "1+1?", "gold": "2", "source": "t", "difficulty": None}
    con = workspace.connect()
    assert workspace.upsert_prompts(con, [row]) == 1
    workspace.upsert_prompts(con, [row])  # same content: idempotent
    with pytest.raises(DriftError, match="prompt_id already in the prompts table.*: a"):
        workspace.upsert_prompts(con, [{**row, "gold": "3"}])
    assert con.execute("select gold from prompts").fetchall() == [("2",)]
    con.close()


def test_read_only_requires_a_warehouse(tmp_path):
    from drift_core.store import Workspace

    with pytest.raises(DriftError, match="no warehouse"):
        Workspace(tmp_path / "none").connect(read_only=True)


def test_a_warehouse_held_by_another_process_is_waited_for_then_named(workspace, tmp_path):
    import subprocess
    import sys
    import time

    workspace.connect().close()
    release = tmp_path / "release"
    holder = subprocess.Popen([sys.executable, "-c", (
        "import duckdb, pathlib, sys, time\n"
        f"con = duckdb.connect({str(workspace.warehouse)!r})\n"
        "print('holding', flush=True)\n"
        f"while not pathlib.Path({str(release)!r}).exists(): time.sleep(0.05)\n"
        "con.close()\n"
    )], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "holding"
        for read_only in (True, False):
            with pytest.raises(DriftError, match=rf"in use by another process \(.*PID {holder.pid}\)"):
                workspace.connect(read_only=read_only, wait=0.3)
        # a holder that lets go within the wait: the connection opens
        release.touch()
        t0 = time.monotonic()
        con = workspace.connect(read_only=True, wait=20)
        assert con.execute("select 1").fetchone() == (1,) and time.monotonic() - t0 < 20
        con.close()
    finally:
        release.touch()
        holder.wait(timeout=30)


def test_prompts_keep_hidden_options_and_an_old_warehouse_gains_the_column(workspace):
    import duckdb

    # A warehouse written before hidden-option items: prompts without the column, one row in it.
    workspace.root.mkdir(parents=True)
    old = duckdb.connect(str(workspace.warehouse))
    old.execute("create table prompts (prompt_id varchar not null primary key, split varchar not null, "
                "question varchar not null, gold varchar not null, source varchar not null, difficulty integer)")
    old.execute("insert into prompts values ('p-old', 'test', 'q', '1', 'src', 3)")
    old.close()
    con = workspace.connect()
    try:
        workspace.upsert_prompts(con, [
            {"prompt_id": "box-1", "split": "test", "question": "Which box?", "gold": "C", "source": "src",
             "difficulty": None, "hidden_options": 4},
            {"prompt_id": "p-new", "split": "test", "question": "1+1", "gold": "2", "source": "src"},
        ])
        rows = dict(con.execute("select prompt_id, hidden_options from prompts order by prompt_id").fetchall())
    finally:
        con.close()
    assert rows == {"box-1": 4, "p-new": None, "p-old": None}
