"""Tests of imbgraph.graphcls.train: the batching helpers by hand (plain chunks, the
single-graph drop, the attention budget, size buckets of a pool), batched prediction in the
caller's order, and :func:`fit` with a logistic-regression learner on fixed per-graph
features: hand values when the optimiser cannot move (lr = 0: every epoch's training loss is
the NLL of the graphs it saw, the validation loss never improves, so it stops after
``patience`` epochs at epoch 0), the best epoch's weights restored, weighted validation
NLL, frozen parameters, size buckets, seeding and progress lines. The coverage and spread of
size buckets on a real collection are in test_job.py."""

from __future__ import annotations

import dataclasses
import logging
import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from imbgraph.graphcls.train import (
    FitResult,
    Learner,
    TrainConfig,
    batches,
    bucketed_batches,
    budget_batches,
    fit,
    predict_log_proba,
    should_stop,
)

G = 40
GEN = torch.Generator().manual_seed(0)
FEATS = torch.randn(G, 3, generator=GEN)
LABELS = (FEATS[:, 0] + 0.5 * torch.randn(G, generator=GEN) > 0).long()
SIZES = np.random.default_rng(0).integers(2, 30, size=G)
TRAIN, VAL = np.arange(0, 25), np.arange(25, 40)


class LogReg(Learner):
    """Logistic regression on a graph's fixed features; counts end_epoch calls."""

    def __init__(self, frozen: bool = False) -> None:
        super().__init__()
        self.lin = nn.Linear(3, 2)
        self.extra = nn.Parameter(torch.ones(2), requires_grad=not frozen)
        self.ends = 0

    def logits(self, b) -> torch.Tensor:
        return self.lin(b.x) * self.extra

    def loss(self, b) -> torch.Tensor:
        return F.cross_entropy(self.logits(b), b.y)

    def log_proba(self, b) -> torch.Tensor:
        return F.log_softmax(self.logits(b), dim=1)

    def end_epoch(self) -> None:
        self.ends += 1


class Batcher:
    """ids -> rows of FEATS / LABELS; records (ids, learner in training mode?) per call."""

    def __init__(self, learner: Learner | None = None) -> None:
        self.learner, self.calls = learner, []

    def __call__(self, ids: np.ndarray):
        self.calls.append((ids.tolist(), None if self.learner is None else
                           self.learner.training))
        t = torch.as_tensor(ids)
        return SimpleNamespace(x=FEATS[t], y=LABELS[t])

    def chunks(self, training: bool) -> list[list[int]]:
        return [ids for ids, mode in self.calls if mode is training]


def nll(model: LogReg, ids, weight=None) -> float:
    with torch.no_grad():
        return float(F.nll_loss(model.log_proba(Batcher()(np.asarray(ids))),
                                LABELS[torch.as_tensor(ids)], weight=weight))


# --- batching ---------------------------------------------------------------------------------
def test_batches_by_hand():
    ids = np.array([5, 3, 9, 1, 7])
    assert [b.tolist() for b in batches(ids, 2)] == [[5, 3], [9, 1], [7]]
    assert [b.tolist() for b in batches(ids, 2, drop_single=True)] == [[5, 3], [9, 1]]
    assert [b.tolist() for b in batches(ids, 5, drop_single=True)] == [[5, 3, 9, 1, 7]]
    assert [b.tolist() for b in batches(ids[:1], 4, drop_single=True)] == [[5]]  # the only one
    assert [b.tolist() for b in batches(ids[:4], 3, drop_single=True)] == [[5, 3, 9]]
    assert batches(ids[:0], 3) == []


def test_budget_batches_keep_at_least_one_graph():
    sizes = np.array([2, 2, 3, 6, 6])
    ids = np.arange(5)
    assert [b.tolist() for b in budget_batches(ids, sizes, 4, 18)] == [[0, 1], [2], [3], [4]]
    assert [b.tolist() for b in budget_batches(ids, sizes, 4, 27)] == [[0, 1, 2], [3], [4]]
    assert [b.tolist() for b in budget_batches(ids, sizes, 2, 10**6)] == [[0, 1], [2, 3], [4]]
    assert [b.tolist() for b in budget_batches(ids, sizes, 4, 1)] == [[0], [1], [2], [3], [4]]


