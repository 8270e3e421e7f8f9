"""Reference-format trajectory JSONL <-> the workspace's trajectories/turns tables (docs/design.md §1, §5).

Import: DuckDB parses and checks the whole file into a temp table first (no Python loop per line);
only when every record is fine are the Parquet shards written (turns, then trajectories, as a
rollout does), so a bad file writes nothing. Records become a run named `j-<file stem>-<content
hash>` unless a run_id is given; sample_idx numbers a prompt's records in file order.
Export writes each record back, equal as parsed JSON to what was imported (docs/design.md §1: lossless).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

from drift_core.config import WeightsConfig
from drift_core.errors import DriftError
from drift_core.faults import fault_point, fsync_path, write_json
from drift_core.sqlfiles import run_sql, sql_relation
from drift_core.store import Workspace
from drift_core.weights import DEFAULT_REPEAT_PENALTY_LAMBDA, compute_returns

SHARD_RECORDS = 250_000  # records per Parquet shard
SHARD_CODEC = "snappy"  # cheaper to write than zstd (the import's largest cost); DuckDB reads both
MANIFEST = "_import.json"
MAX_REWARD_TURN = 1000  # turn_rewards keys t<n> beyond this are refused (a list of n rewards per record)
DEFAULT_GAMMA = WeightsConfig.model_fields["gamma"].default


@dataclass
class ImportResult:
    run_id: str
    records: int
    shards: int
    seconds: float
    skipped: bool = False  # the same file was already imported under this run_id
    returns_seconds: float = 0.0  # part of `seconds`: the returns computed at returns_gamma


def file_digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=16)
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def default_import_run_id(path: Path, digest: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", path.stem)[:40] or "import"
    return f"j-{stem}-{digest[:10]}"


def import_jsonl(
    workspace: Workspace,
    path: str | Path,
    *,
    run_id: str | None = None,
    policy: str | None = None,
    memory_limit: str = "1GB",
    shard_records: int = SHARD_RECORDS,
    returns_gamma: float | None = DEFAULT_GAMMA,
    returns_lambda: float = DEFAULT_REPEAT_PENALTY_LAMBDA,
) -> ImportResult:
    """Load a reference-format trajectory JSONL into trajectories/turns under one run_id.

    returns_gamma: also fill the returns table at this discount (None: don't), and returns_lambda
    (protocol.repeat_penalty_lambda), so that a first `drift weights` with them has only the weights
    left to compute."""
    t0 = time.perf_counter()
    path = Path(path)
    if not path.is_file():
        raise DriftError(f"no such file: {path}")
    if run_id is not None and not re.fullmatch(r"[A-Za-z0-9_.=-]+", run_id):
        raise DriftError(f"run_id {run_id!r} may only use letters, digits and _ . = -")
    con = _scratch_connection(workspace, memory_limit)
    try:
        # The content hash (~1 GB/s) runs in a thread while DuckDB's first pass reads the file; both
        # release the GIL (~1 s less at 1M records). It names the run and tells a re-import of the
        # same file (a no-op) apart.
        with ThreadPoolExecutor(max_workers=1) as pool:
            digest_job = pool.submit(file_digest, path)
            try:
                # malformed JSON fails here, and DuckDB's message names the line
                unusual = run_sql(con, "io/import_reference_shape", {"path": str(path)}).fetchall()[0][0]
            except (duckdb.Error, UnicodeDecodeError) as exc:
                # (DuckDB can cut its message inside a UTF-8 character: then Python cannot decode it)
                raise DriftError(_malformed_error(path, exc)) from None
            digest = digest_job.result()
        run_id = run_id or default_import_run_id(path, digest)
        existing = _existing_run(workspace, run_id, digest, path)
        if existing is not None:
            return existing
        params = {"path": str(path), "run_id": run_id, "policy": policy or f"imported:{path.name}",
                  "max_reward_turn": MAX_REWARD_TURN}
        run_sql(con, "io/import_reference_unusual", {"path": str(path), "scan": unusual > 0})
        try:
            run_sql(con, "io/import_reference_staged", params)
        except (duckdb.Error, UnicodeDecodeError) as exc:
            raise DriftError(_typed_error(con, path, exc)) from None
        problems = run_sql(con, "io/import_reference_problems").fetchall()
        if problems:
            lines = _line_numbers(path, [r[0] for r in problems])
            msgs = [f"{path}:{ln}: {problem}" for ln, (_, problem) in zip(lines, problems, strict=True)]
            raise DriftError("bad records (nothing imported):\n" + "\n".join(msgs))
        n = run_sql(con, "io/import_reference_count").fetchall()[0][0]
        if n == 0:
            raise DriftError(f"{path}: no records (nothing imported)")
        shards = _write_shards(workspace, con, run_id, n, shard_records)
    finally:
        con.close()
    # All or nothing from here on too: if the manifest or the returns cannot be written (a full disk, a
    # locked warehouse, ...), the shards go again, so a retry imports afresh instead of finding a
    # half-imported run "already imported". compute_returns is one transaction: it wrote nothing.
    try:
        manifest = {"run_id": run_id, "source": str(path.resolve()), "blake2b": digest, "records": n}
        write_json(_staging(workspace, run_id) / "trajectories" / MANIFEST, manifest, indent=2)
        fault_point("import.before_publish")
        _publish(workspace, run_id)
        t1 = time.perf_counter()
        if returns_gamma is None:
            workspace.connect().close()  # makes the new run visible in the warehouse's views
        else:
            compute_returns(workspace, run_id, returns_gamma, memory_limit=memory_limit,
                            repeat_penalty_lambda=returns_lambda)
    except BaseException:
        _remove_run(workspace, run_id)
        shutil.rmtree(_staging(workspace, run_id), ignore_errors=True)
        raise
    t2 = time.perf_counter()
    return ImportResult(run_id, n, shards, t2 - t0, returns_seconds=t2 - t1 if returns_gamma is not None else 0.0)


def _remove_run(ws: Workspace, run_id: str) -> None:
    """Remove what an import of run_id wrote (its shards and manifest, in both tables)."""
    for t in ("trajectories", "turns"):
        shutil.rmtree(ws.table_dir(t) / run_id, ignore_errors=True)


def _existing_run(ws: Workspace, run_id: str, digest: str, path: Path) -> ImportResult | None:
    run_dirs = [ws.table_dir(t) / run_id for t in ("trajectories", "turns")]
    if not any(d.exists() for d in run_dirs):
        return None
    mf = ws.run_dir(run_id) / MANIFEST
    if not mf.exists() and not (ws.run_dir(run_id) / "_run.json").exists():
        # an import killed before its manifest was written (a rollout run has _run.json): start over
        for d in run_dirs:
            shutil.rmtree(d, ignore_errors=True)
        return None
    if mf.exists():
        old = json.loads(mf.read_text())
        if old.get("blake2b") == digest:
            shards = len(list(ws.run_dir(run_id).glob("shard-*.parquet")))
            return ImportResult(run_id, old["records"], shards, 0.0, skipped=True)
    raise DriftError(
        f"run_id {run_id!r} already exists in {ws.root} with other content; pick another --run-id"
    )


def _scratch_connection(ws: Workspace, memory_limit: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that spills to <workspace>/tmp beyond memory_limit."""
    con = duckdb.connect()
    ws.limit_memory(con, memory_limit)
    return con


def _staging(ws: Workspace, run_id: str) -> Path:
    """Where an import of run_id writes before it publishes: outside tables/, so no view sees it. Left
    over from a killed import, it is removed by the next import of the run."""
    return ws.root / "staging" / f"import-{run_id}"


def _write_shards(ws: Workspace, con, run_id: str, n: int, shard_records: int) -> int:
    """Every shard, turns and trajectories, into the run's staging directory; nothing is visible yet.

    DuckDB writes each shard straight from the staged table (no Arrow round trip); the SQL casts to the
    DDL's column types (tests/sql check the schema)."""
    stage = _staging(ws, run_id)
    shutil.rmtree(stage, ignore_errors=True)
    try:
        k = 0
        for first in range(1, n + 1, shard_records):
            rng = {"first": first, "last": first + shard_records - 1}
            for table in ("turns", "trajectories"):
                path = stage / table / f"shard-{k:05d}.parquet"
                path.parent.mkdir(parents=True, exist_ok=True)
                sql_relation(con, f"io/import_reference_{table}", rng).write_parquet(str(path), compression=SHARD_CODEC)
            k += 1
        return k
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def _publish(ws: Workspace, run_id: str) -> None:
    """Move the staged run into tables/ with two renames, turns first: the turns view shows a shard only
    once its trajectories file is there, so readers see no part of the run until the second rename, then
    all of it (docs/reliability.md). A kill between the two leaves turns without trajectories or
    manifest, which the next import removes (`_existing_run`)."""
    stage = _staging(ws, run_id)
    for table in ("turns", "trajectories"):
        dest = ws.table_dir(table) / run_id
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(stage / table, dest)
        fsync_path(dest.parent)
        fault_point(f"import.after_{table}")
    shutil.rmtree(stage, ignore_errors=True)


def _malformed_error(path: Path, exc: Exception) -> str:
    """DuckDB names the line where its parser stopped, which for a line cut short is the next one:
    report the first of the two that Python's json cannot parse either. Without a line in the message
    (an undecodable one), the first line Python's json cannot parse is reported."""
    if isinstance(exc, UnicodeDecodeError):
        with path.open("rb") as f:
            for line_no, line in enumerate(f, start=1):
                if line.strip():
                    try:
                        json.loads(line)
                    except ValueError as bad:
                        return f"bad record (nothing imported):\n{path}:{line_no}: Malformed JSON: {bad}"
        return f"{path}: not readable as JSON lines (nothing imported)"
    reason = _first_line(exc)
    m = re.search(r"in line (\d+)", reason)
    if m:
        stop = int(m.group(1))
        with path.open("rb") as f:
            for line_no, line in enumerate(f, start=1):
                if line_no >= stop - 1 and line.strip():
                    try:
                        json.loads(line)
                    except ValueError:
                        reason = re.sub(r' in file ".*?", at byte \d+ in line \d+', "", reason)
                        return f"bad record (nothing imported):\n{path}:{line_no}: {reason}"
                if line_no >= stop:
                    break
    return f"{path}: {reason} (nothing imported)"


def _typed_error(con, path: Path, exc: Exception) -> str:
    """Name the line of a value the typed reader could not convert (its own message does not)."""
    found = run_sql(con, "io/import_reference_locate", {"path": str(path)}).fetchall()
    record, located = found[0] if found else (None, None)
    if isinstance(exc, UnicodeDecodeError):
        reason = located or "a field has a value of the wrong type"
    else:
        reason = re.sub(r'^.*?in file ".*?", in line \d+: ', "", _first_line(exc))
    where = f"{path}:{_line_numbers(path, [record])[0]}" if record is not None else str(path)
    return f"bad record (nothing imported):\n{where}: {reason}"


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


def _line_numbers(path: Path, record_nos: list[int]) -> list[int]:
    """File line numbers of the given 1-based record numbers (DuckDB skips blank lines)."""
    wanted = sorted(set(record_nos))
    found: dict[int, int] = {}
    rec = 0
    with path.open("rb") as f:
        for line_no, line in enumerate(f, start=1):
            if line.strip():
                rec += 1
                if rec == wanted[len(found)]:
                    found[rec] = line_no
                    if len(found) == len(wanted):
                        break
    return [found.get(r, r) for r in record_nos]


# -- export --------------------------------------------------------------------------------------
def export_jsonl(workspace: Workspace, run_id: str, out: str | Path) -> int:
    """Write run_id's trajectories as reference-format JSONL (file order for imported runs)."""
    out = Path(out)
    shards = sorted(workspace.run_dir(run_id).glob("shard-*.parquet"))
    if not shards:
        raise DriftError(f"no run {run_id!r} in {workspace.root} (no trajectories shards)")
    con = duckdb.connect()
    n = 0
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        glob = str(workspace.run_dir(run_id) / "shard-*.parquet")
        reader = sql_relation(con, "io/export_reference_jsonl", {"glob": glob}).to_arrow_reader(100_000)
        with tmp.open("w", encoding="utf-8") as f:
            for batch in reader:
                lines = batch.column(0).to_pylist()
                f.write("\n".join(lines))
                f.write("\n")
                n += len(lines)
        tmp.replace(out)
    finally:
        con.close()
        tmp.unlink(missing_ok=True)
    return n
