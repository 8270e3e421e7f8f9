"""Extension points as registries: the one list of interchangeable parts of a kind (engines, verifiers,
tiny worlds, weighting schemes, compare arms; docs/design.md §3.1).

A part is an entry with a `name` and a one-line `help`; everything that names parts (a config field's
allowed values and help, its validation error, a CLI option's help) is read from the registry, so adding
a part is registering one entry, from any module (a test's included), and nothing else compares names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, Protocol, TypeVar

from drift_core.errors import DriftError


class Named(Protocol):
    name: str
    help: str


E = TypeVar("E", bound=Named)


class Registry(Generic[E]):
    """Entries by name, in registration order. `special` names (e.g. an engine's 'auto') are accepted
    and described beside the entries but resolve elsewhere (their owner's code); a special name's help
    may be a function, read when described (when it depends on the entries)."""

    def __init__(self, kind: str, special: dict[str, str | Callable[[], str]] | None = None):
        self.kind = kind
        self.special = dict(special or {})
        self._entries: dict[str, E] = {}

    def register(self, entry: E, *, after: str | None = None) -> E:
        """Add `entry`, last in registration order or right after the entry called `after`; returns it (so
        a module can keep it as a constant). A taken name, or an `after` that is not an entry, is an error."""
        if entry.name in self._entries or entry.name in self.special:
            raise DriftError(f"{self.kind} '{entry.name}' is already registered")
        if after is None:
            self._entries[entry.name] = entry
            return entry
        if after not in self._entries:
            raise DriftError(f"{self.kind} '{after}' (register '{entry.name}' after it) is not registered")
        items = list(self._entries.items())
        at = [name for name, _ in items].index(after) + 1
        items.insert(at, (entry.name, entry))
        self._entries = dict(items)
        return entry

    def unregister(self, name: str) -> None:
        self._entries.pop(name, None)

    def get(self, name: str) -> E:
        """The entry called `name`; an unknown name is an error listing the choices."""
        if name not in self._entries:
            raise DriftError(f"unknown {self.kind} '{name}' (choose one of {', '.join(self.names())})")
        return self._entries[name]

    def check(self, name: str) -> str:
        """`name` when it is an entry or a special name, else the error of `get` (for config validators)."""
        if name not in self.special:
            self.get(name)
        return name

    def names(self) -> list[str]:
        """Special names first, then the entries in registration order."""
        return [*self.special, *self._entries]

    def choices(self, sep: str = " | ") -> str:
        """'a | b | c': the names, for a CLI option's help (`sep` ', ': for an error's text)."""
        return sep.join(self.names())

    def describe(self) -> str:
        """"'a' = help of a; 'b' = help of b" for a config field's description."""
        special = {name: text() if callable(text) else text for name, text in self.special.items()}
        helps = {**special, **{e.name: e.help for e in self._entries.values()}}
        return "; ".join(f"'{name}' = {text}" for name, text in helps.items())

    def __iter__(self) -> Iterator[E]:
        return iter(list(self._entries.values()))

    def __contains__(self, name: object) -> bool:
        return name in self._entries
