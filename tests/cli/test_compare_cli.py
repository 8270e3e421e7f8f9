"""`drift compare` / `drift sweep` option handling (the flows themselves: tests/flows/test_compare.py)."""

from pathlib import Path

import pytest

from cli.commands.compare_cmd import _configs
from drift_core.config.compare import QUICK_COMPARE, CompareConfig, SweepConfig
from drift_core.errors import DriftError
from drift_core.worlds import DEFAULT, WORLDS


def test_default_size_uses_every_train_prompt():
    cfg, cmp = _configs("compare", CompareConfig, None, None, None, False, QUICK_COMPARE)
    assert cfg.prompts.limit is None  # drift run's config keeps 200
    assert cmp == CompareConfig()


def test_quick_gets_its_own_workspace_and_output(tmp_path):
    cfg, cmp = _configs("compare", CompareConfig, None, ["compare.seeds=[5,6]"], None, True, QUICK_COMPARE)
    assert cfg.workspace == str(Path(".drift") / "quick")  # never the default run's tiny world
    assert cmp.output == str(Path(".drift") / "quick" / "results" / "tiny_world.md")
    assert cmp.seeds == [5, 6] and cmp.max_steps == 2  # --set wins over the preset
    assert cfg.prompts.limit == 8 and cfg.rollout.n == 2
    cfg, _ = _configs("compare", CompareConfig, None, None, tmp_path / "ws", True, QUICK_COMPARE)
    assert cfg.workspace == str(tmp_path / "ws")  # an explicit workspace is kept


def test_world_selects_the_tiny_world_and_its_own_table():
    from cli.commands.compare_cmd import world_items

    # A world with a table of its own (its registry entry's compare_output): the choice world.
    world = next(w for w in WORLDS if w.compare_output)
    cfg, cmp = _configs("compare", CompareConfig, None, world_items(world.name, None), None, False, QUICK_COMPARE)
    assert cfg.tiny_world.task == world.name and cmp.output == world.compare_output
    assert world.compare_output == "benchmarks/results/tiny_world_choice.md"  # where the docs point
    cfg, cmp = _configs("compare", CompareConfig, None, world_items(world.name, ["compare.output=x.md"]), None,
                        False, QUICK_COMPARE)
    assert cmp.output == "x.md"  # the user's --set wins
    cfg, cmp = _configs("compare", CompareConfig, None, world_items(world.name, None, quick=True), None, True,
                        QUICK_COMPARE)
    assert cmp.output == str(Path(".drift") / "quick" / "results" / "tiny_world.md")  # quick stays inside
    cfg, cmp = _configs("compare", CompareConfig, None, world_items(DEFAULT, None), None, False, QUICK_COMPARE)
    assert cfg.tiny_world.task == DEFAULT and cmp == CompareConfig()  # the default world: compare.output's default
    assert world_items(None, ["a.b=1"]) == ["a.b=1"]


def test_answer_preset_runs_every_arm_and_writes_beside_the_world_table():
    from cli.commands.compare_cmd import world_items
    from drift_core.config.compare import ANSWER_ARMS

    cfg, cmp = _configs("compare", CompareConfig, None, world_items("choice", None, answer=True), None, False,
                        QUICK_COMPARE)
    assert cfg.tiny_world.task == "choice" and cmp.arms == ANSWER_ARMS
    assert {"drift-r2", "drift-r3", "online-grpo", "gold-sft"} <= set(cmp.arms)
    assert cmp.output == "benchmarks/results/tiny_world_choice_answer.md" and cmp.label == "answer"
    assert (cmp.seeds, cmp.lr_grid, cmp.online_token_multiple) == ([0, 1, 2], CompareConfig().lr_grid, 5.0)
    assert (cfg.grpo.trajectories_per_step, cfg.grpo.prompts_per_step) == (128, 16)  # the online arm's batch
    _, cmp = _configs("compare", CompareConfig, None, world_items("arithmetic", None, answer=True), None, False,
                      QUICK_COMPARE)
    assert cmp.output == "benchmarks/results/tiny_world_answer.md"
    cfg, cmp = _configs("compare", CompareConfig, None, world_items("choice", None, quick=True, answer=True), None,
                        True, QUICK_COMPARE)
    assert cfg.grpo.trajectories_per_step == 4  # quick keeps its tiny online batch
    assert cmp.arms == ANSWER_ARMS and cmp.seeds == [0, 1] and cmp.max_steps == 2  # quick sizes, every arm
    assert "results" in cmp.output and not cmp.output.startswith("benchmarks")  # quick stays in its workspace


def test_world_names_come_from_the_registry(capsys):
    from cli.commands.compare_cmd import WorldOpt, world_items
    from cli.testing import drift

    assert all(w.name in WorldOpt.help and w.help in WorldOpt.help for w in WORLDS)
    with pytest.raises(DriftError, match=r"--world 'riddles': use arithmetic or choice"):
        world_items("riddles", None)
    assert drift("compare", "--world", "riddles") == 1
    assert "use arithmetic or choice" in capsys.readouterr().err


def test_bad_section_values_exit_1_with_the_key(capsys):
    from cli.testing import drift

    for args, needle in ((["compare", "--set", "compare.bogus=1"], "unknown config key 'bogus'"),
                         (["sweep", "--set", "sweep.gammas=[2]"], "every gamma must be in (0, 1]")):
        rc = drift(*args)
        assert rc == 1 and needle in capsys.readouterr().err
    _, sweep = _configs("sweep", SweepConfig, None, ["sweep.betas=[0.5]"], None, False, [])
    assert sweep.betas == [0.5]
