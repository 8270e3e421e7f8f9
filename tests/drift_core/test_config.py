import pytest
from pydantic import BaseModel

from drift_core import config as C
from drift_core.config import PipelineConfig, load_config
from drift_core.errors import DriftError
from drift_core.worlds import DEFAULT, WORLDS


def _models():
    return [
        C.ProtocolConfig,
        C.PromptsConfig,
        C.RolloutConfig,
        C.WeightsConfig,
        C.TrainConfig,
        C.EvalConfig,
        C.GrpoConfig,
        C.RunnerConfig,
        PipelineConfig,
    ]


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.__name__)
def test_every_field_has_a_help_text(model: type[BaseModel]):
    missing = [name for name, f in model.model_fields.items() if not (f.description or "").strip()]
    assert not missing, f"{model.__name__} fields without description: {missing}"


def test_reference_defaults():
    p, r, w = C.ProtocolConfig(), C.RolloutConfig(), C.WeightsConfig()
    assert (p.max_turns, p.format_penalty, p.feedback_incorrect) == (5, -0.1, "Incorrect. Please think again.")
    assert (r.n, r.temperature, r.top_p) == (16, 1.0, 1.0)
    assert (w.gamma, w.beta, w.scheme) == (0.9, 0.1, "drift")


def test_default_is_the_embedded_tiny_config():
    cfg = load_config()
    assert cfg.prompts.source == "tiny-world" == WORLDS.get(DEFAULT).source
    assert cfg.rollout.model is None  # -> the workspace's tiny world


def test_tiny_world_names_are_the_registrys():
    """tiny_world.task and prompts.source accept the registered worlds (drift_core/worlds) and name them when
    refusing one; their help lists them."""
    from drift_core.config.tiny_world import TinyWorldConfig, TinyWorldSelection

    with pytest.raises(DriftError, match=r"unknown tiny world 'riddles' \(choose one of arithmetic, choice\)"):
        load_config(None, ["tiny_world.task=riddles"])
    with pytest.raises(DriftError, match=r"unknown prompts.source 'tiny-world-riddles' \(choose one of .*tiny-world, "
                       r"tiny-world-choice\)"):
        load_config(None, ["prompts.source=tiny-world-riddles"])
    for w in WORLDS:
        assert load_config(None, [f"tiny_world.task={w.name}"]).prompts.source == w.source
        assert w.source in C.PromptsConfig.model_fields["source"].description
        assert f"'{w.name}' = {w.help}" in TinyWorldConfig.model_fields["task"].description
        assert f"<workspace>/{w.dir_name}" in TinyWorldSelection.model_fields["task"].description


def test_yaml_then_overrides(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("rollout:\n  n: 4\nprotocol:\n  max_turns: 3\n")
    cfg = load_config(f, ["rollout.n=2", "weights.beta=auto"])
    assert (cfg.rollout.n, cfg.protocol.max_turns, cfg.weights.beta) == (2, 3, "auto")


def test_unknown_key_is_named(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("rollout:\n  n_samples: 4\n")
    with pytest.raises(DriftError, match=r"unknown config key 'rollout.n_samples'"):
        load_config(f)
    with pytest.raises(DriftError, match=r"unknown config key 'bogus'"):
        load_config(None, ["bogus=1"])


def test_runner_section_picks_the_task_runner():
    cfg = load_config(None, ["runner.kind=ray", "runner.workers=4", "runner.address=ray://head:10001"])
    assert (cfg.runner.kind, cfg.runner.workers, cfg.runner.address) == ("ray", 4, "ray://head:10001")
    dask = load_config(None, ["runner.kind=dask", "runner.address=tcp://head:8786"]).runner
    assert (dask.kind, dask.address) == ("dask", "tcp://head:8786")
    assert load_config(None).runner.kind == "local"  # the default: shards in the pipeline's process
    assert "runner" not in cfg.content_dump()  # placement only: no cache key, run id or eval id changes
    with pytest.raises(DriftError, match=r"runner\.kind"):
        load_config(None, ["runner.kind=spark"])


@pytest.mark.parametrize("item,field", [("protocol.max_turns=0", "protocol.max_turns"), ("rollout.n=0", "rollout.n")])
def test_out_of_range_values_name_the_field(item, field):
    with pytest.raises(DriftError, match=field.replace(".", r"\.")):
        load_config(None, [item])


def test_missing_and_bad_yaml(tmp_path):
    with pytest.raises(DriftError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("rollout: [1,\n")
    with pytest.raises(DriftError, match="not valid YAML"):
        load_config(bad)


@pytest.mark.parametrize("name", ["tiny.yaml", "reference.yaml", "qwen2.5-3b.yaml"])
def test_shipped_configs_validate(name):
    from drift_core.config.pipeline import DEFAULT_CONFIG

    cfg = load_config(DEFAULT_CONFIG.parent / name)
    assert cfg.protocol.max_turns == 5


def test_extends_merges_a_profile_section_by_section(tmp_path):
    """`extends:` reads the base file first; the extending file wins key by key, lists replace."""
    (tmp_path / "base.yaml").write_text("rollout:\n  n: 4\n  seed: 7\nprompts:\n  levels: [1, 2]\n")
    (tmp_path / "child.yaml").write_text("extends: base.yaml\nrollout:\n  n: 2\nprompts:\n  levels: [3]\n")
    cfg = load_config(tmp_path / "child.yaml")
    assert (cfg.rollout.n, cfg.rollout.seed, cfg.prompts.levels) == (2, 7, [3])


def test_extends_errors_name_the_file(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n")
    with pytest.raises(DriftError, match="cycle"):
        load_config(tmp_path / "a.yaml")
    (tmp_path / "c.yaml").write_text("extends: missing.yaml\n")
    with pytest.raises(DriftError, match="extended by"):
        load_config(tmp_path / "c.yaml")


def test_sampling_fields_are_defined_once_with_stage_defaults(tmp_path):
    """Rollout and eval take temperature, top_p, max_new_tokens, seed and seed_scheme from SamplingConfig: the
    same help and limits, their own defaults (eval greedy, seed 0), flat YAML keys as before."""
    from drift_core.config.sampling import SamplingConfig

    for model in (C.RolloutConfig, C.EvalConfig):
        for name, shared in SamplingConfig.model_fields.items():
            field = model.model_fields[name]
            assert (field.description, field.metadata) == (shared.description, shared.metadata), (model, name)
    r, e = C.RolloutConfig(), C.EvalConfig()
    assert (r.temperature, r.seed, e.temperature, e.seed) == (1.0, 42, 0.0, 0)
    f = tmp_path / "c.yaml"
    f.write_text("rollout:\n  seed_scheme: fixed\n  top_p: 0.9\neval:\n  temperature: 0.5\n  max_new_tokens: 7\n")
    cfg = load_config(f)
    assert (cfg.rollout.seed_scheme, cfg.rollout.top_p, cfg.eval.temperature, cfg.eval.max_new_tokens) == (
        "fixed", 0.9, 0.5, 7)
    with pytest.raises(DriftError, match=r"eval\.temperature"):
        load_config(None, ["eval.temperature=-1"])


def test_split_overrides_sends_a_section_to_its_model():
    from drift_core.config.compare import CompareConfig, split_overrides

    rest, mine = split_overrides(["compare.seeds=[0,1]", "train.learning_rate=1e-5", "compare.arms=[drift]"],
                                 "compare")
    assert rest == ["train.learning_rate=1e-5"]
    assert CompareConfig.model_validate(mine).seeds == [0, 1]
    with pytest.raises(DriftError):
        split_overrides(["compare.seeds"], "compare")
