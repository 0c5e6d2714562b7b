"""Tests of imbgraph.nodecls.methods.ecgn.cb_sampling: class-balanced node sampling (class
first, then node) against its definition (PyG's ImbalancedSampler weighs node v by
1 / n_{y_v}: the same distribution once normalised; importing its loader costs seconds, so the hand-computed case
stands in); the CB-Sampling strategy, and its run through the shared job (class weights and
draws per step reach the loss)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imbgraph.losses import inverse_frequency_weights
from imbgraph.nodecls.adjacency import Adjacency
from imbgraph.nodecls.job import run_method
from imbgraph.nodecls.methods.base import LOSSES, Batch, weighted_ce
from imbgraph.nodecls.methods.ecgn.cb_sampling import (
    CBSampling,
    class_balanced_sample,
    class_balanced_weights,
)
from imbgraph.nodecls.models import GNN


def test_weights_by_hand():
    labels = torch.tensor([0, 0, 0, 1, 2, 2])
    w = class_balanced_weights(labels, 4)  # class 3 absent: three classes share the mass
    np.testing.assert_allclose(w.numpy(), [1 / 9, 1 / 9, 1 / 9, 1 / 3, 1 / 6, 1 / 6])
    assert w.sum().item() == pytest.approx(1.0)


def test_draws_are_class_balanced_and_seeded():
    labels = torch.tensor([0] * 90 + [1] * 9 + [2] * 1)
    gen = torch.Generator().manual_seed(0)
    pos = class_balanced_sample(labels, 3, 30000, generator=gen)
    freq = torch.bincount(labels[pos], minlength=3).double() / 30000
    np.testing.assert_allclose(freq.numpy(), [1 / 3] * 3, atol=0.015)
    again = class_balanced_sample(labels, 3, 30000, generator=torch.Generator().manual_seed(0))
    assert torch.equal(pos, again)


def test_empty_labels_raise():
    with pytest.raises(ValueError, match="at least one labelled node"):
        class_balanced_sample(torch.zeros(0, dtype=torch.long), 2, 5)


def test_cb_sampling_loss_uses_only_training_nodes():
    torch.manual_seed(0)
    n = 6
    x = torch.randn(n, 3)
    ei = torch.tensor([[0, 1, 1, 2, 3, 4], [1, 0, 2, 1, 4, 3]])
    y = torch.tensor([0, 0, 0, 1, 1, 1])
    train = torch.tensor([0, 1, 3])
    batch = Batch(x=x, adj=Adjacency.from_edge_index(ei, n), y=y, train=train,
                  new_per_class=torch.zeros(2, dtype=torch.long), class_weight=None,
                  edge_index=ei)
    model = CBSampling(GNN(3, 2, hidden=4, dropout=0.0), num_samples=7)
    loss = model.loss(batch)
    assert loss.ndim == 0 and torch.isfinite(loss)
    loss.backward()
    with pytest.raises(ValueError, match="num_samples"):
        CBSampling(GNN(3, 2, hidden=4), num_samples=0)


def test_cb_sampling_passes_class_weights_and_samples(tiny_graph, tiny_split, make_method,
                                                     monkeypatch):
    seen = []

    def spy(logits, target, weight):
        seen.append((target.shape[0], weight))
        return weighted_ce(logits, target, weight)

    monkeypatch.setitem(LOSSES, "spy", spy)
    m = make_method({"name": "cb_sampling", "num_samples": 13}, weights="inverse",
                    max_epochs=2, patience=4)
    m["loss"]["name"] = "spy"
    metrics, summary = run_method(tiny_graph, tiny_split, m, seed=0, device="cpu")
    assert len(seen) == summary["epochs"] == 2 and {n for n, _ in seen} == {13}
    counts = np.bincount(tiny_graph.y[tiny_split.train], minlength=tiny_graph.num_classes)
    for _, w in seen:
        np.testing.assert_allclose(w.numpy(), inverse_frequency_weights(counts), rtol=1e-6)
    assert summary["synthetic_per_step"] == 0 and metrics["train_size"] == 30
    with pytest.raises(ValueError, match="num_samples = 0"):
        run_method(tiny_graph, tiny_split, make_method({"name": "cb_sampling", "num_samples": 0}),
                   seed=0, device="cpu")
