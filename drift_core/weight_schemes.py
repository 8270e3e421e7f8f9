"""Weighting schemes: the one registry of the ways trajectory returns become SFT weights (docs/weights.md).

Each entry holds a scheme's name, its help text, its per-row weight expression (SQL, in
sql/schemes/<name>.sql) and the options that apply to it. Everything else reads them from here:
WeightsConfig.scheme's allowed values, error text and help, the CLI's --scheme help, the weighting key
(drift_core/weights.py weighting_key stores 'none' / false / +infinity for the options a scheme
ignores) and sql/weight_rows.sql, into which the chosen scheme's expression is composed. Adding a
scheme: its expression file sql/schemes/<name>.sql and one `register(Scheme(...))` below.

No duckdb import here: WeightsConfig imports this module, and configs load where DuckDB does not
(benchmarks/gpu_check/fallback.py); the SQL file is read on first use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from drift_core.errors import DriftError
from drift_core.extensions import Registry

# A name is a CLI value, a key column value and a file name under sql/schemes/.
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True)
class Scheme:
    """One weighting scheme.

    The weight expression is evaluated once per trajectory in sql/weight_rows.sql's `final`, over these
    columns: "return" (R, double), solved (boolean), group_key (the prompt group), group_success_rate
    (solved share of the group), w_drift (exp(R/beta) normalised to mean 1 per group; NULL without a
    beta), and the parameters $beta, $all_fail_zero, $weight_cap. Window functions over
    `partition by group_key` work too (weights relative to the prompt's other samples)."""

    name: str
    help: str
    uses_beta: bool  # its weights depend on beta: beta (and 'auto' with target_ess) apply; else beta_spec 'none'
    uses_all_fail_zero: bool = False  # the all_fail_zero option applies (stored false where it does not)
    uses_weight_cap: bool = False  # the weight_cap option applies (stored +infinity where it does not)
    sql: str | None = None  # the weight expression itself; None: read from sql/schemes/<name>.sql

    def weight_sql(self) -> str:
        """The per-row weight expression (see the class docstring for the columns it may use)."""
        if self.sql is not None:
            return self.sql
        from drift_core.sqlfiles import load_sql  # lazily: see the module docstring

        return load_sql(f"schemes/{self.name}")


# The shared registry kind (docs/design.md §3.1); the functions below keep this module's own error texts and types.
SCHEMES: Registry[Scheme] = Registry("scheme")


def register(scheme: Scheme) -> Scheme:
    """Add a scheme (a name may be registered once); returns it."""
    if not _NAME.match(scheme.name):
        raise ValueError(f"scheme name {scheme.name!r}: lower-case letters, digits and '-', starting with a letter")
    if scheme.name in SCHEMES:
        raise ValueError(f"scheme {scheme.name!r} is registered already")
    return SCHEMES.register(scheme)


def unregister(name: str) -> None:
    """Remove a scheme (for tests and plugins that registered one)."""
    get(name)
    SCHEMES.unregister(name)


def names() -> tuple[str, ...]:
    """The registered schemes' names, in registration order (the stock ones first)."""
    return tuple(SCHEMES.names())


def get(name: str) -> Scheme:
    """The scheme called `name`; DriftError (a ValueError, so pydantic reports it too) if none is."""
    try:
        return SCHEMES.get(name)
    except (DriftError, TypeError):  # TypeError: an unhashable name
        raise DriftError(f"unknown scheme {name!r} (choose {choices()})") from None


def choices(sep: str = ", ") -> str:
    """The names, joined: 'drift, uniform, rft, drift-ext' (sep ' | ': the CLI's help)."""
    return SCHEMES.choices(sep)


def using(option: str) -> str:
    """The schemes an option applies to, for help texts: using('uses_weight_cap') -> 'drift-ext'."""
    return " / ".join(s.name for s in SCHEMES if getattr(s, option))


def describe() -> str:
    """Every scheme with its help text: the help of WeightsConfig.scheme and of the CLI's --scheme."""
    return "; ".join(f"{s.name}: {s.help}" for s in SCHEMES)


def json_schema(schema: dict) -> None:
    """WeightsConfig.scheme's JSON schema (pydantic json_schema_extra): the schemes registered now."""
    schema["enum"] = list(names())
    schema["description"] = describe()


# -- the stock schemes (docs/design.md §1; formulas in docs/weights.md and sql/schemes/) ---------------
DRIFT = register(Scheme("drift", "exp(R/beta) per prompt (the reference)", uses_beta=True))
register(Scheme("uniform", "1 (plain SFT on every trajectory)", uses_beta=False))
register(Scheme("rft", "1 if solved else 0 (rejection-sampling fine-tuning)", uses_beta=False))
register(Scheme("drift-ext", "drift with the opt-in fixes all_fail_zero and weight_cap", uses_beta=True,
                uses_all_fail_zero=True, uses_weight_cap=True))
DEFAULT = DRIFT.name  # WeightsConfig.scheme's default: the reference's
