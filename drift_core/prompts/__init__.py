"""Prompt sources and the arithmetic generator."""

from drift_core.prompts.sources import load_prompts

__all__ = ["load_prompts"]
