"""Classification quality under class imbalance: accuracy, balanced accuracy, macro and
micro F1 and macro one-vs-rest AUROC (scikit-learn), from true labels and class scores."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    f1_score,
    roc_auc_score,
)

__all__ = ["classification_report", "macro_auroc"]


def _validate(y_true, proba) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true)
    proba = np.asarray(proba, dtype=np.float64)
    if y_true.ndim != 1:
        raise ValueError(f"y_true must be 1D: shape is {y_true.shape}")
    if proba.ndim != 2 or proba.shape[0] != y_true.shape[0]:
        raise ValueError(f"proba must have shape (n, n_classes) = ({y_true.shape[0]}, C): "
                         f"shape is {proba.shape}")
    if y_true.shape[0] == 0:
        raise ValueError("y_true is empty; expected at least one sample")
    if y_true.min() < 0 or y_true.max() >= proba.shape[1]:
        raise ValueError(f"y_true holds labels in [{y_true.min()}, {y_true.max()}]; "
                         f"expected labels in [0, {proba.shape[1]}) (one column per class)")
    if not np.isfinite(proba).all():
        raise ValueError("proba must be finite: found NaN or inf")
    return y_true.astype(np.int64), proba


def macro_auroc(y_true, proba) -> float:
    """Macro one-vs-rest AUROC over the classes present in ``y_true``.

    Binary problems score the positive class's column (as GraphSMOTE and IGL-Bench do).
    With C > 2 classes this equals ``roc_auc_score(y, p, multi_class="ovr",
    average="macro")`` when every class occurs; classes absent from ``y_true`` (no positive
    to rank) are left out instead of raising. NaN when fewer than two classes occur.
    """
    y_true, proba = _validate(y_true, proba)
    present = np.unique(y_true)
    if present.shape[0] < 2:
        return float("nan")
    if proba.shape[1] == 2:
        return float(roc_auc_score(y_true, proba[:, 1]))
    return float(np.mean([roc_auc_score(y_true == c, proba[:, c]) for c in present]))


def classification_report(y_true, proba) -> dict[str, float]:
    """Every metric of one prediction.

    Parameters
    ----------
    y_true : array-like of shape (n,), int labels in [0, C)
    proba : array-like of shape (n, C), class scores (softmax probabilities); the prediction
        is the arg-max

    Returns
    -------
    dict with ``acc``, ``balanced_acc``, ``macro_f1``, ``micro_f1`` (= accuracy for
    single-label data), ``macro_auroc`` (see :func:`macro_auroc`) and ``n`` (samples). F1
    is averaged over the labels of ``range(C)`` that occur in ``y_true`` or the prediction
    (scikit-learn's convention).
    """
    y_true, proba = _validate(y_true, proba)
    pred = proba.argmax(axis=1)
    return {
        "acc": float(accuracy_score(y_true, pred)),
        "balanced_acc": float(balanced_accuracy_score(y_true, pred)),
        "macro_f1": float(f1_score(y_true, pred, average="macro", zero_division=0)),
        "micro_f1": float(f1_score(y_true, pred, average="micro", zero_division=0)),
        "macro_auroc": macro_auroc(y_true, proba),
        "n": int(y_true.shape[0]),
    }
