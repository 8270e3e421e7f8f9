"""The tiny worlds, chosen by name from one registry (drift_core/worlds/registry.py).

Importing this package registers the stock worlds (arithmetic, the default; choice) without loading the
tiny-world machinery or torch: an entry's functions import what they use when called.
"""

from __future__ import annotations

from drift_core.worlds.arithmetic import ARITHMETIC
from drift_core.worlds.choice import CHOICE
from drift_core.worlds.registry import (
    WORLDS,
    HiddenItems,
    WorldEntry,
    hidden_worlds,
    is_world_source,
    plain_item,
    source_names,
    world_of_source,
)

DEFAULT = ARITHMETIC.name  # the world where none is named (tiny_world.task unset, rollout.model unset)

__all__ = [
    "ARITHMETIC",
    "CHOICE",
    "DEFAULT",
    "WORLDS",
    "HiddenItems",
    "WorldEntry",
    "hidden_worlds",
    "is_world_source",
    "plain_item",
    "source_names",
    "world_of_source",
]
