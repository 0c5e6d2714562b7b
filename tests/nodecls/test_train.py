"""Tests of imbgraph.nodecls.train: validation scores equal scikit-learn's, and training keeps
the best validation epoch's weights."""

from __future__ import annotations

import math

import pytest
import torch
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

from imbgraph.nodecls.job import build_batch
from imbgraph.nodecls.methods.plain import Plain
from imbgraph.nodecls.models import GNN
from imbgraph.nodecls.train import TrainConfig, fit, predict_proba, val_scores


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_val_scores_equal_sklearn(seed):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 4, (50,), generator=g)
    y[y == 3] = 2  # class 3 never true, maybe predicted
    logits = torch.randn(50, 4, generator=g)
    pred = logits.argmax(1).numpy()
    s = val_scores(logits, y)
    assert s["acc"] == pytest.approx(accuracy_score(y, pred))
    assert s["balanced_acc"] == pytest.approx(balanced_accuracy_score(y, pred))
    assert s["macro_f1"] == pytest.approx(f1_score(y, pred, average="macro", zero_division=0))
    assert s["loss"] == pytest.approx(float(torch.nn.functional.cross_entropy(logits, y)))


def test_fit_restores_the_best_epoch(tiny_graph, tiny_split, make_method):
    m = make_method({"name": "none"})
    batch = build_batch(tiny_graph, tiny_split, m, torch.device("cpu"))
    torch.manual_seed(0)
    model = Plain(GNN(tiny_graph.num_features, tiny_graph.num_classes, hidden=16))
    val = torch.as_tensor(tiny_split.val)
    res = fit(model, batch, val, TrainConfig(max_epochs=40, patience=5, lr=0.01,
                                             select="loss"))
    assert res.epochs <= 40 and len(res.val) == res.epochs
    assert res.best_epoch == min(range(res.epochs), key=lambda e: (res.val[e], e))
    proba = predict_proba(model, batch.x, batch.adj)
    restored = val_scores(torch.log(proba[val]), batch.y[val])["loss"]
    assert restored == pytest.approx(res.best_score, rel=1e-5)
    assert res.epochs == 40 or res.epochs - 1 - res.best_epoch == 5


def test_train_config_rejects_unknown_criterion():
    with pytest.raises(ValueError, match="select = 'auc'"):
        TrainConfig(select="auc")


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_bat_mean_is_the_mean_of_sklearn_acc_balanced_acc_macro_f1():
    # BAT's trainer.py get_validation_score: np.mean over accuracy_score,
    # balanced_accuracy_score and f1_score(average="macro")
    g = torch.Generator().manual_seed(3)
    y = torch.randint(0, 3, (40,), generator=g)
    logits = torch.randn(40, 3, generator=g)
    pred = logits.argmax(1).numpy()
    want = (accuracy_score(y, pred) + balanced_accuracy_score(y, pred)
            + f1_score(y, pred, average="macro")) / 3
    assert val_scores(logits, y)["bat_mean"] == pytest.approx(want)


def _fit(tiny_graph, tiny_split, make_method, **cfg):
    m = make_method({"name": "none"})
    batch = build_batch(tiny_graph, tiny_split, m, torch.device("cpu"))
    torch.manual_seed(0)
    model = Plain(GNN(tiny_graph.num_features, tiny_graph.num_classes, hidden=16))
    val = torch.as_tensor(tiny_split.val)
    res = fit(model, batch, val, TrainConfig(lr=0.01, **cfg))
    return res, model, batch, val


def test_select_from_never_selects_an_earlier_epoch(tiny_graph, tiny_split, make_method):
    res, model, batch, val = _fit(tiny_graph, tiny_split, make_method, max_epochs=30,
                                  patience=4, select="loss", select_from=10)
    # reference: the best (lowest) loss among epochs >= 10, ties the earliest
    assert res.best_epoch == min(range(10, res.epochs), key=lambda e: (res.val[e], e))
    # patience counts from epoch 10: never stopped before 10 + 4 epochs
    assert res.epochs >= 14
    assert res.epochs == 30 or res.epochs - 1 - res.best_epoch == 4
    proba = predict_proba(model, batch.x, batch.adj)
    assert val_scores(torch.log(proba[val]), batch.y[val])["loss"] == pytest.approx(
        res.val[res.best_epoch], rel=1e-5)


