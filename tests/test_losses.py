"""Tests of imbgraph.losses: CE, class-balanced CE and focal loss, and the per-class weights
(inverse frequency, effective number), against hand computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from imbgraph.losses import (
    CLASS_WEIGHTS,
    cb_loss,
    ce_loss,
    class_weights,
    effective_number_weights,
    focal_loss,
    get_loss,
    inverse_frequency_weights,
)


def logits_targets(n=9, seed=0):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, 2, generator=g, dtype=torch.float64)
    target = torch.tensor([1, 0, 0, 1, 0, 0, 0, 1, 0][:n])
    return logits, target


def test_ce_equals_torch():
    logits, target = logits_targets()
    torch.testing.assert_close(ce_loss(logits, target), F.cross_entropy(logits, target))
    torch.testing.assert_close(get_loss("ce")(logits, target), F.cross_entropy(logits, target))


def test_cb_hand_computed():
    logits = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 1.0], [1.0, -1.0]], dtype=torch.float64)
    target = torch.tensor([0, 0, 1, 0])
    # per-sample CE = logsumexp - logit[target]
    ce = [math.log(2), math.log(1 + math.exp(-2)), math.log(1 + math.exp(-1)), math.log(1 + math.exp(-2))]
    neg = (ce[0] + ce[1] + ce[3]) / 3
    pos = ce[2]
    assert cb_loss(logits, target).item() == pytest.approx((neg + pos) / 2, rel=1e-12)
    # differs from plain CE (which weighs the three negatives 3:1)
    assert ce_loss(logits, target).item() == pytest.approx(sum(ce) / 4, rel=1e-12)


def test_cb_one_class_absent():
    logits, _ = logits_targets()
    target = torch.zeros(9, dtype=torch.long)
    torch.testing.assert_close(cb_loss(logits, target), F.cross_entropy(logits, target))
    target = torch.ones(9, dtype=torch.long)
    torch.testing.assert_close(cb_loss(logits, target), F.cross_entropy(logits, target))


def test_cb_equals_per_class_reference():
    logits, target = logits_targets()
    per = F.cross_entropy(logits, target, reduction="none")
    ref = (per[target == 0].mean() + per[target == 1].mean()) / 2
    torch.testing.assert_close(get_loss("cb")(logits, target), ref)


def test_focal_gamma_zero_is_alpha_weighted_ce():
    logits, target = logits_targets()
    per = F.cross_entropy(logits, target, reduction="none")
    w = torch.where(target == 1, 0.75, 0.25).double()
    torch.testing.assert_close(focal_loss(logits, target, gamma=0.0), (w * per).mean())
    torch.testing.assert_close(get_loss("focal", alpha=0.75, gamma=0.0)(logits, target), (w * per).mean())


def test_focal_hand_computed_two_samples():
    logits = torch.tensor([[0.0, math.log(3.0)], [0.0, 0.0]], dtype=torch.float64)
    target = torch.tensor([1, 0])
    # sample 0: p_t = 3/4, weight alpha = 0.75; sample 1: p_t = 1/2, weight 0.25
    l0 = -0.75 * (1 - 0.75) ** 2 * math.log(0.75)
    l1 = -0.25 * (1 - 0.5) ** 2 * math.log(0.5)
    assert focal_loss(logits, target).item() == pytest.approx((l0 + l1) / 2, rel=1e-12)
    assert focal_loss(logits, target, alpha=0.5, gamma=1.0).item() == pytest.approx(
        (-0.5 * 0.25 * math.log(0.75) - 0.5 * 0.5 * math.log(0.5)) / 2, rel=1e-12
    )


def test_focal_modulating_factor_detached():
    logits, target = logits_targets()
    a = logits.clone().requires_grad_(True)
    focal_loss(a, target, alpha=0.75, gamma=2.0).backward()
    # manual: the factor (1 - p_t)^2 is a constant, only log p_t is differentiated
    b = logits.clone().requires_grad_(True)
    logp = F.log_softmax(b, dim=1).gather(1, target[:, None]).squeeze(1)
    const = ((1 - logp.exp()) ** 2).detach()
    w = torch.where(target == 1, 0.75, 0.25).double()
    (-(w * const * logp).mean()).backward()
    torch.testing.assert_close(a.grad, b.grad)
    # and it is not the gradient of the fully differentiated focal loss
    c = logits.clone().requires_grad_(True)
    logp_c = F.log_softmax(c, dim=1).gather(1, target[:, None]).squeeze(1)
    (-(w * (1 - logp_c.exp()) ** 2 * logp_c).mean()).backward()
    assert not torch.allclose(a.grad, c.grad)


def test_get_loss_unknown():
    with pytest.raises(KeyError, match=r"loss = 'hinge'; expected one of \['cb', 'ce', 'focal'\]"):
        get_loss("hinge")


# --- per-class weights ---------------------------------------------------------------------


def test_inverse_frequency_hand_case():
    np.testing.assert_allclose(inverse_frequency_weights([30, 10]), [2 / 3, 2.0])
    # absent classes get no weight; each present class's total weight is n / C'
    w = inverse_frequency_weights([30, 0, 10])
    np.testing.assert_allclose(w, [2 / 3, 0.0, 2.0])
    np.testing.assert_allclose(w * np.array([30, 0, 10]), [20, 0, 20])


def test_effective_number_hand_case_and_limits():
    beta = 0.9
    raw = np.array([(1 - beta) / (1 - beta**30), (1 - beta) / (1 - beta**10)])
    np.testing.assert_allclose(effective_number_weights([30, 10], beta), raw * 2 / raw.sum())
    np.testing.assert_allclose(effective_number_weights([30, 10], 0.0), [1.0, 1.0])
    # beta -> 1 approaches inverse frequency (normalised to sum to C)
    near = effective_number_weights([30, 10], 0.999999)
    inv = inverse_frequency_weights([30, 10])
    np.testing.assert_allclose(near, inv * 2 / inv.sum(), rtol=1e-4)
    np.testing.assert_allclose(effective_number_weights([5, 0], 0.5), [1.0, 0.0])
    with pytest.raises(ValueError, match="beta"):
        effective_number_weights([1, 2], 1.0)


def test_class_weights_by_name():
    assert set(CLASS_WEIGHTS) == {"none", "inverse", "effective_number"}
    np.testing.assert_array_equal(class_weights("none", [3, 0, 1]), [1.0, 0.0, 1.0])
    np.testing.assert_allclose(class_weights("effective_number", [30, 10], beta=0.9),
                               effective_number_weights([30, 10], 0.9))
    with pytest.raises(KeyError, match="expected one of"):
        class_weights("focal", [1])
    with pytest.raises(ValueError, match="non-negative"):
        inverse_frequency_weights([-1, 2])
