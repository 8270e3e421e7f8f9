"""The engine registry: every engine's name, help, availability and factory; 'auto' and building from a config.

An engine is one entry (`ENGINES.register(EngineEntry(...))`); the config's allowed values, its error and
`--engine`'s help are read from here (drift_core/extensions.py). The factory imports its engine's module
itself, so reading the registry (loading a config, `drift --help`) imports neither torch nor vLLM.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from drift_core.engines.base import Engine
from drift_core.errors import DriftError
from drift_core.extensions import Registry

if TYPE_CHECKING:
    from drift_core.config.engine import EngineConfig
    from drift_core.config.eval import EvalConfig
    from drift_core.config.rollout import RolloutConfig

AUTO = "auto"


def _always() -> tuple[bool, str]:
    return True, ""


@dataclass(frozen=True)
class EngineEntry:
    name: str
    help: str  # one line: what the engine is (config field help, docs)
    factory: Callable[[str, EngineConfig, int], Engine]  # (model path, engine settings, seed) -> a loaded engine
    available: Callable[[], tuple[bool, str]] = _always  # (True, '') or (False, why it cannot run here)
    # 'auto' asks the entries with a rank, highest first, and picks the first whose auto_when() holds and
    # that is available; None: 'auto' never picks this engine.
    auto_rank: int | None = None
    auto_when: Callable[[], bool] = lambda: True
    auto_help: str = ""  # when 'auto' picks it, for the help of 'auto' ('on CUDA when it imports')


def _auto_help() -> str:
    return ", else ".join(f"{e.name} {e.auto_help}".strip() for e in _ranked())


def _ranked() -> list[EngineEntry]:
    return sorted((e for e in ENGINES if e.auto_rank is not None), key=lambda e: -e.auto_rank)


# 'auto' is no engine: pick_engine resolves it. Its help is read when asked, so it names the engines ranked then.
ENGINES: Registry[EngineEntry] = Registry("engine", special={AUTO: _auto_help})


def pick_engine(name: str) -> str:
    """The engine `name` stands for: itself when registered; 'auto' -> the ranked choice (docs/engines.md)."""
    if name != AUTO:
        return ENGINES.get(name).name
    for entry in _ranked():
        if entry.auto_when() and entry.available()[0]:
            return entry.name
    raise DriftError(f"engine 'auto': none of {', '.join(e.name for e in _ranked())} can run here")


def make_engine(name: str, model_path: str, cfg: EngineConfig | None = None, *, seed: int = 0,
                **settings) -> Engine:
    """Build engine `name` (a registered one or 'auto') for `model_path`.

    Settings come from `cfg` (default: EngineConfig's defaults), overridden by `settings` (its field names:
    device, dtype, batch_size, ...); `seed` is the sampling seed engines that seed at load time use (vLLM)."""
    from drift_core.config.engine import EngineConfig

    entry = ENGINES.get(pick_engine(name))
    ok, why = entry.available()
    if not ok:
        raise DriftError(f"engine '{entry.name}' requested but {why}")
    base = (cfg or EngineConfig()).model_dump(include=set(EngineConfig.model_fields))
    return entry.factory(model_path, EngineConfig.model_validate({**base, **settings, "engine": entry.name}), seed)


def engine_from_config(cfg: RolloutConfig | EvalConfig, model_path: str, name: str | None = None) -> Engine:
    """The engine a stage config asks for (or `name`), with its settings and seed: the one place the rollout
    and the evaluation build theirs."""
    return make_engine(name or cfg.engine, model_path, cfg, seed=cfg.seed)
