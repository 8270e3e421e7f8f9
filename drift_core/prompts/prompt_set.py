"""A loaded prompt set: its rows, the label evaluations record, and the protocol it is scored under.

A named multiple-choice benchmark (GPQA, MMLU-Redux, MMLU-Pro) asks for a letter, not a math answer:
its instruction travels with its rows, so every path that runs the set (rollout, `drift eval`,
`drift run`, `drift compare`) applies the same one through `PromptSet.protocol`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from drift_core.config.prompts import PromptsConfig
from drift_core.config.protocol import ProtocolConfig
from drift_core.errors import DriftError
from drift_core.prompts.sources import load_prompts
from drift_core.worlds import is_world_source, source_names, world_of_source


@dataclass
class PromptSet:
    rows: list[dict]  # prompts-table rows: prompt_id, split, question, gold, source, difficulty
    label: str  # the `dataset` of eval tables: gpqa, tiny-world-test, a file's stem, ...
    instruction: str | None = None  # the set's own task instruction; None: the protocol's
    verifier: str | None = None  # the set's own verifier (protocol.verifier); None: the protocol's

    def protocol(self, protocol: ProtocolConfig) -> ProtocolConfig:
        """The protocol to run this set under. The set's instruction and verifier replace the default ones
        only: what the user configured is kept."""
        default = ProtocolConfig()
        update: dict = {}
        if self.instruction and protocol.instruction == default.instruction:
            update["instruction"] = self.instruction
        if self.verifier and protocol.verifier == default.verifier:
            update["verifier"] = self.verifier
        return protocol.model_copy(update=update) if update else protocol


def load_prompt_set(cfg: PromptsConfig, workspace_root: str | Path | None = None) -> PromptSet:
    """Rows of the configured source, with its label and (named benchmarks) its instruction."""
    rows = load_prompts(cfg, workspace_root)
    instruction = verifier = None
    if is_world_source(cfg.source):  # the instruction and verifier its model was pre-trained with
        protocol = world_of_source(cfg.source).protocol()
        instruction, verifier = protocol.get("instruction"), protocol.get("verifier")
    if cfg.source == "benchmark":
        from drift_core.prompts.benchmarks import get_benchmark

        bench = get_benchmark(cfg.benchmark or "")
        label, instruction = bench.name, bench.instruction
    elif cfg.source == "file" and cfg.path:
        label = Path(cfg.path).stem
    elif cfg.source == "hf" and cfg.path:
        label = f"{Path(cfg.path).name}-{cfg.split}"
    else:
        label = f"{cfg.source}-{cfg.split}"
    return PromptSet(rows=rows, label=label, instruction=instruction, verifier=verifier)


def prompts_from_spec(base: PromptsConfig, spec: str, local_copy: str | None = None) -> PromptsConfig:
    """`drift eval --prompts SPEC`: a named set, a tiny world's source name[:split] (tiny-world, tiny-world-choice,
    ...: drift_core/worlds), or a JSONL/Parquet file -> a config."""
    from drift_core.prompts.benchmarks import ALIASES, BENCHMARKS, get_benchmark

    if spec.lower() in BENCHMARKS or spec.lower() in ALIASES:
        bench = get_benchmark(spec)
        return base.model_copy(update={"source": "benchmark", "benchmark": bench.name, "path": local_copy,
                                       "split": bench.split})
    name, _, split = spec.partition(":")
    if is_world_source(name):
        return base.model_copy(update={"source": name, "split": split or "test"})
    if Path(spec).is_file():
        return base.model_copy(update={"source": "file", "path": spec})
    raise DriftError(
        f"--prompts '{spec}' is neither a named set ({', '.join(sorted(BENCHMARKS))}), a tiny world "
        f"({' | '.join(source_names())})[:split] (split: train, validation, test), nor an existing file"
    )