def test_bucketed_batches_with_a_pool_of_one_batch():
    order = np.array([4, 0, 7, 2, 6, 1, 5, 3])
    sizes = np.array([9, 1, 8, 2, 7, 3, 6, 4])
    out = bucketed_batches(order, sizes, 3, np.random.default_rng(1), pool=1)
    # each run of 3 consecutive ids of ``order``, sorted by size, in shuffled batch order
    want = [[7, 4, 0], [1, 6, 2], [3, 5]]
    assert sorted(b.tolist() for b in out) == sorted(want)
    again = bucketed_batches(order, sizes, 3, np.random.default_rng(1), pool=1)
    assert [b.tolist() for b in out] == [b.tolist() for b in again]


def test_bucketed_batches_respect_the_budget():
    rng = np.random.default_rng(0)
    order = rng.permutation(G)
    out = bucketed_batches(order, SIZES, 6, rng, pool=3, budget=900)
    assert sorted(np.concatenate(out).tolist()) == list(range(G))
    for b in out:
        assert len(b) == 1 or len(b) * SIZES[b].max() ** 2 <= 900
        assert len(b) <= 6 and (np.diff(SIZES[b]) >= 0).all()


# --- prediction -------------------------------------------------------------------------------
@pytest.mark.parametrize("sizes, budget", [(None, None), (SIZES, None), (SIZES, 2000)])
def test_predict_log_proba_keeps_the_callers_order(sizes, budget):
    torch.manual_seed(0)
    model = LogReg()
    model.train()
    ids = np.array([17, 3, 33, 8, 25, 0, 12, 39, 21])
    rec = Batcher()
    logp, y = predict_log_proba(model, rec, ids, 4, sizes, budget)
    assert not model.training
    with torch.no_grad():
        want = F.log_softmax(model.lin(FEATS[ids]), dim=1)
    torch.testing.assert_close(logp, want)
    assert y.tolist() == LABELS[ids].tolist()
    chunks = [c for c, _ in rec.calls]
    assert sorted(sum(chunks, [])) == sorted(ids.tolist()) and max(map(len, chunks)) <= 4
    if sizes is not None:  # batched in order of size
        assert [SIZES[i] for i in sum(chunks, [])] == sorted(SIZES[ids].tolist())
    if budget is not None:
        assert all(len(c) == 1 or len(c) * SIZES[c].max() ** 2 <= budget for c in chunks)


# --- fit --------------------------------------------------------------------------------------
def test_fit_without_steps_by_hand():
    """lr = 0: constant weights. Epoch 0 is the best; ties never improve, so training stops
    after ``patience`` more epochs; each epoch's loss is the NLL of the 24 graphs it saw (25
    training graphs in chunks of 8: the last chunk of one graph is dropped)."""
    torch.manual_seed(0)
    model = LogReg()
    rec = Batcher(model)
    weight = torch.tensor([1.0, 3.0])
    res = fit(model, rec, TRAIN, VAL, TrainConfig(epochs=50, patience=3, lr=0.0,
                                                    weight_decay=0.0, batch_size=8),
              np.random.default_rng(4), val_weight=weight, progress=False)
    assert isinstance(res, FitResult)
    assert res.epochs == 4 and res.best_epoch == 0 and model.ends == 4
    v = nll(model, VAL, weight)  # sum w_y nll / sum w_y
    with torch.no_grad():
        lp = model.log_proba(Batcher()(VAL))
    w = weight[LABELS[VAL]]
    assert v == pytest.approx(float(-(w * lp[torch.arange(15), LABELS[VAL]]).sum() / w.sum()))
    assert res.val_loss == pytest.approx([v] * 4) and res.best_val_loss == pytest.approx(v)
    rng = np.random.default_rng(4)  # the epochs' permutations
    train_chunks = rec.chunks(training=True)
    assert len(train_chunks) == 4 * 3
    for e in range(4):
        order = TRAIN[rng.permutation(25)]
        assert train_chunks[3 * e:3 * e + 3] == [order[i:i + 8].tolist() for i in (0, 8, 16)]
        assert res.train_loss[e] == pytest.approx(nll(model, order[:24]), rel=1e-5)
    # validation in batches of eval_batch_size
    assert rec.chunks(training=False) == [VAL.tolist()] * 4


