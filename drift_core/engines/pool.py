"""One engine per process, reused across the shards that process runs (docs/scale-out.md).

A Ray worker runs many shard tasks; loading the model for each would cost more than most shards'
generation (a vLLM engine takes tens of seconds to start). The pool keeps the last engine built and
returns it while the same model and settings are asked for; a different request closes it first, so a
worker never holds two models (GPU memory).
"""

from __future__ import annotations

import threading

from drift_core.config.engine import EngineConfig
from drift_core.engines.base import Engine
from drift_core.engines.registry import engine_from_config, pick_engine

_lock = threading.RLock()  # release() runs inside shared_engine's lock and on its own
_held: tuple[tuple, Engine, object] | None = None  # (key, engine, tokenizer)
_loads = 0


def shared_engine(cfg, model_path: str) -> tuple[Engine, object]:
    """(engine, tokenizer) for `model_path` as stage config `cfg` (RolloutConfig or EvalConfig) asks for it,
    built on first use in this process and reused after."""
    global _held, _loads
    from drift_core.chat import load_tokenizer

    # Every engine setting, speed-only ones included (batch size, device): they decide what is built.
    settings = cfg.model_dump(mode="json", include=set(EngineConfig.model_fields))
    key = (pick_engine(cfg.engine), str(model_path), repr(sorted(settings.items())), cfg.seed)
    with _lock:
        if _held is not None and _held[0] == key:
            return _held[1], _held[2]
        release()
        engine = engine_from_config(cfg, str(model_path))
        _loads += 1
        _held = (key, engine, load_tokenizer(model_path))
        return engine, _held[2]


def release() -> bool:
    """Close the held engine (frees its memory); True when there was one."""
    global _held
    with _lock:
        held, _held = _held, None
        if held is None:
            return False
        held[1].close()
        return True


def loads() -> int:
    """How many engines this process has built through the pool (tests check reuse with it)."""
    return _loads

