"""Tests of imbgraph.nodecls.methods.balanced_softmax: the adjusted logits by hand (logits +
log of the training class prior), the loss against a loop, log(n_c) and log(n_c / n) giving
the same loss (the public code's form), an empty class, and plain logits at inference."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from imbgraph.nodecls.methods.balanced_softmax import BalancedSoftmax, log_prior
from imbgraph.testing.node_toy import TRAIN, Y, make_batch, make_gnn, reference_ce


def test_log_prior_by_hand():
    # the toy's training nodes 0..6 have labels 0, 0, 0, 1, 1, 1, 2: counts 3, 3, 1 of 7
    counts = np.bincount([Y[i] for i in TRAIN], minlength=3)
    assert counts.tolist() == [3, 3, 1]
    torch.testing.assert_close(log_prior(counts),
                               torch.tensor([math.log(3 / 7), math.log(3 / 7), math.log(1 / 7)]))
    # an empty class counts as one node (log 0 would be minus infinity)
    torch.testing.assert_close(log_prior(np.array([4, 0])),
                               torch.tensor([math.log(4 / 5), math.log(1 / 5)]))


def test_adjusted_logits_and_loss_by_hand():
    seen = {}

    def crit(logits, target, weight):
        seen["logits"], seen["target"], seen["weight"] = logits, target, weight
        return torch.nn.functional.cross_entropy(logits, target, weight=weight)

    gnn = make_gnn()
    prior = log_prior(np.array([3, 3, 1]))
    w = torch.tensor([1.0, 2.0, 0.5])
    b = make_batch(weight=w)
    loss = BalancedSoftmax(gnn, crit, prior).loss(b)
    z = gnn(b.x, b.adj)[b.train]
    # node 6 (class 2, the rare one): its logits move by log(1/7) on class 2 and log(3/7)
    # on the others, so class 2 must win by log 3 more than plain cross-entropy asks
    want = z + torch.tensor([math.log(3 / 7), math.log(3 / 7), math.log(1 / 7)])
    torch.testing.assert_close(seen["logits"], want)
    assert seen["target"].tolist() == [Y[i] for i in TRAIN] and seen["weight"] is w
    assert loss.item() == pytest.approx(reference_ce(want, b.y[b.train], w.tolist()), rel=1e-5)
    # the public code adds log(n_c): the same loss (softmax ignores a common shift)
    counts = torch.log(torch.tensor([3.0, 3.0, 1.0]))
    assert loss.item() == pytest.approx(
        reference_ce(z + counts, b.y[b.train], w.tolist()), rel=1e-5)


def test_inference_uses_plain_logits():
    gnn = make_gnn()
    model = BalancedSoftmax(gnn, torch.nn.functional.cross_entropy,
                            log_prior(np.array([3, 3, 1])))
    b = make_batch()
    torch.testing.assert_close(model(b.x, b.adj), gnn(b.x, b.adj))
