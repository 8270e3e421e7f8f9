"""Rollout engines behind one interface, chosen by name from one registry (drift_core/engines/registry.py).

Importing this package registers the built-in engines (hf, vllm) without loading either: torch and the
optional vLLM extra are imported only when an engine is built.
"""

from __future__ import annotations

from drift_core.engines import builtin  # noqa: F401 - registers hf and vllm
from drift_core.engines.base import Completion, Engine, Sampling
from drift_core.engines.registry import ENGINES, EngineEntry, engine_from_config, make_engine, pick_engine
from drift_core.engines.vllm import vllm_available

__all__ = [
    "ENGINES",
    "Completion",
    "Engine",
    "EngineEntry",
    "Sampling",
    "engine_from_config",
    "make_engine",
    "pick_engine",
    "vllm_available",
]
