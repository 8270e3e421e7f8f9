"""Prompt sources, the arithmetic generator, and loaded prompt sets."""

from drift_core.prompts.prompt_set import PromptSet, load_prompt_set, prompts_from_spec
from drift_core.prompts.sources import load_prompts

__all__ = ["PromptSet", "load_prompt_set", "load_prompts", "prompts_from_spec"]
