"""Benchmark: returns + importance weights from reference-format trajectories, three ways (issue 5).

    (a) per-row Python: json.loads per line, then the docs/design.md §1 formulas in plain Python
    (b) the reference repository's path: datasets.load_dataset("json"), then a Python loop over the
        examples computing the same returns and per-prompt weights (as its weight_sft.py does)
    (c) ours: `drift import-jsonl` once (timed separately; it also fills `returns` at gamma 0.9, as
        the command does at the config's gamma), then compute_weights = sql/weightings.sql +
        weight_rows.sql + weight_groups.sql + weight_diagnostics.sql over the imported tables; and, for
        a gamma the import did not compute, the same with sql/prompt_groups.sql + sql/returns.sql first
Then a big run: N_big trajectories synthesized straight into Parquet shards (benchmarks/sql/
synth_trajectories.sql; 10M full JSONL records would be ~10 GB) and (c) under a DuckDB memory limit,
its peak RSS measured in the child process that runs it.

    python benchmarks/bench_weights.py                       # N = 1M, N_big = 10M (slow: (b) ~4+ min)
    python benchmarks/bench_weights.py --n 20000 --big-n 200000            # a quick run
    python benchmarks/bench_weights.py --reference-n 100000  # (b) on the first 100k records only

(c) and the imports run in child processes (`--child ...`) so their peak RSS is their own.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from peak_memory import peak_rss_bytes  # noqa: E402  (benchmarks/, on sys.path as the script's folder)

GAMMA, BETA = 0.9, 0.1


# -- (a) and (b): the formulas in plain Python -------------------------------------------------------
def record_return(rec: dict, gamma: float) -> float:
    """R = sum_t gamma^(t-1) r_t + format_penalty - 0.5 (1 - distinct non-empty answers / answers)."""
    rewards = rec.get("turn_rewards") or {}
    turns = sorted((int(k[1:]), float(v)) for k, v in rewards.items() if k[:1] == "t" and k[1:].isdigit())
    disc = 0.0
    for t, r in turns:
        disc += gamma ** (t - 1) * r
    norms = rec.get("answer_norms") or []
    rep = max(0.0, 0.5 * (1.0 - len({str(a) for a in norms if a}) / len(norms))) if norms else 0.0
    return disc + float(rec.get("format_penalty") or 0.0) - rep


def group_weights(returns: list[float], beta: float) -> list[float]:
    s = [r / beta for r in returns]
    m = max(s)
    e = [math.exp(x - m) for x in s]
    denom = sum(e) / len(e) + 1e-12
    return [x / denom for x in e]


def weights_from_examples(examples, gamma: float, beta: float):
    """Returns (keys [(prompt_id, sample_idx)], weights) in input order."""
    groups: dict[str, list[int]] = {}
    keys, rets = [], []
    for rec in examples:
        pid = str(rec["prompt_id"])
        idx = groups.setdefault(pid, [])
        keys.append((pid, len(idx)))
        idx.append(len(rets))
        rets.append(record_return(rec, gamma))
    w = [0.0] * len(rets)
    for idxs in groups.values():
        for i, x in zip(idxs, group_weights([rets[i] for i in idxs], beta), strict=True):
            w[i] = x
    return keys, w


def run_a(path: Path, limit: int | None = None):
    def lines():
        with path.open() as f:
            for n, line in enumerate(f):
                if limit is not None and n >= limit:
                    return
                yield json.loads(line)

    return weights_from_examples(lines(), GAMMA, BETA)


def run_b(path: Path, cache: Path, limit: int | None = None):
    from datasets import load_dataset

    src = path
    if limit is not None:
        src = cache / "reference_subset.jsonl"
        with path.open() as f, src.open("w") as g:
            for n, line in enumerate(f):
                if n >= limit:
                    break
                g.write(line)
    # a cold cache, as on the reference's first run: a kept workdir would otherwise reuse its Arrow files
    shutil.rmtree(cache / "hf", ignore_errors=True)
    t0 = time.perf_counter()
    ds = load_dataset("json", data_files={"train": str(src)}, cache_dir=str(cache / "hf"))["train"]
    keys, w = weights_from_examples(ds, GAMMA, BETA)  # iterates the examples as python dicts
    ds = ds.add_column("weight", w)
    return time.perf_counter() - t0, keys, w


# -- children: one measured job each ---------------------------------------------------------------
def child(args) -> None:
    from drift_core.config import WeightsConfig
    from drift_core.jsonl_io import import_jsonl
    from drift_core.store import Workspace

    ws = Workspace(args.workspace)
    t0 = time.perf_counter()
    c0 = time.process_time()
    out: dict = {}
    if args.child == "import":
        res = import_jsonl(ws, args.path, run_id="bench", memory_limit=args.memory_limit)
        out = {"records": res.records, "returns_seconds": res.returns_seconds}
    elif args.child == "weights":
        from drift_core.weights import compute_weights

        runs = {}
        # gamma 0.9 (returns filled by the import, or computed here for a synthesized run), then
        # another beta (returns reused), then a new gamma (returns computed, then weights)
        for label, gamma, beta in (("first", GAMMA, BETA), ("beta", GAMMA, 2 * BETA), ("gamma", 0.8, BETA)):
            t1, c1 = time.perf_counter(), time.process_time()
            s = compute_weights(ws, WeightsConfig(gamma=gamma, beta=beta), memory_limit=args.memory_limit)
            runs[label] = {"seconds": time.perf_counter() - t1, "cpu": time.process_time() - c1,
                           "returns_reused": s.returns_reused, "rows": s.rows}
        out = {"runs": runs}
    elif args.child == "synth":
        synth(ws, args.n, args.memory_limit)
        out = {"rows": args.n}
    out["seconds"] = time.perf_counter() - t0
    out["cpu"] = time.process_time() - c0  # CPU seconds of all the process's threads
    out["peak_rss_mb"] = peak_rss_bytes() / 2**20
    print("RESULT " + json.dumps(out))


def synth(ws, n: int, memory_limit: str) -> None:
    import duckdb

    sql = (REPO / "benchmarks" / "sql" / "synth_trajectories.sql").read_text()
    con = duckdb.connect()
    ws.limit_memory(con, memory_limit)
    ws.connect().close()  # the _schema files and views
    per = 1_000_000
    for k, first in enumerate(range(0, n, per)):
        path = ws.shard_path("trajectories", "synth", k)
        path.parent.mkdir(parents=True, exist_ok=True)
        params = {"first": first, "last": min(first + per, n), "run_id": "synth"}
        con.sql(sql, params=params).write_parquet(str(path), compression="zstd")
    con.close()


def run_child(kind: str, workspace: Path, **kw) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, "--workspace", str(workspace)]
    for k, v in kw.items():
        cmd += [f"--{k.replace('_', '-')}", str(v)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"child {kind} failed:\n{proc.stdout}\n{proc.stderr}")
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def compare(keys, w, workspace: Path) -> float:
    """Largest relative difference between (a) and (c)'s weights, matched by (prompt_id, sample_idx)."""
    import duckdb

    con = duckdb.connect(str(workspace / "warehouse.duckdb"), read_only=True)
    query = (REPO / "benchmarks" / "sql" / "drift_weights.sql").read_text()
    rows = con.execute(query, {"b": repr(BETA), "g": GAMMA}).fetchall()
    con.close()
    ours = {(p, s): x for p, s, x in rows}
    worst = 0.0
    for k, x in zip(keys, w, strict=True):
        y = ours[k]
        worst = max(worst, abs(x - y) / max(abs(x), 1e-300) if x or y else 0.0)
    return worst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1_000_000, help="Trajectories in the JSONL for (a), (b), (c).")
    ap.add_argument("--big-n", type=int, default=10_000_000, help="Trajectories for the big (c) run; 0: skip.")
    ap.add_argument("--reference-n", type=int, default=None, help="Run (b) on the first N records only.")
    ap.add_argument("--skip-reference", action="store_true", help="Do not run (b).")
    ap.add_argument("--memory-limit", default="1GB", help="DuckDB memory limit for import and (c).")
    ap.add_argument("--workdir", type=Path, default=None, help="Where files go (default: a temp dir).")
    ap.add_argument("--keep", action="store_true", help="Keep the workdir.")
    # child mode
    ap.add_argument("--child", choices=["import", "weights", "synth"], help=argparse.SUPPRESS)
    ap.add_argument("--workspace", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args)

    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench_weights_"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"workdir {work}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} "
          "(wall times on a shared machine grow with the load; cpu = CPU seconds of all threads)")
    from drift_core.testing.reference_records import write_jsonl

    path = work / f"traj_{args.n}.jsonl"
    if not path.exists():
        t0 = time.perf_counter()
        write_jsonl(path, args.n, group=16, seed=0)
        print(f"synthesized {args.n:,} reference-format records ({path.stat().st_size / 1e9:.2f} GB) "
              f"in {time.perf_counter() - t0:.0f} s")
    size_gb = path.stat().st_size / 1e9

    t0, c0 = time.perf_counter(), time.process_time()
    keys, w = run_a(path)
    ta = time.perf_counter() - t0
    print(f"(a) per-row Python (json.loads + formulas):       {ta:8.2f} s  (cpu {time.process_time() - c0:.1f} s)")

    tb = None
    if not args.skip_reference:
        nb = args.reference_n or args.n
        tb, kb, wb = run_b(path, work, args.reference_n)
        assert max(abs(x - y) for x, y in zip(wb, w[:nb], strict=True)) < 1e-9
        label = "" if nb == args.n else f" (measured on {nb:,}, x{args.n / nb:g} -> {tb * args.n / nb:.1f} s)"
        print(f"(b) reference path (datasets + Python loop):     {tb:8.2f} s{label}")
        tb = tb * args.n / nb

    ws = work / "ws"
    shutil.rmtree(ws, ignore_errors=True)
    imp = run_child("import", ws, path=path, memory_limit=args.memory_limit)
    print(f"import-jsonl (one-time): {imp['seconds']:.2f} s = {args.n / imp['seconds']:,.0f} records/s "
          f"({size_gb / imp['seconds'] * 1000:.0f} MB/s; cpu {imp['cpu']:.1f} s), "
          f"peak RSS {imp['peak_rss_mb']:.0f} MB; of which returns at gamma {GAMMA}: {imp['returns_seconds']:.2f} s")
    c = run_child("weights", ws, memory_limit=args.memory_limit)["runs"]
    assert c["first"]["returns_reused"] and c["beta"]["returns_reused"] and not c["gamma"]["returns_reused"]
    print(f"(c) weights over the imported tables (returns from the import): {c['first']['seconds']:6.2f} s  "
          f"(cpu {c['first']['cpu']:.2f} s)")
    print(f"(c) again, another beta:                                        {c['beta']['seconds']:6.2f} s  "
          f"(cpu {c['beta']['cpu']:.2f} s)")
    print(f"(c) a gamma not computed yet (returns + weights):               {c['gamma']['seconds']:6.2f} s  "
          f"(cpu {c['gamma']['cpu']:.2f} s)")
    worst = compare(keys, w, ws)
    print(f"(a) vs (c): largest relative weight difference {worst:.2e} over {len(w):,} trajectories")
    tc, tg = c["first"]["seconds"], c["gamma"]["seconds"]
    print(f"ratios at N={args.n:,}: (a)/(c) = {ta / tc:.1f}x (target: 50x), "
          f"(a)/(c with returns at a new gamma) = {ta / tg:.1f}x"
          + (f", (b)/(c) = {tb / tc:.0f}x" if tb else "")
          + f"; with the import counted once: (a)/(import + c) = {ta / (imp['seconds'] + tc):.1f}x")

    if args.big_n:
        big = work / "ws_big"
        shutil.rmtree(big, ignore_errors=True)
        s = run_child("synth", big, n=args.big_n, memory_limit=args.memory_limit)
        print(f"big run: {args.big_n:,} trajectories synthesized straight into Parquet in {s['seconds']:.0f} s "
              "(not JSONL: 10M full records would be ~10 GB)")
        cb = run_child("weights", big, memory_limit=args.memory_limit)
        first, again = cb["runs"]["first"], cb["runs"]["beta"]
        print(f"(c) at N={args.big_n:,}, DuckDB memory_limit {args.memory_limit}: returns + weights "
              f"{first['seconds']:.2f} s, another beta {again['seconds']:.2f} s (cpu {again['cpu']:.1f} s), "
              f"peak RSS {cb['peak_rss_mb']:.0f} MB ({'<' if cb['peak_rss_mb'] < 2048 else '>='} 2 GiB)")
    if not args.keep and args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
