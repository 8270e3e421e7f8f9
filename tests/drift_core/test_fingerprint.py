"""Content fingerprints: content decides, paths and mtimes do not."""

from __future__ import annotations

import os
import shutil

import pytest

from drift_core.config import WeightsConfig
from drift_core.fingerprint import code_fingerprint, digest, dir_fingerprint, model_fingerprint


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
    assert code_fingerprint("drift_core.no_such_module")  # absent code still gives a key
