"""The registry every extension point is made of: names, errors and help all read from its entries."""

from dataclasses import dataclass

import pytest

from drift_core.errors import DriftError
from drift_core.extensions import Registry


@dataclass(frozen=True)
class Part:
    name: str
    help: str


def test_entries_in_order_special_names_first():
    reg: Registry[Part] = Registry("part", special={"any": lambda: f"one of {len(list(reg))}"})
    a = reg.register(Part("a", "the first"))
    reg.register(Part("b", "the second"))
    assert reg.get("a") is a and "b" in reg and "any" not in reg
    assert reg.names() == ["any", "a", "b"] and reg.choices() == "any | a | b"
    assert reg.describe() == "'any' = one of 2; 'a' = the first; 'b' = the second"
    assert reg.check("any") == "any" and reg.check("b") == "b"


def test_unknown_and_taken_names_are_errors():
    reg: Registry[Part] = Registry("part", special={"any": "anything"})
    reg.register(Part("a", "the first"))
    with pytest.raises(DriftError, match=r"unknown part 'z' \(choose one of any, a\)"):
        reg.check("z")
    for taken in ("a", "any"):
        with pytest.raises(DriftError, match=f"part '{taken}' is already registered"):
            reg.register(Part(taken, "again"))
    reg.unregister("a")
    with pytest.raises(DriftError, match="unknown part 'a'"):
        reg.get("a")
