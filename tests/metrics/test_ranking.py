"""Tests of imbgraph.metrics.ranking: PR-AUC as average precision and trapezoid area."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score

from imbgraph.metrics import pr_auc


def test_pr_auc_hand_case_and_sklearn():
    # Ranked by score: 1, 0, 1, 0. AP = sum over positives of precision at its rank / #pos
    # = (1/1 + 2/3) / 2 = 5/6.
    out = pr_auc([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1])
    assert out["pr_auc_ap"] == pytest.approx(5 / 6)
    rng = np.random.default_rng(0)
    labels = rng.random(1000) < 0.1
    scores = rng.random(1000) + labels * 0.5
    out = pr_auc(labels, scores)
    assert out["pr_auc_ap"] == pytest.approx(average_precision_score(labels, scores))
    # The trapezoid interpolates between the same points, so it is close to AP but not equal.
    assert out["pr_auc_trapz"] == pytest.approx(out["pr_auc_ap"], abs=0.05)
    assert set(out) == {"pr_auc_ap", "pr_auc_trapz"}


def test_pr_auc_errors():
    with pytest.raises(ValueError, match=r"labels must contain both classes.*\[1\]"):
        pr_auc([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"same shape: labels is \(3,\), scores is \(2,\)"):
        pr_auc([0, 1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match=r"binary.*\[0, 1, 2\]"):
        pr_auc([0, 1, 2], [0.1, 0.2, 0.3])
