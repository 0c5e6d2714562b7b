"""Tests of imbgraph.metrics.classification against hand computations and scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from imbgraph.metrics.classification import classification_report, macro_auroc


def test_report_hand_case():
    # 6 samples, 3 classes; predictions: [0, 0, 1, 1, 2, 1] vs truth [0, 0, 0, 1, 2, 2]
    y = np.array([0, 0, 0, 1, 2, 2])
    proba = np.array([[0.8, 0.1, 0.1], [0.6, 0.3, 0.1], [0.2, 0.7, 0.1],
                      [0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.2, 0.5, 0.3]])
    r = classification_report(y, proba)
    assert r["n"] == 6
    assert r["acc"] == pytest.approx(4 / 6)
    # recalls: class 0 2/3, class 1 1/1, class 2 1/2 -> balanced 13/18
    assert r["balanced_acc"] == pytest.approx((2 / 3 + 1 + 1 / 2) / 3)
    # F1: class 0 P 1 R 2/3 -> 0.8; class 1 P 1/3 R 1 -> 0.5; class 2 P 1 R 1/2 -> 2/3
    assert r["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert r["micro_f1"] == pytest.approx(r["acc"])
    assert r["macro_auroc"] == pytest.approx(
        roc_auc_score(y, proba, multi_class="ovr", average="macro"))


def test_binary_auroc_scores_the_positive_column():
    y = np.array([0, 0, 1, 1, 0])
    proba = np.array([[0.9, 0.1], [0.4, 0.6], [0.3, 0.7], [0.2, 0.8], [0.7, 0.3]])
    assert macro_auroc(y, proba) == pytest.approx(roc_auc_score(y, proba[:, 1]))
    # 2 positives x 3 negatives: only (0.6 neg vs 0.7 pos) and (0.6 vs 0.8) ordered right...
    assert macro_auroc(y, proba) == pytest.approx(1.0)


def test_auroc_leaves_out_classes_absent_from_the_truth():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 40)  # class 3 never occurs
    proba = rng.dirichlet(np.ones(4), size=40)
    expected = np.mean([roc_auc_score(y == c, proba[:, c]) for c in range(3)])
    assert macro_auroc(y, proba) == pytest.approx(expected)
    assert math.isnan(macro_auroc(np.zeros(5, dtype=int), proba[:5]))


@pytest.mark.parametrize("y, proba, match", [
    (np.zeros((2, 2)), np.zeros((2, 2)), "y_true must be 1D"),
    (np.zeros(3, dtype=int), np.zeros((2, 2)), r"proba must have shape \(n, n_classes\)"),
    (np.array([0, 5]), np.full((2, 2), 0.5), r"expected labels in \[0, 2\)"),
    (np.array([0, 1]), np.array([[np.nan, 1.0], [0.5, 0.5]]), "finite"),
    (np.array([], dtype=int), np.zeros((0, 2)), "empty"),
])
def test_input_errors_name_the_problem(y, proba, match):
    with pytest.raises(ValueError, match=match):
        classification_report(y, proba)
