"""Config plumbing: strict pydantic models, YAML loading, dotted CLI overrides."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from drift_core.errors import DriftError

# Mark of a field that changes speed or placement, not what a stage computes (docs/design.md §4.3):
# `Field(..., json_schema_extra=SPEED_ONLY)`. content_dump() leaves such fields out, so every cache key
# and run id derived from a config ignores them. With sampling they may change which random draws are
# taken (the hf engine seeds per batch), never the distribution sampled from or a greedy result.
SPEED_ONLY = {"affects_output": False}


class StageConfig(BaseModel):
    """Base of every stage config: unknown keys are errors, values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    def content_dump(self) -> dict[str, Any]:
        """The JSON dump of what affects results: fields marked SPEED_ONLY left out, at every depth.

        The one dump every cache key, run id and eval id is made of (drift_core.fingerprint.digest)."""
        return self.model_dump(mode="json", exclude=self._speed_only_fields() or None)

    def _speed_only_fields(self) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        for name, field in type(self).model_fields.items():
            extra = field.json_schema_extra
            if isinstance(extra, dict) and extra.get("affects_output") is False:
                spec[name] = True
            elif isinstance(value := getattr(self, name), StageConfig) and (sub := value._speed_only_fields()):
                spec[name] = sub
        return spec


def format_validation_error(err: ValidationError, source: str) -> str:
    """Turn pydantic's error into one line per field, prefixed with where the value came from."""
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"])
        if e["type"] == "extra_forbidden":
            lines.append(f"{source}: unknown config key '{loc}'")
        else:
            lines.append(f"{source}: field '{loc}': {e['msg']} (got {e.get('input')!r})")
    return "\n".join(lines)


def read_yaml(path: str | Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A config file as a dict. A top-level `extends: other.yaml` (relative to this file) reads that file
    first and merges this one over it, section by section (so a profile can be built on another)."""
    p = Path(path)
    if not p.is_file():
        raise DriftError(f"config file not found: {p}" + (f" (extended by {_seen[-1]})" if _seen else ""))
    try:
        data = yaml.safe_load(p.read_text()) or {}
    except yaml.YAMLError as exc:
        raise DriftError(f"{p}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise DriftError(f"{p}: top level must be a mapping of config sections")
    base = data.pop("extends", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise DriftError(f"{p}: 'extends' must be a file name, got {base!r}")
    parent = (p.parent / base).resolve()
    if parent in _seen or parent == p.resolve():
        raise DriftError(f"{p}: 'extends: {base}' makes a cycle")
    return merge(read_yaml(parent, (*_seen, p.resolve())), data)


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` on top of `base`, recursively for mappings (a list or a value replaces)."""
    out = dict(base)
    for key, value in over.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def parse_override(item: str) -> tuple[list[str], Any]:
    """'rollout.n=8' -> (['rollout', 'n'], 8); the value is parsed as YAML (numbers, bools, lists)."""
    if "=" not in item:
        raise DriftError(f"override '{item}' must look like section.key=value")
    key, raw = item.split("=", 1)
    parts = [p for p in key.strip().split(".") if p]
    if not parts:
        raise DriftError(f"override '{item}' has an empty key")
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        value = raw
    return parts, value


def set_dotted(data: dict[str, Any], parts: list[str], value: Any) -> None:
    node = data
    for p in parts[:-1]:
        nxt = node.setdefault(p, {})
        if not isinstance(nxt, dict):
            raise DriftError(f"override '{'.'.join(parts)}': '{p}' is not a section")
        node = nxt
    node[parts[-1]] = value
