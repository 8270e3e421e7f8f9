"""Weights stage: returns and per-prompt importance weights as SQL over the trajectory tables.

`compute_weights` refreshes these in warehouse.duckdb inside one transaction, each materialised from
its model sql/<table>.sql (one SELECT) by drift_core/sqlfiles.py, which reads keys, dependencies and
the rows a write replaces from sql/tables/<table>.sql:
    prompt_groups       an integer key per (run, prompt), never changed
    returns             one row per trajectory, gamma and repeat_penalty_lambda (+ returns_state: the
                        shards they came from)
    weightings          one row per run and weighting: its key, options and weighting_id
    weight_rows         one row per trajectory and weighting, integers and doubles only (fast to write)
    weight_groups       one row per prompt group and weighting
    weight_diagnostics  one row per run and weighting
The `weights` view joins weightings + weight_rows + weight_groups + returns (docs/design.md §5).
A weighting is keyed by every option that changes its rows (KEY_COLUMNS: run_id, scheme, beta_spec,
gamma, repeat_penalty_lambda, target_ess, all_fail_zero, weight_cap, beta_pool; `weighting_key` gives
their canonical values, drift_core/config/weights.py KEY_FIELDS the config field of each); recomputing
one replaces its rows, others stay; recomputing returns deletes the weightings computed from them (the
runner's invalidation). repeat_penalty_lambda is protocol.repeat_penalty_lambda (0.5 by default).
`returns` rows of a run are reused while its shard files are unchanged (table returns_state);
`compute_returns` fills them ahead (import-jsonl does, so a first `drift weights` only weights).
`training_set` reads one weighting back by its whole key, joined to the messages, for the trainer
(`config_training_set`: the weighting a WeightsConfig names). Writers and readers alike select a
weighting by its key in one place, `select_weighting` (the temp table weighting_in, sql/weighting_in.sql),
and join on its weighting_id.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import duckdb
import pyarrow as pa

from drift_core import sqlfiles, weight_schemes
from drift_core.config.weights import KEY_FIELDS, WeightsConfig
from drift_core.errors import DriftError
from drift_core.sqlfiles import materialise, run_sql, sql_relation, temp_table
from drift_core.store import Workspace

# Everything built from the trajectories, in build order (from the `depends:` lines of sql/tables/).
DERIVED_TABLES = sqlfiles.downstream("trajectories")
# What one weighting writes: weightings and the tables built from it (a test checks that these are all
# of them), in build order. Named, so that the stage's code fingerprint covers their model files.
WEIGHTING_TABLES = sqlfiles.in_build_order({"weightings", "weight_rows", "weight_groups", "weight_diagnostics"})
# The reference's repeat-penalty scale (protocol.repeat_penalty_lambda's default): what callers that do
# not pass one get, and what warehouses from before the column computed with.
DEFAULT_REPEAT_PENALTY_LAMBDA = 0.5
# The columns that tell one weighting of a run from another (sql/tables/weightings.sql `unique:`): one or
# more per key field of WeightsConfig (KEY_FIELDS), then the returns' repeat_penalty_lambda.
KEY_COLUMNS = (*(c for cols in KEY_FIELDS.values() for c in cols), "repeat_penalty_lambda")
# What the key stores for an option that does not apply (or is off): no cap clips at +infinity (min(w,
# inf) = w); target_ess only applies to beta 'auto' (valid targets are in (0, 1], so 0 is no target).
NO_CAP = math.inf
NO_TARGET_ESS = 0.0
# beta='auto' searches this range (log scale); beyond it the weights are hard filtering or uniform.
AUTO_BETA_RANGE = (1e-3, 1e3)
AUTO_BETA_STEPS = 40


@dataclass
class RunDiagnostics:
    """Per-run figures of one weighting (a row of weight_diagnostics)."""

    run_id: str
    prompts: int
    trajectories: int
    solved_share: float
    all_fail_prompts: int
    mean_ess_fraction: float | None
    success_weight_share: float | None
    all_fail_weight_share: float | None
    mean_weight: float
    max_weight: float
    zero_weight_share: float


@dataclass
class WeightsSummary:
    """What compute_weights did: the weighting's key, the beta it used, and per-run diagnostics."""

    scheme: str
    gamma: float
    beta: float | None  # the temperature used (resolved for 'auto'); None for a scheme without beta
    beta_spec: str  # the key: 'auto', the number as text, or 'none'
    run_ids: list[str]
    rows: int
    runs: list[RunDiagnostics] = field(default_factory=list)
    target_ess: float | None = None  # set for beta='auto'
    target_met: bool | None = None  # False when even the largest beta misses target_ess
    seconds: float = 0.0
    returns_reused: bool = False  # the runs' returns at this gamma and lambda were up to date
    repeat_penalty_lambda: float = DEFAULT_REPEAT_PENALTY_LAMBDA  # the returns' repeat-penalty scale
    all_fail_zero: bool = False  # drift-ext option in effect (part of the key)
    weight_cap: float | None = None  # drift-ext option in effect (None: no cap; part of the key)

    @property
    def mean_ess_fraction(self) -> float | None:
        """Prompt-weighted mean of the runs' mean ESS fractions."""
        vals = [(r.mean_ess_fraction, r.prompts) for r in self.runs if r.mean_ess_fraction is not None]
        total = sum(n for _, n in vals)
        return sum(v * n for v, n in vals) / total if total else None

    def metrics(self) -> dict[str, float]:
        """Flat numeric metrics (for MLflow): totals over runs, weighted by trajectories/prompts."""
        out: dict[str, float] = {"weights_rows": float(self.rows)}
        if self.beta is not None:
            out["beta"] = self.beta
        if self.mean_ess_fraction is not None:
            out["mean_ess_fraction"] = self.mean_ess_fraction
        n = sum(r.trajectories for r in self.runs)
        w = sum(r.mean_weight * r.trajectories for r in self.runs)
        if n:
            out["mean_weight"] = w / n
            out["max_weight"] = max(r.max_weight for r in self.runs)
            out["zero_weight_share"] = sum(r.zero_weight_share * r.trajectories for r in self.runs) / n
            out["solved_share"] = sum(r.solved_share * r.trajectories for r in self.runs) / n
        if w > 0:
            for key in ("success_weight_share", "all_fail_weight_share"):
                vals = [getattr(r, key) for r in self.runs]
                if all(v is not None for v in vals):
                    out[key] = sum(v * r.mean_weight * r.trajectories for v, r in zip(vals, self.runs, strict=True)) / w
        out["all_fail_prompts"] = float(sum(r.all_fail_prompts for r in self.runs))
        out["prompts"] = float(sum(r.prompts for r in self.runs))
        return out

    def to_dict(self) -> dict:
        d = asdict(self)
        d["mean_ess_fraction"] = self.mean_ess_fraction
        return d


