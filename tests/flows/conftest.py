"""The quick comparison's runs, once per session: test_compare.py, test_compare_grpo.py and test_compare_rounds.py
read them (one run of `drift compare --quick` covers every quick arm, online-grpo and drift-r2 included)."""

from __future__ import annotations

import os
import shutil

import pytest


@pytest.fixture(scope="session")
def quick_compare(prefect_server, tiny_world_dir, tmp_path_factory):
    """`drift compare --quick` (every quick arm, two seeds), then a narrower comparison (one arm, one seed) and
    `drift sweep --quick` in the same workspace, which reuse its cached stages."""
    import time

    from prefect.settings import PREFECT_API_URL, temporary_settings

    from drift_core.config import load_config
    from drift_core.config.compare import QUICK_COMPARE, QUICK_PIPELINE, QUICK_SWEEP, CompareConfig, SweepConfig
    from drift_core.config.compare import split_overrides as split
    from flows.compare import drift_compare
    from flows.sweep import drift_sweep

    root = tmp_path_factory.mktemp("compare")
    ws = root / "ws"
    shutil.copytree(tiny_world_dir, ws / "tiny_world")  # the workspace's world: built, so never rebuilt
    cfg = load_config(None, [*QUICK_PIPELINE, f"workspace={ws}"])
    out = root / "results" / "tiny_world.md"
    compare = CompareConfig.model_validate(split(QUICK_COMPARE, "compare")[1] | {"output": str(out)})
    narrow = compare.model_copy(update={"arms": ["drift"], "seeds": [0], "output": str(root / "narrow.md")})
    sweep = SweepConfig.model_validate(split(QUICK_SWEEP, "sweep")[1] | {"output": str(root / "sweep.md")})
    saved = os.environ.pop("MLFLOW_TRACKING_URI", None)  # the embedded default: SQLite in the workspace
    try:
        with temporary_settings({PREFECT_API_URL: prefect_server.url + "/api"}):
            t0 = time.perf_counter()
            full = drift_compare(cfg, compare, command="drift compare --quick")
            seconds = time.perf_counter() - t0
            yield {"ws": ws, "out": out, "compare": compare, "cfg": cfg, "full": full, "seconds": seconds,
                   "narrow": drift_compare(cfg, narrow, command="drift compare --quick (narrow)"),
                   "sweep": drift_sweep(cfg, sweep, command="drift sweep --quick")}
    finally:
        if saved is not None:
            os.environ["MLFLOW_TRACKING_URI"] = saved
