"""Tests of imbgraph.graphcls.methods.pretrained: the head on fixed embeddings (its batches
are graph ids), a cached pre-training used as given and checked for its shape, and the
pre-training's loss and time reported in the run's summary. (Cached equals inline:
tests/graphcls/test_pretrain.py.)"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from imbgraph.graphcls.methods.pretrained import EmbeddingHead, build


def test_head_reads_rows_of_the_embeddings():
    emb = torch.randn(5, 4, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([0, 1, 1, 0, 1])
    head = EmbeddingHead(emb, y, 2, None, head_dropout=0.0).eval()
    ids = torch.tensor([4, 0])
    torch.testing.assert_close(head.log_proba(ids), F.log_softmax(head.head(emb[ids]), dim=1))
    assert head.labels(ids).tolist() == [1, 0]
    assert head.loss(ids).item() == pytest.approx(F.nll_loss(head.log_proba(ids), y[ids]).item())
    before = head.head.lin1.weight.detach().clone()
    head.reset_parameters()
    assert not torch.equal(before, head.head.lin1.weight)


def test_cached_pretraining_is_used_and_summarised(make_inputs, tiny):
    emb = np.random.default_rng(0).normal(size=(tiny.num_graphs, 6)).astype(np.float32)
    summary = {"pretrain_loss": [1.0, 0.5], "pretrain_seconds": 2.5, "seconds": 3.0}
    head, batcher = build(make_inputs("infograph", cached={"pretrain": (emb, summary)}))
    assert head.head.lin1.in_features == 6 and np.array_equal(head.emb.numpy(), emb)
    assert batcher(np.array([2, 7])).tolist() == [2, 7]
    assert head.summary() == {"pretrain_cached": True, "pretrain_loss": [1.0, 0.5],
                              "pretrain_seconds": 2.5}
    with pytest.raises(ValueError, match=r"embeddings of shape \(3, 6\)"):
        build(make_inputs("infograph", cached={"pretrain": (emb[:3], summary)}))


def test_without_a_cache_it_pretrains(make_inputs):
    head, _ = build(make_inputs("graphcl", {"pretrain": {"epochs": 1, "batch_size": 32}}))
    s = head.summary()
    assert s["pretrain_cached"] is False and len(s["pretrain_loss"]) == 1
    assert head.emb.shape[1] == 8  # the model's hidden width
