"""Tests of imbgraph.graphcls.methods.datadec: the data diet keeps exactly the requested
fraction (the highest error scores plus the explored ones), InfoNCE and the error score by
hand, the views, settings checked at start-up, and a run that beats chance."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imbgraph.errors import ConfigError
from imbgraph.graphcls.job import prepare, run_method
from imbgraph.graphcls.methods.datadec import VIEWS, diet, error_scores, infonce, view

METHOD = {"label": "DataDec", "kind": "datadec", "model": {"name": "gin", "hidden": 16, "layers": 2},
          "balance": {"upsample": True},
          "train": {"epochs": 20, "patience": 20, "lr": 0.01, "batch_size": 16},
          "params": {"pretrain_epochs": 4, "pretrain_batch_size": 16}}


@pytest.mark.parametrize("n,keep,explore", [(20, 0.5, 0.1), (37, 0.3, 0.05), (10, 1.0, 0.0)])
def test_diet_keeps_exactly_the_fraction(n, keep, explore):
    rng = np.random.default_rng(0)
    ids = np.arange(100, 100 + n)
    scores = rng.permutation(n).astype(float)
    sampled, pool = diet(ids, scores, np.empty(0, np.int64), n, keep_fraction=keep,
                         explore_rate=explore, rng=rng)
    k, e = int(n * keep) - int(n * explore), int(n * explore)
    assert sampled.shape[0] == int(n * keep)
    assert set(sampled[:k]) == set(ids[np.argsort(-scores)[:k]])  # the highest scores
    assert np.array_equal(np.sort(np.concatenate([sampled, pool])), ids)  # nothing lost
    # the next epoch: the pool holds the rest, the same count again
    nxt, pool2 = diet(sampled, rng.random(sampled.shape[0]), pool, n, keep_fraction=keep,
                      explore_rate=explore, rng=rng)
    assert nxt.shape[0] == int(n * keep) and e == nxt.shape[0] - k
    assert np.array_equal(np.sort(np.concatenate([nxt, pool2])), ids)


def test_infonce_and_error_score_by_hand():
    a = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    b = torch.tensor([[1.0, 1.0], [0.0, 1.0]])
    c = 1 / np.sqrt(2)
    sim = np.array([[c, 0.0], [c, 1.0]]) / 0.5  # cosines / tau
    want = -np.mean([sim[i, i] - np.log(np.exp(sim[i]).sum()) for i in range(2)])
    assert float(infonce(a, b, 0.5)) == pytest.approx(want, rel=1e-6)
    sa = np.exp([[1.0, 0.0], [0.0, 2.0]])
    sa /= sa.sum(axis=1, keepdims=True)
    assert error_scores(a, b).tolist() == pytest.approx(np.abs(sa - b.numpy()).sum(axis=1).tolist())


def test_views(tiny):
    b = tiny.batch(np.arange(8))
    torch.manual_seed(0)
    x, ei = view(b, "node_dropping", 0.5)
    kept = torch.unique(ei)
    assert torch.equal(x, b.x) and ei.shape[1] < b.edge_index.shape[1] and kept.numel() < b.x.shape[0]
    x, _ = view(b, "feature_masking", 0.5)
    assert ((x == b.x) | (x == 0)).all()
    _, ei = view(b, "rw_sampling", 0.1, rw_seeds=3, rw_length=2)
    assert torch.unique(ei).numel() <= 9  # at most 3 walks x 3 nodes
    for name in VIEWS:
        view(b, name, 0.1)


def test_settings_checked():
    with pytest.raises(ConfigError, match="explore_rate = 0.6"):
        prepare({**METHOD, "params": {"explore_rate": 0.6}})
    with pytest.raises(ConfigError, match="keep_fraction = 0"):
        prepare({**METHOD, "params": {"keep_fraction": 0}})


def test_run_beats_chance(tiny_run):
    coll, pe, split = tiny_run
    metrics, summary = run_method(coll, pe, split, METHOD, seed=0, device="cpu", progress=False)
    assert metrics["balanced_acc"] > 0.7
    n = split.train.shape[0] - int(split.train.shape[0] * 0.3)
    assert summary["pretrain_graphs_per_epoch"][1:] == [int(n * 0.5)] * 3


def test_runs_under_the_other_protocols(run_under_other_protocol):
    run_under_other_protocol(METHOD)
