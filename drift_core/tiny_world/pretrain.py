"""Pre-training the tiny reference policy: a standard LlamaForCausalLM, loss on assistant tokens only."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import torch

from drift_core.config.protocol import ProtocolConfig
from drift_core.config.tiny_world import TinyWorldConfig
from drift_core.episode import prefill_text
from drift_core.progress import bar as progress_bar
from drift_core.tiny_world.dialogues import Dialogue, synth_for, world_protocol
from drift_core.tiny_world.tokenizer import EOS

IGNORE = -100  # label of tokens without loss (prompt, feedback, padding)


class DialogueEncoder:
    """Token ids + labels of a dialogue, exactly as the chat template renders the episode.

    The pieces below are the template (tokenizer.CHAT_TEMPLATE) written out; every piece boundary is an
    added token, so encoding piece by piece equals encoding the rendered text (a test checks it).
    """

    def __init__(self, tokenizer, protocol: ProtocolConfig | None = None):
        self.tok = tokenizer
        self.p = protocol or ProtocolConfig()
        self._cache: dict[str, list[int]] = {}
        self.prefill = prefill_text(self.p)
        self.feedback = self.ids(f"<|user|>{self.p.feedback_incorrect}{EOS}<|assistant|>{self.prefill}")

    def ids(self, text: str) -> list[int]:
        got = self._cache.get(text)
        if got is None:
            got = self._cache[text] = self.tok(text, add_special_tokens=False).input_ids
        return got

    def prompt(self, question: str) -> list[int]:
        from drift_core.episode import initial_messages

        sys_msg, user = initial_messages(question, self.p)
        return self.ids(
            f"<|system|>{sys_msg['content']}{EOS}<|user|>{user['content']}{EOS}<|assistant|>{self.prefill}"
        )

    def encode(self, d: Dialogue) -> tuple[list[int], list[int]]:
        """(input_ids, labels): labels copy the ids on generated tokens (answer, tag, eos), else IGNORE."""
        ids = list(self.prompt(d.question))
        labels = [IGNORE] * len(ids)
        for t, gen in enumerate(d.generated):
            if t:
                ids += self.feedback
                labels += [IGNORE] * len(self.feedback)
            target = self.ids(gen + EOS)
            ids += target
            labels += target
        return ids, labels


def build_model(cfg: TinyWorldConfig, tokenizer):
    return chat_llama(tokenizer, hidden=cfg.hidden_size, intermediate=cfg.intermediate_size,
                      layers=cfg.num_layers, heads=cfg.num_heads, seed=cfg.seed)


def chat_llama(tokenizer, *, hidden: int, intermediate: int, layers: int, heads: int, seed: int):
    """A randomly initialised Llama for `tokenizer`'s chat format (tied embeddings, eos = end of turn,
    no bos). Also the random test model's (drift_core.testing.random_model)."""
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    mcfg = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        intermediate_size=intermediate,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=1024,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=None,
    )
    model = LlamaForCausalLM(mcfg)
    model.generation_config = GenerationConfig(
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id
    )
    return model