def beta_spec(scheme: str, beta: float | str) -> str:
    """The text key of a requested beta: 'auto', repr of the float, or 'none' where unused (a scheme
    without uses_beta)."""
    if not weight_schemes.get(scheme).uses_beta:
        return "none"
    if beta == "auto":
        return "auto"
    try:
        value = float(beta)
    except (TypeError, ValueError):
        raise DriftError(f"beta must be a number > 0 or 'auto', got {beta!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise DriftError(f"beta must be a finite number > 0 or 'auto', got {beta!r}")
    return repr(value)


def weighting_key(scheme: str, beta: float | str, gamma: float, *, runs: list[str], target_ess: float,
                  all_fail_zero: bool, weight_cap: float | None,
                  repeat_penalty_lambda: float = DEFAULT_REPEAT_PENALTY_LAMBDA) -> dict:
    """The key of a weighting as the SQL binds it (one value per column of KEY_COLUMNS but run_id, which
    is each row's own), canonical so that options with the same rows get the same key: beta as
    `beta_spec`; target_ess NO_TARGET_ESS and beta_pool [] unless beta is 'auto', when beta_pool is the
    sorted runs whose returns chose the beta (`runs`: those weighted together); all_fail_zero false and
    weight_cap NO_CAP unless the scheme uses them (drift-ext; drift_core/weight_schemes.py), weight_cap
    NO_CAP for none. The one place both writers and readers get a key from."""
    spec = beta_spec(scheme, beta)
    return {"scheme": scheme, "beta_spec": spec, "gamma": float(gamma),
            "repeat_penalty_lambda": _check_lambda(repeat_penalty_lambda),
            **_options(scheme, spec, runs, target_ess, all_fail_zero, weight_cap)}


def _options(scheme: str, spec: str, runs: list[str], target_ess: float, all_fail_zero: bool,
             weight_cap: float | None) -> dict:
    """The canonical target_ess, all_fail_zero, weight_cap (None or NO_CAP: none) and beta_pool."""
    auto, entry = spec == "auto", weight_schemes.get(scheme)
    capped = entry.uses_weight_cap and weight_cap is not None and weight_cap != NO_CAP
    return {
        "target_ess": float(target_ess) if auto else NO_TARGET_ESS,
        "all_fail_zero": bool(all_fail_zero) and entry.uses_all_fail_zero,
        "weight_cap": float(weight_cap) if capped else NO_CAP,
        "beta_pool": sorted(set(runs)) if auto else [],
    }


def config_key(cfg: WeightsConfig, runs: list[str], repeat_penalty_lambda: float = DEFAULT_REPEAT_PENALTY_LAMBDA
               ) -> dict:
    """weighting_key of a config, for the runs weighted together (`runs`)."""
    return weighting_key(cfg.scheme, cfg.beta, cfg.gamma, runs=runs, target_ess=cfg.target_ess,
                         all_fail_zero=cfg.all_fail_zero, weight_cap=cfg.weight_cap,
                         repeat_penalty_lambda=repeat_penalty_lambda)


def describe_key(key: dict, *, label: str = " ") -> str:
    """The options of a key that are not the defaults, for messages: ' weight_cap=1.5 all_fail_zero'
    (each after `label`); '' when none."""
    parts = []
    if key["target_ess"] != NO_TARGET_ESS:
        parts.append(f"target_ess={key['target_ess']:g}")
    if key["all_fail_zero"]:
        parts.append("all_fail_zero")
    if key["weight_cap"] != NO_CAP:
        parts.append(f"weight_cap={key['weight_cap']:g}")
    if len(key["beta_pool"]) > 1:
        parts.append(f"beta_pool={','.join(key['beta_pool'])}")
    return "".join(label + p for p in parts)


def shard_signature(workspace: Workspace, run_id: str) -> str:
    """Digest of a run's trajectories shard files (name, size, mtime): changes when a shard is added
    or rewritten (shards are written to a temp file and renamed, never edited in place)."""
    files = workspace.files.glob(f"trajectories/{run_id}/*.parquet")
    blob = "\n".join(f"{f.rsplit('/', 1)[-1]} {workspace.files.signature(f)}" for f in files)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    _drop_old_layout(con)
    _add_lambda_column(con)
    _add_option_columns(con)
    _add_diagnostics_weighting_id(con)
    sqlfiles.ensure_tables(con, DERIVED_TABLES)


def _drop_old_layout(con: duckdb.DuckDBPyConnection) -> None:
    """Warehouses written before the integer-keyed weights storage had `weights` as a table and no
    returns.group_key. Everything derived is recomputed from the shards, so drop it (one time)."""
    if run_sql(con, "lookups/old_weights_layout").fetchone()[0]:
        run_sql(con, "migrations/drop_old_weights_layout")


def _add_lambda_column(con: duckdb.DuckDBPyConnection) -> None:
    """Warehouses from before repeat_penalty_lambda was a key column computed every return at the fixed
    0.5: label their rows so (one time; nothing is recomputed)."""
    if run_sql(con, "lookups/old_lambda_layout").fetchone()[0]:
        run_sql(con, "migrations/add_repeat_penalty_lambda")


def _add_option_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Warehouses from before target_ess, beta_pool, all_fail_zero and weight_cap were key columns
    (weightings, weight_diagnostics): label the rows that can be labelled truthfully, drop the others
    (one time; see sql/migrations/add_weighting_options.sql)."""
    if run_sql(con, "lookups/old_options_layout").fetchone()[0]:
        with sqlfiles.transaction(con):
            run_sql(con, "migrations/add_weighting_options")
        with sqlfiles.transaction(con):  # DuckDB: no NOT NULL on a table with updates in the transaction
            run_sql(con, "migrations/weighting_options_not_null")


def _add_diagnostics_weighting_id(con: duckdb.DuckDBPyConnection) -> None:
    """Warehouses from before weight_diagnostics had a weighting_id (it held the key only): give each row
    its weighting's id (one time, after _add_option_columns so the key is whole; nothing is recomputed;
    see sql/migrations/add_diagnostics_weighting_id.sql)."""
    if run_sql(con, "lookups/old_diagnostics_layout").fetchone()[0]:
        with sqlfiles.transaction(con):
            run_sql(con, "migrations/add_diagnostics_weighting_id")
        with sqlfiles.transaction(con):  # DuckDB: no NOT NULL on a table with updates in the transaction
            run_sql(con, "migrations/diagnostics_weighting_id_not_null")


def list_runs(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in run_sql(con, "lookups/runs").fetchall()]


def compute_weights(
    workspace: Workspace,
    cfg: WeightsConfig,
    run_id: str | None = None,
    *,
    memory_limit: str | None = None,
    repeat_penalty_lambda: float = DEFAULT_REPEAT_PENALTY_LAMBDA,
) -> WeightsSummary:
    """Refresh returns, weights and weight_diagnostics for one weighting of the selected runs.

    run_id None: cfg.run_id, else every run in the warehouse, weighted together (one beta for all,
    which matters only for beta='auto'; groups never cross runs). Bad input (NaN/inf rewards, missing
    prompt_id, unknown run) raises DriftError and leaves every table as it was.
    memory_limit: DuckDB memory cap such as '1GB' (spills to <workspace>/tmp beyond it).
    repeat_penalty_lambda: protocol.repeat_penalty_lambda, the repeat penalty's scale in the returns
    (part of the returns' and the weighting's key; the reference's 0.5 by default).
    """
    t0 = time.perf_counter()
    _check_cfg(cfg)
    lam = _check_lambda(repeat_penalty_lambda)
    with _warehouse(workspace, memory_limit) as con:
        runs = _resolve_runs(con, run_id or cfg.run_id)
        key = config_key(cfg, runs, lam)
        spec = key["beta_spec"]
        signatures = _stale_returns(workspace, con, runs, cfg.gamma, lam)
        reuse = signatures is None
        with _transaction(con):
            if not reuse:  # the runs' shards changed (or are new) since their returns at this gamma and lambda
                _write_returns(con, runs, signatures, cfg.gamma, lam)
            beta, target_met = _resolve_beta(con, cfg, runs, lam)
            params = {"run_ids": runs, "beta": beta, **key}
            rows = write_weighting(con, params)
            diags = _read_diagnostics(con, params)
            broken = [d.run_id for d in diags if not math.isfinite(d.max_weight)]
            if broken:
                # only reachable with a beta so small that R / beta overflows a double
                raise DriftError(
                    f"weights are not finite for run(s) {', '.join(broken)} with beta {beta!r}: "
                    "R / beta overflows; use a larger beta (nothing written)"
                )
    return WeightsSummary(
        scheme=cfg.scheme,
        gamma=cfg.gamma,
        beta=beta,
        beta_spec=spec,
        run_ids=runs,
        rows=int(rows),
        runs=diags,
        target_ess=cfg.target_ess if spec == "auto" else None,
        target_met=target_met,
        seconds=time.perf_counter() - t0,
        returns_reused=reuse,
        repeat_penalty_lambda=lam,
        all_fail_zero=key["all_fail_zero"],
        weight_cap=None if key["weight_cap"] == NO_CAP else key["weight_cap"],
    )


def compute_returns(workspace: Workspace, run_id: str, gamma: float, *, memory_limit: str | None = None,
                    repeat_penalty_lambda: float = DEFAULT_REPEAT_PENALTY_LAMBDA) -> bool:
    """Fill `returns` for one run at `gamma` and `repeat_penalty_lambda` ahead of any weighting
    (import-jsonl does this at the config's values), so that `drift weights` with them only computes
    weights. Returns False when they were up to date already. Bad trajectories raise DriftError and
    write nothing."""
    if not (0.0 < gamma <= 1.0):
        raise DriftError(f"gamma must be in (0, 1], got {gamma!r}")
    lam = _check_lambda(repeat_penalty_lambda)
    with _warehouse(workspace, memory_limit) as con:
        runs = _resolve_runs(con, run_id)
        signatures = _stale_returns(workspace, con, runs, gamma, lam)
        if signatures is None:
            return False
        with _transaction(con):
            _write_returns(con, runs, signatures, gamma, lam)
    return True


@contextmanager
def _warehouse(workspace: Workspace, memory_limit: str | None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable warehouse connection with the derived tables in place, closed afterwards."""
    con = workspace.connect()
    try:
        if memory_limit:
            workspace.limit_memory(con, memory_limit)
        ensure_tables(con)
        yield con
    finally:
        con.close()


def _transaction(con: duckdb.DuckDBPyConnection):
    """All or nothing: any error (a DriftError found half way included) rolls every table back."""
    return sqlfiles.transaction(con)


def write_weighting(con: duckdb.DuckDBPyConnection, params: dict) -> int:
    """Materialise one weighting (WEIGHTING_TABLES in build order) from the returns at params['gamma']
    and params['repeat_penalty_lambda']; returns its number of weight rows. params: run_ids, beta (the
    value used, None for a scheme without beta) and the key: scheme, beta_spec, gamma, repeat_penalty_lambda,
    target_ess, all_fail_zero, weight_cap, beta_pool (see sql/weight_rows.sql), as `weighting_key` gives
    them; the options are made canonical here too (weight_cap None: no cap), so that the same rows never
    get two keys."""
    params = {**params, **_options(params["scheme"], params["beta_spec"], params["run_ids"], params["target_ess"],
                                   params["all_fail_zero"], params["weight_cap"])}
    # weight_rows' weight is the scheme's own expression (drift_core/weight_schemes.py), composed in here
    parts = {"weight_rows": {"weight": weight_schemes.get(params["scheme"]).weight_sql()}}
    with sqlfiles.transaction(con):
        first, *rest = WEIGHTING_TABLES  # weightings: it gives the weighting its ids
        written = {first: materialise(con, first, params)}
        # The weighting selected by its key, once: the temp table the other models read (sql/weighting_in.sql).
        select_weighting(con, params)
        written.update({t: materialise(con, t, params, parts=parts.get(t)) for t in rest})
    return written["weight_rows"]


def select_weighting(con, params: dict) -> None:
    """Make the temp table weighting_in: the weighting that params' key names (`weighting_key`: scheme,
    beta_spec, gamma, repeat_penalty_lambda, target_ess, all_fail_zero, weight_cap, beta_pool) for the runs
    params['run_ids'], one row per run that has it, with its weighting_id (sql/weighting_in.sql). The one
    selection of a weighting by its key: writers (write_weighting) and readers (training_set, the
    diagnostics) make it, then join on weighting_id. It stays on `con` until the next one replaces it
    (a temp table: a read-only connection can make it too)."""
    temp_table(con, "weighting_in", params)


def _stale_returns(workspace: Workspace, con, runs: list[str], gamma: float, lam: float) -> list[str] | None:
    """None when the runs' returns at `gamma` and repeat_penalty_lambda `lam` were computed from their
    current shards; else the shards' signatures, after checking that the trajectories can be weighted
    (DriftError if not)."""
    signatures = [shard_signature(workspace, r) for r in runs]
    key = {"run_ids": runs, "gamma": gamma, "repeat_penalty_lambda": lam}
    state = dict(run_sql(con, "lookups/returns_state_of", key).fetchall())
    if all(state.get(r) == sig for r, sig in zip(runs, signatures, strict=True)):
        return None
    bad = run_sql(con, "checks/bad_trajectories", {"run_ids": runs}).fetchall()
    if bad:
        lines = [f"  run {r[0]}, prompt_id {r[1]!r}, sample_idx {r[2]}: {r[3]}" for r in bad]
        raise DriftError("cannot compute weights, bad trajectories (nothing written):\n" + "\n".join(lines))
    return signatures


def _write_returns(con, runs: list[str], signatures: list[str], gamma: float, lam: float) -> None:
    """prompt_groups (new pairs only), then returns (which deletes the weightings computed from the old
    ones), then the shard signatures they were computed from."""
    params = {"run_ids": runs, "signatures": signatures, "gamma": gamma, "repeat_penalty_lambda": lam}
    for t in ("prompt_groups", "returns", "returns_state"):
        materialise(con, t, params)


def _check_cfg(cfg: WeightsConfig) -> None:
    """Re-check what pydantic checks, for configs built without validation (model_construct)."""
    weight_schemes.get(cfg.scheme)  # DriftError: unknown scheme
    if not (0.0 < cfg.gamma <= 1.0):
        raise DriftError(f"gamma must be in (0, 1], got {cfg.gamma!r}")
    if cfg.weight_cap is not None and not cfg.weight_cap > 0:
        raise DriftError(f"weight_cap must be > 0, got {cfg.weight_cap!r}")
    if not (0.0 < cfg.target_ess <= 1.0):
        raise DriftError(f"target_ess must be in (0, 1], got {cfg.target_ess!r}")


def _check_lambda(lam: float) -> float:
    """protocol.repeat_penalty_lambda as the float the SQL binds (ProtocolConfig checks >= 0 too)."""
    try:
        value = float(lam)
    except (TypeError, ValueError):
        raise DriftError(f"repeat_penalty_lambda must be a number >= 0, got {lam!r}") from None
    if not (value >= 0 and math.isfinite(value)):
        raise DriftError(f"repeat_penalty_lambda must be a finite number >= 0, got {lam!r}")
    return value + 0.0  # -0.0 -> 0.0: one key for zero


def _resolve_runs(con: duckdb.DuckDBPyConnection, run_id: str | None) -> list[str]:
    runs = list_runs(con)
    if not runs:
        raise DriftError("the warehouse has no trajectories; run `drift rollout` or `drift import-jsonl` first")
    if run_id is None:
        return runs
    if run_id not in runs:
        raise DriftError(f"no run {run_id!r} in the trajectories table; runs: {', '.join(runs)}")
    return [run_id]


def _resolve_beta(con, cfg: WeightsConfig, runs: list[str], lam: float) -> tuple[float | None, bool | None]:
    scheme = weight_schemes.get(cfg.scheme)
    if not scheme.uses_beta:
        return None, None
    if cfg.beta != "auto":
        return float(cfg.beta), None
    return auto_beta(con, runs, cfg.gamma, cfg.target_ess, scheme.uses_all_fail_zero and cfg.all_fail_zero,
                     repeat_penalty_lambda=lam)


def auto_beta(con, runs: list[str], gamma: float, target: float, exclude_all_fail: bool, *,
              repeat_penalty_lambda: float = DEFAULT_REPEAT_PENALTY_LAMBDA) -> tuple[float, bool]:
    """Smallest beta (sharpest weights) whose mean per-prompt ESS/n reaches `target`.

    ESS/n grows with beta (flatter weights), so bisect log(beta) over AUTO_BETA_RANGE; the answer is
    rounded up to 3 significant digits (still meets the target). Needs the returns rows at `gamma` and
    `repeat_penalty_lambda`. Returns (beta, target_met); target_met is False when even the largest beta
    falls short.
    """
    temp_table(con, "auto_beta_groups", {"run_ids": runs, "gamma": gamma, "exclude_all_fail": exclude_all_fail,
                                         "repeat_penalty_lambda": repeat_penalty_lambda})

    def ess(beta: float) -> float:
        value = run_sql(con, "auto_beta_ess", {"beta": beta}).fetchone()[0]
        return 1.0 if value is None else value

    lo, hi = AUTO_BETA_RANGE
    if ess(lo) >= target:
        return lo, True
    if ess(hi) < target:
        return hi, False
    for _ in range(AUTO_BETA_STEPS):
        mid = math.sqrt(lo * hi)
        if ess(mid) >= target:
            hi = mid
        else:
            lo = mid
    digits = 2 - math.floor(math.log10(hi))
    rounded = math.ceil(hi * 10**digits) / 10**digits
    return (rounded if ess(rounded) >= target else hi), True


def _read_diagnostics(con, params: dict) -> list[RunDiagnostics]:
    """The weight_diagnostics rows of the weighting params names (run_ids and its key), by run."""
    select_weighting(con, params)
    rel = run_sql(con, "lookups/diagnostics_of")
    cols = [d[0] for d in rel.description]
    names = set(RunDiagnostics.__dataclass_fields__)
    return [RunDiagnostics(**{c: v for c, v in zip(cols, row, strict=True) if c in names}) for row in rel.fetchall()]


def training_set(
    con: duckdb.DuckDBPyConnection, *, run_id: str, scheme: str, gamma: float, beta: float | str,
    repeat_penalty_lambda: float = DEFAULT_REPEAT_PENALTY_LAMBDA, target_ess: float = 0.5,
    all_fail_zero: bool = False, weight_cap: float | None = None, beta_pool: list[str] | None = None,
) -> pa.Table:
    """The weighted SFT set of one run and weighting: run_id, prompt_id, sample_idx, messages
    (list<struct<role, content>>), weight (double), plus return, solved, num_turns, t_star, scheme,
    beta, gamma. Ordered by (prompt_id, sample_idx). Raises DriftError naming the weighting if absent.

    The weighting is named by its whole key (`weighting_key`): the options default to WeightsConfig's
    and count only where they apply (weight_cap and all_fail_zero for drift-ext, target_ess for beta
    'auto'); beta_pool, for beta 'auto': the runs weighted together, which chose the beta (default
    [run_id], i.e. weighted alone)."""
    weight_schemes.get(scheme)  # DriftError: unknown scheme
    key = weighting_key(scheme, beta, gamma, runs=list(beta_pool or [run_id]), target_ess=target_ess,
                        all_fail_zero=all_fail_zero, weight_cap=weight_cap, repeat_penalty_lambda=repeat_penalty_lambda)
    return _read_training_set(con, run_id, key, beta)


def config_training_set(con: duckdb.DuckDBPyConnection, cfg: WeightsConfig, run_id: str, *,
                        runs: list[str] | None = None,
                        repeat_penalty_lambda: float = DEFAULT_REPEAT_PENALTY_LAMBDA) -> pa.Table:
    """training_set of `run_id` in the weighting `cfg` names, all of its key from the config. runs: the
    runs it was computed with (they matter for beta 'auto' only); default what compute_weights(cfg)
    weights together: cfg.run_id, else every run in the warehouse."""
    if runs is None:
        runs = [cfg.run_id] if cfg.run_id else list_runs(con)
    return training_set(con, run_id=run_id, scheme=cfg.scheme, gamma=cfg.gamma, beta=cfg.beta,
                        repeat_penalty_lambda=repeat_penalty_lambda, target_ess=cfg.target_ess,
                        all_fail_zero=cfg.all_fail_zero, weight_cap=cfg.weight_cap, beta_pool=runs)


def training_set_if_unique(
    con: duckdb.DuckDBPyConnection, *, run_id: str, scheme: str, gamma: float, beta: float | str,
    repeat_penalty_lambda: float = DEFAULT_REPEAT_PENALTY_LAMBDA,
) -> pa.Table:
    """For callers that name a weighting without its options (target_ess, all_fail_zero, weight_cap,
    beta_pool): training_set of the one weighting of `run_id` with this scheme, beta, gamma and lambda.
    When several such weightings (differing in options) are stored, raises DriftError naming them rather
    than choose; prefer training_set / config_training_set, which take the whole key."""
    weight_schemes.get(scheme)  # DriftError: unknown scheme
    key = weighting_key(scheme, beta, gamma, runs=[run_id], target_ess=0.5, all_fail_zero=False,
                        weight_cap=None, repeat_penalty_lambda=repeat_penalty_lambda)
    partial = ("scheme", "beta_spec", "gamma", "repeat_penalty_lambda")
    matches = [k for k in _available(con, run_id) if all(k[c] == key[c] for c in partial)]
    if len(matches) > 1:
        named = "; ".join(describe_key(k, label=" ").strip() or "no options" for k in matches)
        raise DriftError(
            f"run {run_id!r} has {len(matches)} weightings with scheme {scheme}, beta {key['beta_spec']}, gamma "
            f"{gamma}{_lambda_note(key['repeat_penalty_lambda'])} that differ in their options ({named}); "
            "name one with all its options (weights.target_ess, all_fail_zero, weight_cap)"
        )
    return _read_training_set(con, run_id, matches[0] if matches else key, beta)


def _available(con, run_id: str) -> list[dict]:
    """The keys of the weightings computed for a run (empty when there are no weights yet)."""
    try:
        rel = run_sql(con, "lookups/available_weightings", {"run_id": run_id})
    except duckdb.CatalogException:
        return []
    except duckdb.BinderException:
        raise DriftError(_OLD_WAREHOUSE) from None
    cols = [d[0] for d in rel.description]
    return [dict(zip(cols, row, strict=True)) for row in rel.fetchall()]


_OLD_WAREHOUSE = ("this warehouse's weights are from an older drift (without every weighting option in their key); "
                  "run `drift weights` once to update it")


def _read_training_set(con, run_id: str, key: dict, beta: float | str) -> pa.Table:
    lam = key["repeat_penalty_lambda"]
    asked = (f"scheme {key['scheme']}, beta {key['beta_spec']}, gamma {key['gamma']:g}" + _lambda_note(lam)
             + describe_key(key, label=", "))
    try:
        select_weighting(con, {"run_ids": [run_id], **key})
        table = sql_relation(con, "training_set", {"run_id": run_id}).to_arrow_table()
    except duckdb.CatalogException:
        raise DriftError(
            f"no weights in this warehouse yet (asked for run {run_id!r}, {asked}); run `drift weights` first"
        ) from None
    except duckdb.BinderException:
        raise DriftError(_OLD_WAREHOUSE) from None
    if table.num_rows == 0:
        known = "; ".join(f"{k['scheme']} beta={k['beta_spec']} gamma={k['gamma']:g}"
                          + _lambda_note(k["repeat_penalty_lambda"], " repeat_penalty_lambda=") + describe_key(k)
                          for k in _available(con, run_id)) or "none"
        raise DriftError(f"no weights for run {run_id!r} with {asked}; computed for this run: {known}. "
                         f"Run `{_weights_command(key, beta, run_id)}` first")
    return table


def _weights_command(key: dict, beta: float | str, run_id: str) -> str:
    """The `drift weights` command line that computes the weighting `key` names."""
    cmd = f"drift weights --scheme {key['scheme']} --beta {beta} --gamma {key['gamma']:g}"
    if key["target_ess"] != NO_TARGET_ESS:
        cmd += f" --target-ess {key['target_ess']:g}"
    if key["all_fail_zero"]:
        cmd += " --all-fail-zero"
    if key["weight_cap"] != NO_CAP:
        cmd += f" --weight-cap {key['weight_cap']:g}"
    if key["beta_pool"] == [run_id]:
        cmd += f" --run-id {run_id}"
    return cmd + _lambda_note(key["repeat_penalty_lambda"], " --set protocol.repeat_penalty_lambda=")


def _lambda_note(lam: float, label: str = ", repeat_penalty_lambda ") -> str:
    """The lambda for a message, only where it is not the reference's 0.5 (label + value)."""
    return "" if lam == DEFAULT_REPEAT_PENALTY_LAMBDA else f"{label}{lam:g}"

