"""`drift compare` / `drift sweep` option handling (the flows themselves: tests/flows/test_compare.py)."""

from pathlib import Path

from cli.commands.compare_cmd import _configs
from drift_core.config.compare import QUICK_COMPARE, CompareConfig, SweepConfig


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

    cfg, cmp = _configs("compare", CompareConfig, None, world_items("choice", None), None, False, QUICK_COMPARE)
    assert cfg.tiny_world.task == "choice" and cmp.output == "benchmarks/results/tiny_world_choice.md"
    cfg, cmp = _configs("compare", CompareConfig, None, world_items("choice", ["compare.output=x.md"]), None, False,
                        QUICK_COMPARE)
    assert cmp.output == "x.md"  # the user's --set wins
    cfg, cmp = _configs("compare", CompareConfig, None, world_items("choice", None, quick=True), None, True,
                        QUICK_COMPARE)
    assert cmp.output == str(Path(".drift") / "quick" / "results" / "tiny_world.md")  # quick stays inside
    assert world_items(None, ["a.b=1"]) == ["a.b=1"]


def test_bad_section_values_exit_1_with_the_key(capsys):
    from cli.testing import drift

    for args, needle in ((["compare", "--set", "compare.bogus=1"], "unknown config key 'bogus'"),
                         (["sweep", "--set", "sweep.gammas=[2]"], "every gamma must be in (0, 1]")):
        rc = drift(*args)
        assert rc == 1 and needle in capsys.readouterr().err
    _, sweep = _configs("sweep", SweepConfig, None, ["sweep.betas=[0.5]"], None, False, [])
    assert sweep.betas == [0.5]
