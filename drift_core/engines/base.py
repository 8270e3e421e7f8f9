"""The rollout engine interface: rendered prompts in, sampled completions out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class Sampling:
    """Sampling settings of one generate call. temperature 0 means greedy."""

    n: int = 1
    temperature: float = 1.0
    top_p: float = 1.0
    max_new_tokens: int = 512
    seed: int = 0


@dataclass(frozen=True)
class Completion:
    text: str  # decoded continuation, special tokens removed
    num_tokens: int  # generated tokens, eos included when it was produced


class Engine(ABC):
    """A loaded model that continues rendered prompts. Engines never see messages or rewards."""

    name: str = "engine"
    model_path: str = ""

    @abstractmethod
    def generate(self, prompts: list[str], sampling: Sampling) -> list[list[Completion]]:
        """For each prompt, `sampling.n` completions, in prompt order."""

    def close(self) -> None:  # noqa: B027 - optional hook, engines without resources keep it
        """Free the model (GPU memory, worker processes)."""
