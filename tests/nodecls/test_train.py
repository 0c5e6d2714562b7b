"""Tests of imbgraph.nodecls.train: validation scores equal scikit-learn's, and training keeps
the best validation epoch's weights."""

from __future__ import annotations

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
