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
