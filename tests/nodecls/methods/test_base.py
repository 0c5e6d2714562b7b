"""Tests of imbgraph.nodecls.methods.base: the class-weighted cross-entropy by hand, the
Batch, the BalancedModel contract (no loss, no pre-training by default; forward is the
GNN's), and that a strategy with no synthetic node to add gives the plain loss."""

from __future__ import annotations

import math

import pytest
import torch

from imbgraph.nodecls.methods.base import LOSSES, BalancedModel, weighted_ce
from imbgraph.nodecls.methods.embed_smote import EmbedSMOTE
from imbgraph.nodecls.methods.oversampling import OverSampling, RawSMOTE
from imbgraph.nodecls.methods.plain import Plain
from imbgraph.testing.node_toy import (
    TRAIN,
    make_batch,
    make_gnn,
)


def test_weighted_ce_by_hand():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    target = torch.tensor([0, 1, 1])
    nll = [math.log(1 + math.exp(-2)), math.log(1 + math.exp(-1)), math.log(2)]
    assert weighted_ce(logits, target, None).item() == pytest.approx(sum(nll) / 3, rel=1e-6)
    w = torch.tensor([1.0, 3.0])  # mean over the weights: (1 a + 3 b + 3 c) / 7
    want = (nll[0] + 3 * nll[1] + 3 * nll[2]) / 7
    assert weighted_ce(logits, target, w).item() == pytest.approx(want, rel=1e-6)
    assert LOSSES == {"ce": weighted_ce}


def test_batch_num_nodes():
    assert make_batch().num_nodes == 9


def test_base_class_contract():
    gnn = make_gnn()
    base = BalancedModel(gnn)
    with pytest.raises(NotImplementedError):
        base.loss(make_batch())
    with pytest.raises(NotImplementedError, match="Plain has no pre-training"):
        Plain(gnn).pretrain_loss(make_batch())
    assert base.pretrain_epochs == 0 and base.pretrain_parameters() == []
    b = make_batch()
    torch.testing.assert_close(base(b.x, b.adj), gnn(b.x, b.adj))  # forward is the GNN's


def test_reset_parameters_resets_the_gnn():
    model = Plain(make_gnn())
    before = [p.detach().clone() for p in model.parameters()]
    torch.manual_seed(0)
    model.reset_parameters()
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters()))


@pytest.mark.parametrize("cls", [OverSampling, RawSMOTE, EmbedSMOTE])
@pytest.mark.parametrize("new, train", [
    ([0, 0, 0], TRAIN),              # nothing to add
    ([0, 0, 4], [0, 1, 2, 3, 4, 5]),  # class 2 has no training node: nothing to copy
])
def test_no_synthetic_nodes_is_the_plain_loss(cls, new, train):
    gnn = make_gnn()
    b = make_batch(new=new, train=train, weight=torch.tensor([1.0, 2.0, 3.0]))
    torch.testing.assert_close(cls(gnn).loss(b), Plain(gnn).loss(b))
