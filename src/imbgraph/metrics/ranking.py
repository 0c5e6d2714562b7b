"""Ranking metrics for binary link prediction (is this pair of nodes in the same class?)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import auc, average_precision_score, precision_recall_curve


def pr_auc(labels: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """Area under the precision-recall curve, computed two ways.

    Parameters
    ----------
    labels : array-like of shape (n,)
        Binary ground truth, 0/1 or bool; 1 is the positive class.
    scores : array-like of shape (n,)
        Scores, higher means more likely positive.

    Returns
    -------
    dict
        ``pr_auc_ap``: average precision (step-wise sum, sklearn ``average_precision_score``);
        ``pr_auc_trapz``: trapezoidal area under the precision-recall curve
        (``sklearn.metrics.auc(recall, precision)``), which interpolates linearly and is
        therefore usually a little optimistic. Both are reported because papers use both.

    Raises
    ------
    ValueError
        If the shapes differ, the inputs are not 1-D, labels are not binary, or labels
        contain only one class (precision-recall is undefined then).
    """
    labels = np.asarray(labels)
    scores = np.asarray(scores)
    if labels.shape != scores.shape:
        raise ValueError(
            f"labels and scores must have the same shape: labels is {labels.shape}, "
            f"scores is {scores.shape}"
        )
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1D: shape is {labels.shape}")
    values = np.unique(labels)
    if not np.isin(values, [0, 1]).all():
        raise ValueError(f"labels must be binary (0/1 or bool): found values {values.tolist()}")
    if values.size < 2:
        raise ValueError(
            f"labels must contain both classes 0 and 1: all {labels.size} labels are "
            f"{values.tolist()}"
        )
    labels = labels.astype(np.int8)
    precision, recall, _ = precision_recall_curve(labels, scores)
    return {
        "pr_auc_ap": float(average_precision_score(labels, scores)),
        "pr_auc_trapz": float(auc(recall, precision)),
    }