def test_fit_restores_the_best_epoch():
    torch.manual_seed(1)
    model = LogReg()
    settings = TrainConfig(epochs=60, patience=5, lr=0.05, weight_decay=0.0, batch_size=8,
                             eval_batch_size=4)
    res = fit(model, Batcher(model), TRAIN, VAL, settings, np.random.default_rng(0),
              progress=False)
    assert len(res.train_loss) == len(res.val_loss) == res.epochs <= 60
    assert res.best_epoch == min(range(res.epochs), key=lambda e: (res.val_loss[e], e))
    assert res.best_val_loss == res.val_loss[res.best_epoch]
    assert res.epochs == 60 or res.epochs - 1 - res.best_epoch == 5
    assert nll(model, VAL) == pytest.approx(res.best_val_loss, rel=1e-5)  # weights restored
    assert res.val_loss[res.best_epoch] < res.val_loss[0] and res.seconds > 0


def test_fit_steps_only_trainable_parameters_and_uses_the_learners_eval_batch():
    torch.manual_seed(0)
    model = LogReg(frozen=True)
    model.eval_batch_size = 6
    rec = Batcher(model)
    fit(model, rec, TRAIN, VAL, TrainConfig(epochs=2, patience=5, lr=0.1, weight_decay=0.5),
        np.random.default_rng(0), progress=False)
    assert model.extra.tolist() == [1.0, 1.0]  # no gradient, no weight decay
    assert [len(c) for c in rec.chunks(training=False)] == [6, 6, 3] * 2