def _batch(rows: list[tuple[list[int], list[int]]], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-padded [batch, max_len] tensors (one dialogue per row; the reference for `_pack`)."""
    width = max(len(ids) for ids, _ in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, (x, y) in enumerate(rows):
        ids[i, : len(x)] = torch.tensor(x)
        labels[i, : len(y)] = torch.tensor(y)
        mask[i, : len(x)] = 1
    return {"input_ids": ids, "labels": labels, "attention_mask": mask}


def _pack(rows: list[tuple[list[int], list[int]]], pad_id: int, width: int = 128) -> dict[str, torch.Tensor]:
    """Dialogues packed first-fit into [n_rows, width] rows; position_ids restart at 0 per dialogue.

    Why: dialogues are 17-61 tokens, so padding each to the longest wasted about half of every step.
    With position_ids and no attention_mask, transformers builds a block-diagonal causal mask (each
    dialogue sees only itself) and the loss equals `_batch`'s (a test checks it); call the model with
    use_cache=False, or the packed mask is not used. A dialogue's first token never has a label, so no
    loss crosses a boundary. The padding tail is a segment of its own, without labels.
    """
    width = max(width, max(len(ids) for ids, _ in rows))
    bins: list[list[int]] = []  # row -> indices of its dialogues
    used: list[int] = []  # row -> tokens used
    for k, (x, _) in enumerate(rows):
        for r in range(len(bins)):
            if used[r] + len(x) <= width:
                bins[r].append(k)
                used[r] += len(x)
                break
        else:
            bins.append([k])
            used.append(len(x))
    ids = torch.full((len(bins), width), pad_id, dtype=torch.long)
    labels = torch.full((len(bins), width), IGNORE, dtype=torch.long)
    pos = torch.zeros((len(bins), width), dtype=torch.long)
    for r, members in enumerate(bins):
        off = 0
        for k in members:
            x, y = rows[k]
            ids[r, off : off + len(x)] = torch.tensor(x)
            labels[r, off : off + len(y)] = torch.tensor(y)
            pos[r, off : off + len(x)] = torch.arange(len(x))
            off += len(x)
        pos[r, off:] = torch.arange(width - off)
    return {"input_ids": ids, "labels": labels, "position_ids": pos}


def _lr_at(step: int, cfg: TinyWorldConfig) -> float:
    """Linear warm-up, then cosine from lr down to lr/10."""
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    frac = (step - cfg.warmup_steps) / max(cfg.steps - cfg.warmup_steps, 1)
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))


def pretrain(
    model,
    tokenizer,
    pools: dict[int, list[dict]],
    cfg: TinyWorldConfig,
    progress: bool = True,
    on_step: Callable[[int, object], None] | None = None,
    hidden: list[dict] | None = None,
) -> list[float]:
    """Train `model` in place on dialogues drawn from `pools` (level -> problems); returns the loss curve.

    `on_step(step, model)` runs after every step (step counts from 1).
    Curriculum: the first `clean_share` of steps draw clean single-turn dialogues from `clean_levels`;
    the rest draw the imperfect mixture from `level_weights`, and (choice world) `hidden_pretrain_share` of
    them a hidden-option item from `hidden`, whose dialogue the world's synth writes too (the choice world's:
    dialogues.synth_hidden_dialogue). Without hidden items the draws are those of a world without them (no
    extra random numbers).
    """
    rng = random.Random(cfg.seed + 1)
    enc = DialogueEncoder(tokenizer, world_protocol(cfg.task))
    synth = synth_for(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, betas=(0.9, 0.98))
    clean_steps = int(cfg.steps * cfg.clean_share)
    main_levels = sorted(cfg.level_weights)
    main_weights = [cfg.level_weights[lv] for lv in main_levels]
    hidden_share = cfg.hidden_pretrain_share if hidden else 0.0
    losses: list[float] = []
    model.train()
    bar = progress_bar(cfg.steps, "pre-training", unit="step", enabled=progress)
    for step in range(cfg.steps):
        clean = step < clean_steps
        rows = []
        for _ in range(cfg.batch_size):
            if not clean and hidden_share and rng.random() < hidden_share:
                rows.append(enc.encode(synth(rng.choice(hidden), rng, cfg)))
                continue
            level = rng.choice(cfg.clean_levels) if clean else rng.choices(main_levels, main_weights)[0]
            problem = rng.choice(pools[level])
            rows.append(enc.encode(synth(problem, rng, cfg, clean=clean)))
        for group in opt.param_groups:
            group["lr"] = _lr_at(step, cfg)
        loss = model(**_pack(rows, tokenizer.pad_token_id), use_cache=False).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
        shown = {"loss": sum(losses[-20:]) / len(losses[-20:])} if step % 20 == 0 else {}
        bar.update(1, **shown)
        if on_step is not None:
            on_step(step + 1, model)  # e.g. a learning-curve probe; it must restore model.train()
    bar.close()
    model.eval()
    return losses