def test_smooth_selects_the_end_of_the_best_trailing_window(tiny_graph, tiny_split,
                                                            make_method):
    res, model, batch, val = _fit(tiny_graph, tiny_split, make_method, max_epochs=25,
                                  patience=100, select="acc", smooth=5)
    # reference loop: the trailing mean over 5 epochs, defined from epoch 4 on
    means = [sum(res.val[t - 4:t + 1]) / 5 for t in range(4, 25)]
    assert all(math.isnan(v) for v in res.smoothed[:4])  # before the first full window
    assert res.smoothed[4:] == pytest.approx(means)
    best = 4 + max(range(len(means)), key=lambda i: (means[i], -i))
    assert res.best_epoch == best
    assert res.best_score == pytest.approx(means[best - 4])
    # the restored weights are epoch `best`'s: their raw accuracy is that epoch's
    proba = predict_proba(model, batch.x, batch.adj)
    assert val_scores(torch.log(proba[val]), batch.y[val])["acc"] == pytest.approx(
        res.val[best])


def test_smooth_one_and_select_from_zero_are_the_plain_rule(tiny_graph, tiny_split,
                                                            make_method):
    a = _fit(tiny_graph, tiny_split, make_method, max_epochs=20, patience=5)[0]
    b = _fit(tiny_graph, tiny_split, make_method, max_epochs=20, patience=5, smooth=1,
             select_from=0)[0]
    assert (a.best_epoch, a.best_score, a.val) == (b.best_epoch, b.best_score, b.val)
    assert a.smoothed == a.val


@pytest.mark.parametrize("bad, match", [
    ({"select_from": 10, "max_epochs": 10}, "no epoch of max_epochs = 10"),
    ({"smooth": 11, "max_epochs": 10}, "first eligible is epoch 10"),
    ({"smooth": 0}, "smooth = 0"),
    ({"select_from": -1}, "select_from = -1"),
])
def test_train_config_rejects_a_selection_without_eligible_epochs(bad, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(**bad)


def test_report_last_keeps_the_final_epoch(tiny_graph, tiny_split, make_method):
    """report: last runs every epoch and keeps the last weights (what a plain loop of
    max_epochs Adam steps gives), even where validation peaked early and report: best
    restores an earlier epoch."""
    m = make_method({"name": "none"})
    batch = build_batch(tiny_graph, tiny_split, m, torch.device("cpu"))
    val = torch.as_tensor(tiny_split.val)

    def model():
        torch.manual_seed(0)
        return Plain(GNN(tiny_graph.num_features, tiny_graph.num_classes, hidden=16,
                         dropout=0.0))

    epochs, lr = 30, 0.5  # a large step: validation loss bottoms out early
    last, best, ref = model(), model(), model()
    res = fit(last, batch, val, TrainConfig(max_epochs=epochs, patience=2, lr=lr,
                                            select="loss", report="last"))
    assert res.epochs == epochs and res.best_epoch == epochs - 1  # patience ignored
    opt = torch.optim.Adam(ref.parameters(), lr=lr, weight_decay=5e-4)
    for _ in range(epochs):
        ref.train()
        opt.zero_grad()
        ref.loss(batch).backward()
        opt.step()
    for p, q in zip(last.parameters(), ref.parameters()):
        torch.testing.assert_close(p, q)
    res_best = fit(best, batch, val, TrainConfig(max_epochs=epochs, patience=epochs, lr=lr,
                                                 select="loss"))
    assert res_best.best_epoch < epochs - 1  # validation peaked before the end
    assert res.val[res_best.best_epoch] < res.val[-1]
    assert not torch.equal(predict_proba(best, batch.x, batch.adj),
                           predict_proba(last, batch.x, batch.adj))
    with pytest.raises(ValueError, match="report"):
        TrainConfig(report="final")
