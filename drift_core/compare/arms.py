"""The compare arms as one registry, and the train / evaluation configs of one arm x seed.

An arm is one way of getting a policy from the same reference and the same data, trained with the
same number of optimizer steps (docs/design.md §7: a fair comparison). Each arm is one `ArmEntry`:
its name, the data it reads, how it is trained, how its weighting follows from CompareConfig and
what the results page says about it. CompareConfig's allowed arm names and default, its help text and
`drift compare`'s help come from here, so adding an arm is one `register(ArmEntry(...))`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from drift_core.config.weights import WeightsConfig
from drift_core.extensions import Registry

if TYPE_CHECKING:
    from drift_core.config.compare import CompareConfig
    from drift_core.config.eval import EvalConfig
    from drift_core.config.train import TrainConfig

# What an arm trains on (ArmEntry.data). The flow makes each kind once and every arm that reads it shares
# it: 'rollout' = the reference's samples, 'gold' = question -> gold answer (drift_core/compare/gold.py).
NO_DATA, GOLD, ROLLOUT = "none", "gold", "rollout"
DATA_KINDS = (NO_DATA, GOLD, ROLLOUT)
# How an arm gets its policy (ArmEntry.method): the reference as it is, weighted SFT on a weighting of its
# data, or online multi-turn GRPO on the train prompts (docs/design.md §10; it reads no offline data). Each
# has its runner in tasks/compare.py; another method adds a name here and its runner there.
UNTRAINED, WEIGHTED_SFT, ONLINE_GRPO = "none", "weighted-sft", "online-grpo"
METHODS = (UNTRAINED, WEIGHTED_SFT, ONLINE_GRPO)


@dataclass(frozen=True)
class Arm:
    """One arm resolved for a CompareConfig: what the flow and its tasks run."""

    name: str
    data: str
    method: str
    weights: WeightsConfig | None  # the weighting of `data` a weighted-SFT arm trains on; None otherwise
    about: str
    reading: bool = False
    rounds: int = 1  # rounds of iterative DRIFT (weighted SFT on a rollout only); 1 = one offline pass


@dataclass(frozen=True)
class ArmEntry:
    """One arm of the registry; `resolve(cfg)` gives the Arm a CompareConfig runs."""

    name: str
    data: str  # one of DATA_KINDS
    method: str  # one of METHODS
    weights: Callable[[CompareConfig], WeightsConfig] | None  # the weighting; None for a method without one
    about: str  # the results page's line; str.format'ed with cfg=<CompareConfig>
    help: str  # a few words for help texts (no config values)
    reading: bool = False  # the page's reading section compares it with every other arm (the DRIFT arms)
    default: bool = True  # in compare.arms' default
    # Iterative DRIFT (docs/design.md §10, "Rounds"): round k samples from round k-1's model with the rollout
    # section, weights those trajectories as `weights` says and trains from that model; round 1 is the arm's
    # one offline pass on the reference's rollout. Each round gets the arm's max_steps.
    rounds: int = 1

    def __post_init__(self) -> None:
        if self.data not in DATA_KINDS:
            raise ValueError(f"arm {self.name}: data {self.data!r} is not one of {', '.join(DATA_KINDS)}")
        if self.method not in METHODS:
            raise ValueError(f"arm {self.name}: method {self.method!r} is not one of {', '.join(METHODS)}")
        if (self.method == WEIGHTED_SFT) != (self.weights is not None):
            raise ValueError(f"arm {self.name}: a weighting is given exactly when the method is {WEIGHTED_SFT}")
        if (self.method in (UNTRAINED, WEIGHTED_SFT)) and (self.method == UNTRAINED) != (self.data == NO_DATA):
            raise ValueError(f"arm {self.name}: an untrained arm reads no data, a weighted-SFT arm reads some")
        if self.rounds < 1 or (self.rounds > 1 and (self.method, self.data) != (WEIGHTED_SFT, ROLLOUT)):
            raise ValueError(f"arm {self.name}: rounds {self.rounds}: >= 1, and above 1 only for weighted SFT on "
                             "a rollout (each round samples from the last round's model)")

    def resolve(self, cfg: CompareConfig) -> Arm:
        weights = self.weights(cfg) if self.weights else None
        return Arm(self.name, self.data, self.method, weights, self.about.format(cfg=cfg), self.reading, self.rounds)


ARMS: Registry[ArmEntry] = Registry("arm")  # in table order; the shared registry kind (docs/design.md §3.1)


def register(entry: ArmEntry, *, after: str | None = None) -> ArmEntry:
    """Add an arm, last in table order or right after arm `after`."""
    return ARMS.register(entry, after=after)


def unregister(name: str) -> None:
    """Remove arm `name` (a KeyError if there is none)."""
    if name not in ARMS:
        raise KeyError(name)
    ARMS.unregister(name)


def registered() -> list[ArmEntry]:
    """Every arm, in table order."""
    return list(ARMS)


def arm_names() -> tuple[str, ...]:
    return tuple(ARMS.names())


def default_arm_names() -> list[str]:
    """compare.arms' default: every arm flagged `default`, in table order."""
    return [e.name for e in ARMS if e.default]


