"""Fixtures for the vllm engine tests: a model vLLM's CPU kernels accept, caches kept in tmp dirs."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Apply to a test module with `pytestmark = needs_vllm`.
needs_vllm = [pytest.mark.vllm, pytest.mark.usefixtures("require_vllm")]


@pytest.fixture(scope="session")
def require_vllm() -> None:
    """Skip (with the reason) where vLLM does not import. A fixture, not a collection-time skipif,
    so that collecting the hf tests beside these does not import vLLM (about 10 s)."""
    from drift_core.engines import vllm_available

    ok, why = vllm_available()
    if not ok:
        pytest.skip(why)


@pytest.fixture(scope="session")
def vllm_model_dir(tmp_path_factory) -> Path:
    """The random chat model at hidden 64 (head size 32): vLLM's CPU attention rejects the default
    fixture's head size 16. Seed 3's greedy output is non-empty text, so parity checks compare text."""
    from drift_core.testing.random_model import build_random_model

    return build_random_model(tmp_path_factory.mktemp("vllm_model") / "model", seed=3, hidden=64)


@pytest.fixture(scope="session")
def vllm_env(require_vllm, tmp_path_factory) -> dict[str, str]:
    """vLLM and torch inductor caches and vLLM's temp files go to a tmp dir, not $HOME or /tmp;
    returned as the env for subprocesses too."""
    root = tmp_path_factory.mktemp("vllm_cache")
    env = {
        "VLLM_CACHE_ROOT": str(root / "vllm"),
        "TORCHINDUCTOR_CACHE_DIR": str(root / "inductor"),
        "TMPDIR": str(root / "tmp"),
    }
    (root / "tmp").mkdir()
    mp = pytest.MonkeyPatch()
    for key, value in env.items():
        mp.setenv(key, value)
    mp.setattr(tempfile, "tempdir", env["TMPDIR"])  # tempfile caches $TMPDIR on first use
    yield {**os.environ, **env}
    mp.undo()
