"""drift_core/writers.py: a training set and a query's rows as files, written whole or not at all
(the `drift sql` cases through the CLI: tests/faults/test_sql_confinement.py)."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from drift_core.errors import DriftError
from drift_core.writers import check_output, text_rows, write_dataset, write_result

ROWS = pa.table({"messages": [[{"role": "user", "content": "1+1"}]], "weight": [0.5]})


def test_write_dataset_jsonl_and_parquet(tmp_path):
    assert write_dataset(ROWS, tmp_path / "d.jsonl") == "jsonl"
    assert [json.loads(line) for line in (tmp_path / "d.jsonl").read_text().splitlines()] == ROWS.to_pylist()
    assert write_dataset(ROWS, tmp_path / "sub" / "d.parquet") == "parquet"
    assert pq.read_table(tmp_path / "sub" / "d.parquet").to_pylist() == ROWS.to_pylist()
    with pytest.raises(DriftError, match="unknown dataset format 'xml'"):
        write_dataset(ROWS, tmp_path / "d.xml", "xml")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.jsonl", "sub"]  # no temporary file left


def test_write_result_as_text_and_as_a_file(tmp_path):
    table = pa.table({"a": [1, 2], "b": ["x", None]})
    assert write_result(table, "csv", None).splitlines() == ['"a","b"', '1,"x"', "2,"]
    assert [json.loads(line) for line in write_result(table, "json", None).splitlines()] == table.to_pylist()
    assert write_result(table, "parquet", tmp_path / "r.parquet") is None
    assert pq.read_table(tmp_path / "r.parquet").to_pylist() == table.to_pylist()
    with pytest.raises(DriftError, match="needs --out FILE"):
        write_result(table, "parquet", None)


def test_text_rows_are_duckdb_text(tmp_path):
    assert text_rows(pa.table({"a": [1, 2, 3], "l": [[1], [2], None]}), 2) == [("1", "[1]"), ("2", "[2]")]


def test_check_output_refuses_the_workspace_and_bad_formats(workspace, tmp_path):
    check_output(workspace, "csv", tmp_path / "out.csv")  # outside the workspace: fine
    with pytest.raises(DriftError, match="inside the workspace"):
        check_output(workspace, "csv", workspace.root / "x.csv")
    with pytest.raises(DriftError, match="unknown format 'xml'"):
        check_output(workspace, "xml", None)
