"""The weighted loss (docs/design.md §1) on the tiny random model: formulas, zero weights, packing."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModelForCausalLM

from drift_core.train.collators import PackingCollator, PaddingCollator
from drift_core.train.data import Sample
from drift_core.train.trainer import batch_loss

# three samples of different lengths (prompt ids, target ids) in the model's vocabulary
SAMPLES = [
    Sample([3, 17, 40, 41, 42, 9], [50, 51, 52, 1], 2.0),
    Sample([3, 18, 60], [61, 1], 0.5),
    Sample([3, 19, 70, 71, 72, 73, 74, 75], [76, 77, 78, 79, 1], 1.0),
]


def load(path, impl="sdpa"):
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(path, attn_implementation=impl)
    return model.train(False)  # no dropout: losses must be comparable bit for bit


def nll_alone(model, s: Sample) -> torch.Tensor:
    """Mean NLL of one sample's target tokens, the sample alone in its batch (no padding)."""
    batch = PaddingCollator(0)([Sample(s.prompt_ids, s.target_ids, 1.0)])
    return batch_loss(model, batch, "mean")[0]


def test_mean_and_weight_sum_follow_the_formula(random_model_dir):
    model = load(random_model_dir)
    with torch.no_grad():
        nll = [nll_alone(model, s).item() for s in SAMPLES]
        batch = PaddingCollator(0)(SAMPLES)
        mean = batch_loss(model, batch, "mean")[0].item()
        wsum = batch_loss(model, batch, "weight_sum")[0].item()
    w = [s.weight for s in SAMPLES]
    # mean: sum_i w_i nll_i / S ; weight_sum: sum_i w_i nll_i / sum_i w_i  (S = 3, sum w = 3.5)
    assert mean == pytest.approx(sum(a * b for a, b in zip(w, nll, strict=True)) / 3, rel=1e-5)
    assert wsum == pytest.approx(sum(a * b for a, b in zip(w, nll, strict=True)) / 3.5, rel=1e-5)
    assert wsum == pytest.approx(mean * 3 / 3.5, rel=1e-5)


def test_zero_weight_sample_gives_no_gradient(random_model_dir):
    model = load(random_model_dir)

    def grads(samples, normalize):
        model.zero_grad()
        batch_loss(model, PaddingCollator(0)(samples), normalize)[0].backward()
        return [p.grad.clone() for p in model.parameters()]

    a, b = SAMPLES[0], SAMPLES[2]
    zero_b = Sample(b.prompt_ids, b.target_ids, 0.0)
    # weight_sum: (w_a nll_a + 0 * nll_b) / w_a == nll_a, so the gradient is that of a alone
    with_zero = grads([a, zero_b], "weight_sum")
    alone = grads([Sample(a.prompt_ids, a.target_ids, 1.0)], "mean")
    for g1, g2 in zip(with_zero, alone, strict=True):
        torch.testing.assert_close(g1, g2, atol=1e-6, rtol=1e-5)
    only_zero = grads([zero_b], "mean")
    assert all(float(g.abs().max()) == 0.0 for g in only_zero)


@pytest.mark.parametrize("impl", ["sdpa", "eager"])
@pytest.mark.parametrize("normalize", ["mean", "weight_sum"])
def test_packed_loss_equals_unpacked_loss(random_model_dir, impl, normalize):
    model = load(random_model_dir, impl)
    with torch.no_grad():
        padded = batch_loss(model, PaddingCollator(0)(SAMPLES), normalize)[0]
        packed = batch_loss(model, PackingCollator()([SAMPLES[:2], SAMPLES[2:]]), normalize)[0]
    assert abs(packed.item() - padded.item()) < 1e-5


def test_packing_without_isolation_would_differ(random_model_dir):
    """Guard for the test above: a plain causal mask over the packed row changes the loss."""
    model = load(random_model_dir)
    with torch.no_grad():
        batch = PackingCollator()([SAMPLES])
        isolated = batch_loss(model, batch, "mean")[0]
        leaky = dict(batch)
        t = batch["input_ids"].shape[1]
        leaky["attention_mask"] = torch.ones((t, t), dtype=torch.bool).tril()[None, None]  # [1, 1, T, T]
        leaking = batch_loss(model, leaky, "mean")[0]
    assert abs(leaking.item() - isolated.item()) > 1e-4
