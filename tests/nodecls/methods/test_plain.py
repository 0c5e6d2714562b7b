"""Tests of imbgraph.nodecls.methods.plain: the loss is the criterion over the training
nodes (against a loop), and the criterion receives the class weights."""

from __future__ import annotations

import pytest
import torch

from imbgraph.nodecls.methods.plain import Plain
from imbgraph.testing.node_toy import (
    TRAIN,
    Y,
    make_batch,
    make_gnn,
    reference_ce,
)


def test_plain_loss_by_hand():
    gnn = make_gnn()
    b = make_batch(weight=torch.tensor([1.0, 2.0, 0.5]))
    logits = gnn(b.x, b.adj)
    got = Plain(gnn).loss(b).item()
    assert got == pytest.approx(reference_ce(logits[b.train], b.y[b.train], [1.0, 2.0, 0.5]),
                                rel=1e-5)


def test_criterion_receives_the_class_weights():
    seen = []

    def crit(logits, target, weight):
        seen.append((logits.shape[0], target.tolist(), weight))
        return logits.sum() * 0

    w = torch.tensor([1.0, 2.0, 3.0])
    Plain(make_gnn(), crit).loss(make_batch(weight=w))
    assert seen[0][0] == 7 and seen[0][1] == [Y[i] for i in TRAIN] and seen[0][2] is w
