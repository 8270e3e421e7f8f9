"""A scripted engine for tests: predetermined completions, every call recorded.

    engine = ScriptedEngine([["5</answer>"], ["4</answer>"]])   # call 1, then call 2; one prompt each
    engine = ScriptedEngine(lambda prompt, sampling: "4</answer>" if "2 + 2" in prompt else "x")
    run_episodes(engine, PlainChatTemplate(), problems, protocol, ...)
    engine.calls[1].sampling.seed, engine.calls[1].prompts

With the '<answer>' prefill the loop renders, a completion is what the model writes after it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from drift_core.engines.base import Completion, Engine, Sampling

# What one prompt gets: one text (repeated sampling.n times) or exactly sampling.n texts.
Reply = str | Sequence[str]


@dataclass(frozen=True)
class Call:
    prompts: list[str]
    sampling: Sampling


class ScriptedEngine(Engine):
    """Returns the scripted completions and records the prompts and Sampling of every generate call.

    `script` is either a sequence with one entry per generate call, each a list with one Reply per
    prompt, or a function (prompt, sampling) -> Reply asked for every prompt. `num_tokens` of a
    completion is `count_tokens(text)` (default: its length in characters)."""

    name = "scripted"

    def __init__(
        self,
        script: Sequence[Sequence[Reply]] | Callable[[str, Sampling], Reply],
        *,
        count_tokens: Callable[[str], int] = len,
        model_path: str = "scripted",
    ):
        self.script = script
        self.count_tokens = count_tokens
        self.model_path = model_path
        self.calls: list[Call] = []
        self.closed = False

    def generate(self, prompts: list[str], sampling: Sampling) -> list[list[Completion]]:
        index = len(self.calls)
        self.calls.append(Call(list(prompts), sampling))
        if callable(self.script):
            replies = [self.script(p, sampling) for p in prompts]
        else:
            if index >= len(self.script):
                raise AssertionError(f"generate call {index + 1} is not scripted (script has {len(self.script)})")
            replies = list(self.script[index])
            if len(replies) != len(prompts):
                raise AssertionError(f"call {index + 1}: {len(prompts)} prompts, script has {len(replies)} replies")
        return [self._completions(r, sampling.n, i) for i, r in enumerate(replies)]

    def _completions(self, reply: Reply, n: int, i: int) -> list[Completion]:
        texts = [reply] * n if isinstance(reply, str) else list(reply)
        if len(texts) != n:
            raise AssertionError(f"prompt {i}: {n} samples asked, {len(texts)} scripted")
        return [Completion(text=t, num_tokens=self.count_tokens(t)) for t in texts]

    @property
    def seeds(self) -> list[int]:
        """The Sampling seed of every call, in call order."""
        return [c.sampling.seed for c in self.calls]

    def close(self) -> None:
        self.closed = True


class PlainChatTemplate:
    """A tokenizer stand-in for `drift_core.chat.render`: '<|role|>\\ncontent\\n' per message, then
    '<|assistant|>\\n' as the generation prompt, so tests can write the rendered prompt by hand."""

    def apply_chat_template(self, messages, tokenize: bool = False, add_generation_prompt: bool = True) -> str:
        assert not tokenize, "PlainChatTemplate renders text only"
        text = "".join(f"<|{m['role']}|>\n{m['content']}\n" for m in messages)
        return text + ("<|assistant|>\n" if add_generation_prompt else "")