def reading_arm_names() -> tuple[str, ...]:
    return tuple(e.name for e in ARMS if e.reading)


def arms_help() -> str:
    """'name (help); ...' of every arm, for CompareConfig's field help and `drift compare --help`."""
    return "; ".join(f"{e.name} ({e.help})" for e in ARMS)


def arms(cfg: CompareConfig) -> list[Arm]:
    """The configured arms in the config's (= the table's) order."""
    return [ARMS.get(name).resolve(cfg) for name in cfg.arms]


# -- the stock arms (docs/compare.md, "The arms") -----------------------------------------------------------
register(ArmEntry("reference", NO_DATA, UNTRAINED, None, "the reference policy, no training", "no training"))
register(ArmEntry("gold-sft", GOLD, WEIGHTED_SFT, lambda c: WeightsConfig(scheme="uniform", gamma=c.drift_gamma),
                  "single-turn SFT on question -> <answer>gold</answer> (offline SFT)",
                  "question -> `<answer>gold</answer>`, single turn"))
register(ArmEntry("uniform", ROLLOUT, WEIGHTED_SFT, lambda c: WeightsConfig(scheme="uniform", gamma=c.drift_gamma),
                  "SFT on every rollout trajectory, weight 1", "every rollout trajectory, weight 1"))
register(ArmEntry("rft", ROLLOUT, WEIGHTED_SFT, lambda c: WeightsConfig(scheme="rft", gamma=c.drift_gamma),
                  "SFT on solved trajectories only (weight 1 if solved else 0)", "solved trajectories only"))
register(ArmEntry("drift", ROLLOUT, WEIGHTED_SFT,
                  lambda c: WeightsConfig(scheme="drift", gamma=c.drift_gamma, beta=c.drift_beta),
                  "exp(R/beta) per prompt, gamma {cfg.drift_gamma}, beta {cfg.drift_beta} (the reference)",
                  "reference gamma/beta", reading=True))
register(ArmEntry("drift-ext", ROLLOUT, WEIGHTED_SFT,
                  lambda c: WeightsConfig(scheme="drift-ext", gamma=c.drift_gamma, beta=c.ext_beta,
                                          target_ess=c.ext_target_ess, all_fail_zero=c.ext_all_fail_zero),
                  "drift with all_fail_zero={cfg.ext_all_fail_zero}, beta {cfg.ext_beta} "
                  "(ESS/n target {cfg.ext_target_ess})",
                  "all-fail handling, beta auto", reading=True))
# Not in the default list: each round after the first is a rollout of its own, from the last round's model.
for _k in (2, 3):
    register(ArmEntry(f"drift-r{_k}", ROLLOUT, WEIGHTED_SFT,
                      lambda c: WeightsConfig(scheme="drift", gamma=c.drift_gamma, beta=c.drift_beta),
                      f"iterative DRIFT, {_k} rounds: round k samples from round k-1's model, weights as the drift "
                      "arm and trains from it for max_steps (its cost counts every round)",
                      f"drift, {_k} rounds, not default", reading=True, default=False, rounds=_k))
# Not in the default list: online sampling every step costs far more than the offline arms at default size.
register(ArmEntry("online-grpo", NO_DATA, ONLINE_GRPO, None,
                  "online multi-turn GRPO on TRL from the reference (the grpo section; reward = the return R)",
                  "online GRPO, not default", default=False))


# -- one arm x seed ----------------------------------------------------------------------------------------
def budget(train: TrainConfig, max_steps: int, seed: int) -> TrainConfig:
    """The train config of one arm x seed: every trained arm gets the same optimizer steps (and batch)."""
    return train.model_copy(update={"max_steps": max_steps, "seed": seed})


def sampled_eval(cfg: EvalConfig, temperature: float, seed: int) -> EvalConfig:
    """The T>0 evaluation beside greedy decoding, seeded by the arm's seed."""
    return cfg.model_copy(update={"temperature": temperature, "seed": seed})