def test_fit_size_buckets():
    torch.manual_seed(0)
    model = LogReg()
    rec = Batcher(model)
    settings = TrainConfig(epochs=2, patience=5, batch_size=5, size_buckets=True,
                             attention_budget=1500)
    fit(model, rec, TRAIN, VAL, settings, np.random.default_rng(0), sizes=SIZES,
        progress=False)
    train_chunks, val_chunks = rec.chunks(training=True), rec.chunks(training=False)
    for c in train_chunks:
        assert (np.diff(SIZES[c]) >= 0).all() and (len(c) == 1 or
                                                   len(c) * SIZES[c].max() ** 2 <= 1500)
    assert sorted(sum(train_chunks, [])) == sorted(TRAIN.tolist() * 2)  # nothing dropped
    assert [SIZES[i] for i in sum(val_chunks[:len(val_chunks) // 2], [])] == sorted(
        SIZES[VAL].tolist())
    # without sizes the setting has no effect: plain random chunks of 5
    rec = Batcher(model)
    fit(model, rec, TRAIN, VAL, settings, np.random.default_rng(0), progress=False)
    plain = rec.chunks(training=True)
    assert [len(c) for c in plain] == [5] * 10
    assert any((np.diff(SIZES[c]) < 0).any() for c in plain)


def test_fit_is_seeded():
    def run():
        torch.manual_seed(3)
        model = LogReg()
        res = fit(model, Batcher(model), TRAIN, VAL, TrainConfig(epochs=5, lr=0.05,
                                                                   batch_size=6),
                  np.random.default_rng(9), progress=False)
        return res.train_loss, res.val_loss, model.lin.weight.detach().clone()

    a, b = run(), run()
    assert a[0] == b[0] and a[1] == b[1] and torch.equal(a[2], b[2])


def test_fit_logs_one_line_per_epoch(caplog):
    torch.manual_seed(0)
    model = LogReg()
    with caplog.at_level(logging.INFO, logger="imbgraph.graphcls.train"):
        fit(model, Batcher(model), TRAIN, VAL, TrainConfig(epochs=2), np.random.default_rng(0))
    lines = [r.getMessage() for r in caplog.records if r.name == "imbgraph.graphcls.train"]
    assert len(lines) == 2 and lines[0].startswith("epoch 1/2: train loss ")
    assert lines[1].startswith("epoch 2/2: train loss ") and ", val loss " in lines[1]


def test_fit_of_zero_epochs():
    torch.manual_seed(0)
    model = LogReg()
    w = model.lin.weight.detach().clone()
    res = fit(model, Batcher(model), TRAIN, VAL, TrainConfig(epochs=0),
              np.random.default_rng(0), progress=False)
    assert res.epochs == 0 and res.best_epoch == -1 and math.isnan(res.best_val_loss)
    assert res.train_loss == [] and torch.equal(model.lin.weight, w)


def test_train_config_defaults_and_frozen():
    s = TrainConfig()
    assert (s.epochs, s.patience, s.lr, s.weight_decay, s.batch_size, s.eval_batch_size,
            s.size_buckets, s.attention_budget) == (100, 20, 1e-3, 5e-4, 32, 256, False, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.lr = 0.1  # type: ignore[misc]


def test_learner_defaults():
    learner = Learner()
    assert learner.eval_batch_size is None and learner.end_epoch() is None
    assert learner.batch_invariant and learner.summary() == {}
    y = torch.tensor([1, 0])
    assert learner.labels(SimpleNamespace(y=y)) is y
    with pytest.raises(NotImplementedError, match="Learner defines no loss"):
        learner.loss(None)


def test_learner_resets_its_children():
    learner = Learner()
    learner.lin = nn.Linear(3, 2)
    before = learner.lin.weight.detach().clone()
    learner.reset_parameters()
    assert not torch.equal(before, learner.lin.weight)


def test_budget_batches_cap_attention():
    sizes = np.array([2, 3, 3, 10, 10, 40])
    out = budget_batches(np.arange(6), sizes, 4, budget=250)
    assert [b.tolist() for b in out] == [[0, 1, 2], [3, 4], [5]]  # 3 x 9, 2 x 100, 1 x 1600
    plain = budget_batches(np.arange(6), sizes, 4, None)
    assert [b.tolist() for b in plain] == [[0, 1, 2, 3], [4, 5]]


@pytest.mark.parametrize("stopping, epoch, losses, over, expected", [
    # official: never before epoch > epochs // 2 (epochs 10: epoch index 6 is the first)
    ("official", 5, [1.0, 0.9, 0.8, 0.7, 0.6, 0.9], False, False),
    ("official", 6, [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.9], False, True),   # 0.9 > mean(0.7..0.5)
    ("official", 6, [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.55], False, False),  # 0.55 < 0.6
    ("patience", 2, [1.0, 1.1, 1.2], True, False),   # patience over, but min_epochs 4
    ("patience", 3, [1.0, 1.1, 1.2, 1.3], True, True),
    ("patience", 3, [1.0, 1.1, 1.2, 1.3], False, False),
    ("none", 9, [1.0] * 10, True, False),
])
def test_should_stop_by_hand(stopping, epoch, losses, over, expected):
    s = TrainConfig(epochs=10, min_epochs=4, stopping=stopping, window=3)
    assert should_stop(s, epoch, losses, over) is expected


def test_fit_official_stopping_and_on_best():
    """stopping: official trains at least epochs // 2 + 1 epochs whatever the patience; on_best
    fires at exactly the epochs that set a new lowest validation loss, with that loss."""
    torch.manual_seed(1)
    model = LogReg()
    seen = []
    settings = TrainConfig(epochs=40, patience=1, lr=0.05, weight_decay=0.0, batch_size=8,
                             stopping="official", window=5)
    res = fit(model, Batcher(model), TRAIN, VAL, settings, np.random.default_rng(0),
              progress=False, on_best=lambda e, v: seen.append((e, v)))
    assert res.epochs >= 21
    best, expected = float("inf"), []
    for e, v in enumerate(res.val_loss):
        if v < best:
            best = v
            expected.append((e, v))
    assert seen == expected and seen[-1][0] == res.best_epoch
    with pytest.raises(ValueError, match="stopping = 'early'"):
        TrainConfig(stopping="early")
