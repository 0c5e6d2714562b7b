"""Tests of imbgraph.graphcls.methods.supervised: G2GNN's consistency term by hand, the
views (the batch itself without augmentation; the table's defaults filled in), the loss of
one view is the class-weighted NLL, and build reads the kind's params."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from imbgraph.graphcls.methods.supervised import Views, build, consistency_loss


def test_consistency_loss_by_hand():
    p1 = torch.tensor([[0.8, 0.2]]).log()
    p2 = torch.tensor([[0.6, 0.4]]).log()
    avg = torch.tensor([0.7, 0.3])
    sharp = avg ** 2 / (avg ** 2).sum()  # temp 0.5
    want = (((torch.tensor([0.8, 0.2]) - sharp) ** 2).sum()
            + ((torch.tensor([0.6, 0.4]) - sharp) ** 2).sum()) / 2
    torch.testing.assert_close(consistency_loss([p1, p2], 0.5), want)


def test_views(tiny):
    b = tiny.batch(np.arange(6))
    assert Views(None)(b) == [(b.x, b.edge_index)]
    views = Views({"name": "remove_edge"})
    assert views.cfg == {"name": "remove_edge", "ratio": 0.1, "views": 2, "temp": 0.5,
                         "consistency": 1.0}
    out = views(b)
    assert len(out) == 2 and all(ei.shape[1] <= b.edge_index.shape[1] for _, ei in out)
    with pytest.raises(ValueError, match="augment name = 'flip'"):
        Views({"name": "flip"})


def test_one_view_loss_is_the_weighted_nll(make_inputs):
    weight = torch.tensor([1.0, 3.0])
    torch.manual_seed(0)
    learner, batcher = build(make_inputs("supervised", {"head_dropout": 0.0}, weight=weight))
    b = batcher(np.arange(10))
    learner.eval()
    want = F.nll_loss(learner.log_proba(b), b.y, weight=weight)
    torch.testing.assert_close(learner.loss(b), want)
    assert learner.head.dropout == 0.0 and learner.consistency == 1.0


def test_views_add_the_consistency_term(make_inputs):
    aug = {"augment": {"name": "mask_node", "ratio": 0.5, "views": 3, "consistency": 0.0}}
    torch.manual_seed(0)
    learner, batcher = build(make_inputs("supervised", aug))
    assert learner.temp == 0.5 and learner.consistency == 0.0 and len(learner.views(
        batcher(np.arange(4)))) == 3
