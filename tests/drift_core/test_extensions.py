"""The registry every extension point is made of (drift_core/extensions.py): names, errors and help all read
from its entries, in registration order or where `after=` puts an entry."""

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
    assert reg.names() == ["any", "a", "b"] and reg.choices() == "any | a | b" and reg.choices(", ") == "any, a, b"
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


def test_register_after_an_entry_inserts_there_and_an_unknown_one_is_an_error():
    reg: Registry[Part] = Registry("part", special={"any": "anything"})
    for name in ("a", "b", "c"):
        reg.register(Part(name, name))
    reg.register(Part("a2", "after a"), after="a")
    reg.register(Part("c2", "after the last"), after="c")
    reg.register(Part("d", "no after: last"))
    assert reg.names() == ["any", "a", "a2", "b", "c", "c2", "d"]
    assert [p.name for p in reg] == ["a", "a2", "b", "c", "c2", "d"]
    for after in ("z", "any"):  # not an entry (a special name is none either): nothing is added
        with pytest.raises(DriftError, match=f"part '{after}' \\(register 'x' after it\\) is not registered"):
            reg.register(Part("x", "x"), after=after)
    with pytest.raises(DriftError, match="part 'b' is already registered"):  # a taken name, wherever it would go
        reg.register(Part("b", "again"), after="a")
    assert "x" not in reg and reg.names() == ["any", "a", "a2", "b", "c", "c2", "d"]
    reg.unregister("a2")
    reg.register(Part("a2", "back"), after="b")
    assert reg.names() == ["any", "a", "b", "a2", "c", "c2", "d"] and reg.get("a2").help == "back"
