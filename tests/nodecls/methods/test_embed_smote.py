"""Tests of imbgraph.nodecls.methods.embed_smote: the head sees the last convolution's rows
plus synthetic rows on the segment to the nearest same-class training node, the loss
weighs them, and they stay differentiable in the encoder."""

from __future__ import annotations

import pytest
import torch

from imbgraph.nodecls.methods.embed_smote import EmbedSMOTE
from imbgraph.testing.node_toy import (
    BASES,
    LABELS,
    TRAIN,
    Spy,
    Y,
    make_batch,
    make_gnn,
    nearest_loop,
    reference_ce,
    segment_weight,
)


def test_embed_smote_interpolates_the_last_convolution():
    torch.manual_seed(1)
    weight = torch.tensor([1.0, 3.0, 2.0])
    b = make_batch(weight=weight)
    model = EmbedSMOTE(make_gnn(seed=2))
    head = Spy(model.gnn.lin)
    loss = model.loss(b)
    (rows,) = head.args
    assert rows.shape == (14, 5)
    with torch.no_grad():
        h = model.gnn.embed(model.gnn.encode(b.x, b.adj), b.adj)
    torch.testing.assert_close(rows[:9], h)
    hs = h.numpy()
    near = {**nearest_loop(hs, [3, 4, 5]), 6: 6}
    for j, base in enumerate(BASES):
        d = segment_weight(rows[9 + j].detach().numpy(), hs[base], hs[near[base]])
        assert 0.0 <= d < 1.0
    target = torch.tensor([Y[i] for i in TRAIN] + LABELS)
    nodes = TRAIN + list(range(9, 14))
    assert loss.item() == pytest.approx(reference_ce(head.out[nodes], target, weight), rel=1e-5)
    loss.backward()  # the synthetic rows stay differentiable in the encoder
    assert all(p.grad is not None and torch.isfinite(p.grad).all()
               for p in model.gnn.encoder.parameters())
