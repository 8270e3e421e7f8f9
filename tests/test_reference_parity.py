"""docs/reference-parity.md stays true: each row's default is the config models' default and its
reference value is what configs/reference.yaml sets (and the Qwen config that extends it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from drift_core.config import PipelineConfig, load_config
from drift_core.resources import configs_dir

DOC = Path(__file__).resolve().parents[1] / "docs" / "reference-parity.md"
ROW = re.compile(r"^\| `([a-z_]+\.[a-z_]+)` \| `([^`]*)` \| `([^`]*)` \|")


def rows() -> list[tuple[str, str, str]]:
    found = [m.groups() for line in DOC.read_text().splitlines() if (m := ROW.match(line))]
    assert len(found) >= 15, "the parity table lost its rows"
    return found


def value(cfg, dotted: str):
    section, field = dotted.split(".")
    return getattr(getattr(cfg, section), field)


@pytest.mark.parametrize("config", ["reference.yaml", "qwen2.5-3b.yaml"])
def test_parity_table_matches_defaults_and_the_reference_profile(config):
    defaults, profile = PipelineConfig(), load_config(configs_dir() / config)
    for knob, default, reference in rows():
        assert value(defaults, knob) == yaml.safe_load(default), f"{knob}: default in the table is stale"
        assert value(profile, knob) == yaml.safe_load(reference), f"{knob}: {config} does not set the reference's value"
