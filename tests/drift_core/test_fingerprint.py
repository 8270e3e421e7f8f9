"""Content fingerprints: content decides, paths and mtimes do not."""

from __future__ import annotations

import importlib
import os
import shutil
import sys

import pytest

from drift_core.config import WeightsConfig
from drift_core.fingerprint import code_fingerprint, digest, dir_fingerprint, model_fingerprint, module_closure


def test_digest_ignores_dict_order_and_dumps_models():
    assert digest({"a": 1, "b": 2}) == digest({"b": 2, "a": 1})
    assert digest(WeightsConfig(beta=0.1)) != digest(WeightsConfig(beta=0.5))
    assert digest(WeightsConfig()) == digest(WeightsConfig().model_dump(mode="json"))


def test_paths_are_refused_as_content(tmp_path):
    with pytest.raises(TypeError):
        digest(tmp_path)


def test_a_copied_model_has_the_same_fingerprint(random_model_dir, tmp_path):
    copy = tmp_path / "elsewhere" / "model"
    shutil.copytree(random_model_dir, copy)
    os.utime(copy / "config.json", (1, 1))  # another mtime: still the same content
    assert model_fingerprint(str(copy)) == model_fingerprint(str(random_model_dir))


def test_changing_one_byte_changes_the_fingerprint(tmp_path):
    (tmp_path / "a.txt").write_text("hello")
    before = dir_fingerprint(tmp_path)
    (tmp_path / "a.txt").write_text("hellO")
    assert dir_fingerprint(tmp_path) != before


def test_trainer_checkpoints_do_not_count(random_model_dir, tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(random_model_dir, copy)
    (copy / "checkpoint-5").mkdir()
    (copy / "checkpoint-5" / "optimizer.pt").write_bytes(b"state")
    assert model_fingerprint(str(copy)) == model_fingerprint(str(random_model_dir))


def test_hub_ids_are_fingerprinted_by_name():
    assert model_fingerprint("Qwen/Qwen2.5-3B-Instruct") == model_fingerprint("Qwen/Qwen2.5-3B-Instruct")
    assert model_fingerprint("Qwen/Qwen2.5-3B-Instruct") != model_fingerprint("Qwen/Qwen2.5-7B-Instruct")


def test_code_fingerprint_covers_modules_and_sql():
    assert code_fingerprint("drift_core.promotion") != code_fingerprint("drift_core.plots")
    assert code_fingerprint("sql/tables/prompts.sql") == code_fingerprint("sql/tables/prompts.sql")


def test_a_misspelt_module_or_sql_file_raises():
    with pytest.raises(ValueError, match="drift_core.no_such_module"):
        code_fingerprint("drift_core.no_such_module")
    with pytest.raises(ValueError, match="no_such.sql"):
        code_fingerprint("sql/no_such.sql")


def test_a_stage_closure_holds_what_it_imports_at_any_depth():
    """Training imports the episode protocol (through drift_core.train.data), lazily inside functions too."""
    train = module_closure("drift_core.stages.train")
    assert {"drift_core.stages.train", "drift_core.train.run", "drift_core.episode", "drift_core.weights"} <= train
    assert "drift_core.promotion" not in train  # the registry's gate is not part of training
    assert "tasks.tracking" not in module_closure("drift_core.stages.rollout")  # the library imports no task


@pytest.fixture()
def fake_project(tmp_path, monkeypatch):
    """A throwaway project package: stage -> helper -> leaf, plus an unrelated module."""
    import drift_core.fingerprint as fp

    pkg = tmp_path / "fakeproj"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "stage.py").write_text("from fakeproj import helper\n\ndef run():\n    return helper.go()\n")
    (pkg / "helper.py").write_text("def go():\n    from fakeproj.leaf import VALUE\n    return VALUE\n")
    (pkg / "leaf.py").write_text("VALUE = 1\n")
    (pkg / "other.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(fp, "PROJECT_PACKAGES", (*fp.PROJECT_PACKAGES, "fakeproj"))
    # A package of that name imported by an earlier test lives in another temp dir: find this one.
    for name in [m for m in sys.modules if m == "fakeproj" or m.startswith("fakeproj.")]:
        monkeypatch.delitem(sys.modules, name)
    importlib.invalidate_caches()
    fp._package_root.cache_clear()  # where each package lives is memoised
    return pkg


def test_editing_a_module_the_stage_imports_changes_its_key(fake_project):
    before = code_fingerprint("fakeproj.stage")
    assert module_closure("fakeproj.stage") == {"fakeproj", "fakeproj.stage", "fakeproj.helper", "fakeproj.leaf"}
    (fake_project / "other.py").write_text("X = 2\n")  # not imported by the stage
    assert code_fingerprint("fakeproj.stage") == before
    (fake_project / "leaf.py").write_text("VALUE = 2\n")  # two imports away, inside a function
    assert code_fingerprint("fakeproj.stage") != before


def test_sql_named_by_a_module_is_part_of_its_fingerprint():
    """drift_core.stages.model names 'lookups/run_policy': that SQL file counts."""
    from drift_core.fingerprint import _sql_refs

    assert "lookups/run_policy.sql" in _sql_refs("drift_core.stages.model")


def test_absolute_paths_in_a_module_are_not_sql_references(fake_project):
    """tasks/tracking.py reads f"/proc/{pid}/stat": '/proc/' is a directory, but not one under sql/. Taken
    as one, the registry's cache key globbed /proc for *.sql and failed when a process ended meanwhile."""
    from drift_core.fingerprint import _sql_refs

    (fake_project / "procs.py").write_text(
        'from pathlib import Path\n\ndef alive(pid):\n    return Path(f"/proc/{pid}/stat").exists()\n\n'
        'ROOT = "/"\nUP = "../sql/tables"\nTABLES = f"tables/{1}"\n')
    assert _sql_refs("fakeproj.procs") == ["tables"]
    assert "/proc" not in str(_sql_refs("tasks.tracking")) and "tasks.tracking" in module_closure("tasks.registry")
    code_fingerprint("tasks.registry")  # no scan outside sql/ (it raised FileNotFoundError under load)
