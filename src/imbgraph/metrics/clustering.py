"""Clustering quality: BCubed, pairwise precision/recall/F and NMI.

Every function takes two label vectors of shape (n,) (one label per node, any sortable dtype)
and works from a sparse class x cluster contingency table, so the cost is O(n log n) time and
O(n) memory whatever the number of classes and clusters.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from sklearn.metrics import normalized_mutual_info_score

__all__ = ["bcubed", "pairwise", "nmi", "clustering_report"]


class _Contingency(NamedTuple):
    """Non-zero cells of the class x cluster contingency table.

    ``counts[k]`` nodes carry class ``row[k]`` and cluster ``col[k]``; ``class_sizes`` has
    shape (n_classes,), ``cluster_sizes`` shape (n_clusters,). Rows and columns index the
    sorted unique labels.
    """

    row: np.ndarray
    col: np.ndarray
    counts: np.ndarray
    class_sizes: np.ndarray
    cluster_sizes: np.ndarray
    n: int


def _validate(labels_true, labels_pred) -> tuple[np.ndarray, np.ndarray]:
    """Return both label vectors as 1-D arrays of equal, non-zero length, or raise."""
    labels_true = np.asarray(labels_true)
    labels_pred = np.asarray(labels_pred)
    for name, arr in (("labels_true", labels_true), ("labels_pred", labels_pred)):
        if arr.ndim != 1:
            raise ValueError(f"{name} must be 1D: shape is {arr.shape}")
    if labels_true.shape[0] != labels_pred.shape[0]:
        raise ValueError(
            "labels_true and labels_pred must have the same length: "
            f"{labels_true.shape[0]} != {labels_pred.shape[0]}"
        )
    if labels_true.shape[0] == 0:
        raise ValueError("labels_true and labels_pred are empty; expected at least one node")
    return labels_true, labels_pred


def _contingency(labels_true: np.ndarray, labels_pred: np.ndarray) -> _Contingency:
    """Sparse contingency table of two validated label vectors of shape (n,).

    A dense classes x clusters matrix would need ~10^8 cells for 10^4 x 10^4 labels; instead
    each node gets one int64 key ``class_idx * n_clusters + cluster_idx`` and the non-zero
    cells are the unique keys with their counts.
    """
    _, class_idx = np.unique(labels_true, return_inverse=True)
    _, cluster_idx = np.unique(labels_pred, return_inverse=True)
    # return_inverse keeps the input shape on some numpy versions; flatten to be safe.
    class_idx = class_idx.reshape(-1).astype(np.int64, copy=False)
    cluster_idx = cluster_idx.reshape(-1).astype(np.int64, copy=False)
    class_sizes = np.bincount(class_idx)
    cluster_sizes = np.bincount(cluster_idx)
    n_clusters = cluster_sizes.shape[0]
    keys, counts = np.unique(class_idx * n_clusters + cluster_idx, return_counts=True)
    return _Contingency(
        row=keys // n_clusters,
        col=keys % n_clusters,
        counts=counts,
        class_sizes=class_sizes,
        cluster_sizes=cluster_sizes,
        n=int(class_idx.shape[0]),
    )


def _f_score(p: float, r: float) -> float:
    """Harmonic mean of p and r; 0.0 when both are 0."""
    return 0.0 if p + r == 0 else 2.0 * p * r / (p + r)


def _bcubed(c: _Contingency) -> tuple[float, float, float]:
    # A node in cell (i, j) has n_ij same-class nodes in its cluster (itself included), so its
    # precision is n_ij / |cluster j| and its recall n_ij / |class i|. Summing over the n_ij
    # nodes of the cell gives n_ij^2 / size; averaging over all nodes divides by n.
    sq = c.counts.astype(np.float64) ** 2
    p = float(np.sum(sq / c.cluster_sizes[c.col]) / c.n)
    r = float(np.sum(sq / c.class_sizes[c.row]) / c.n)
    return p, r, _f_score(p, r)


def _pairwise(c: _Contingency) -> tuple[float, float, float]:
    # Ordered pairs of distinct nodes: tk share class and cluster, pk share a cluster, qk share
    # a class. int64 is exact here (n^2 < 2^63 for n < 3e9).
    n = c.n
    tk = int(np.sum(c.counts.astype(np.int64) ** 2)) - n
    pk = int(np.sum(c.cluster_sizes.astype(np.int64) ** 2)) - n
    qk = int(np.sum(c.class_sizes.astype(np.int64) ** 2)) - n
    # Degenerate cases: pk == 0 (every predicted cluster is a singleton) predicts no pair, so
    # no predicted pair is wrong: precision 1.0. qk == 0 (every class is a singleton) has no
    # pair to find, so none is missed: recall 1.0. Then e.g. all-singleton predictions against
    # real classes score P = 1, R = 0, F = 0, and matching all-singleton labels score 1, 1, 1.
    p = tk / pk if pk > 0 else 1.0
    r = tk / qk if qk > 0 else 1.0
    return p, r, _f_score(p, r)


def bcubed(labels_true, labels_pred) -> tuple[float, float, float]:
    """BCubed precision, recall and F-score.

    Parameters
    ----------
    labels_true : array-like of shape (n,)
        Ground-truth class of each node.
    labels_pred : array-like of shape (n,)
        Predicted cluster of each node.

    Returns
    -------
    precision, recall, f : float
        Per-node precision (share of the node's cluster that is in its class) and recall
        (share of its class that is in its cluster), averaged over nodes; f is their
        harmonic mean. All lie in (0, 1].

    Raises
    ------
    ValueError
        If an input is not 1-D, the lengths differ, or they are empty.
    """
    return _bcubed(_contingency(*_validate(labels_true, labels_pred)))


def pairwise(labels_true, labels_pred) -> tuple[float, float, float]:
    """Pairwise precision, recall and F-score over pairs of distinct nodes.

    Parameters
    ----------
    labels_true : array-like of shape (n,)
        Ground-truth class of each node.
    labels_pred : array-like of shape (n,)
        Predicted cluster of each node.

    Returns
    -------
    precision, recall, f : float
        precision = pairs in the same class and the same cluster / pairs in the same cluster;
        recall = the same / pairs in the same class. When no pair shares a predicted cluster
        precision is 1.0 (nothing was wrongly merged); when no pair shares a class recall is
        1.0 (nothing could be missed). f is 0.0 when precision and recall are both 0.

    Raises
    ------
    ValueError
        If an input is not 1-D, the lengths differ, or they are empty.
    """
    return _pairwise(_contingency(*_validate(labels_true, labels_pred)))


def nmi(labels_true, labels_pred) -> float:
    """Normalised mutual information with the arithmetic-mean normaliser.

    Parameters
    ----------
    labels_true : array-like of shape (n,)
        Ground-truth class of each node.
    labels_pred : array-like of shape (n,)
        Predicted cluster of each node.

    Returns
    -------
    float
        ``sklearn.metrics.normalized_mutual_info_score(..., average_method="arithmetic")``;
        the method is passed explicitly so a change of sklearn's default cannot change results.

    Raises
    ------
    ValueError
        If an input is not 1-D, the lengths differ, or they are empty.
    """
    labels_true, labels_pred = _validate(labels_true, labels_pred)
    return float(
        normalized_mutual_info_score(labels_true, labels_pred, average_method="arithmetic")
    )


def _report(labels_true: np.ndarray, labels_pred: np.ndarray, suffix: str) -> dict:
    """All metrics of one (possibly empty) pair of validated label vectors, keys suffixed."""
    n = int(labels_true.shape[0])
    if n == 0:
        nan = float("nan")
        values = dict.fromkeys(
            ["bcubed_p", "bcubed_r", "bcubed_f", "pairwise_p", "pairwise_r", "pairwise_f", "nmi"],
            nan,
        )
        values.update(n_nodes=0, n_clusters=0, n_singletons=0)
    else:
        c = _contingency(labels_true, labels_pred)
        bp, br, bf = _bcubed(c)
        pp, pr, pf = _pairwise(c)
        values = {
            "bcubed_p": bp,
            "bcubed_r": br,
            "bcubed_f": bf,
            "pairwise_p": pp,
            "pairwise_r": pr,
            "pairwise_f": pf,
            "nmi": float(
                normalized_mutual_info_score(labels_true, labels_pred, average_method="arithmetic")
            ),
            "n_nodes": n,
            "n_clusters": int(c.cluster_sizes.shape[0]),
            "n_singletons": int(np.count_nonzero(c.cluster_sizes == 1)),
        }
    return {key + suffix: value for key, value in values.items()}


def clustering_report(labels_true, labels_pred) -> dict:
    """Every clustering metric, on all nodes and again without predicted singletons.

    Parameters
    ----------
    labels_true : array-like of shape (n,)
        Ground-truth class of each node.
    labels_pred : array-like of shape (n,)
        Predicted cluster of each node.

    Returns
    -------
    dict
        ``bcubed_p``, ``bcubed_r``, ``bcubed_f``, ``pairwise_p``, ``pairwise_r``,
        ``pairwise_f``, ``nmi`` (floats) and ``n_nodes``, ``n_clusters``, ``n_singletons``
        (ints; a singleton is a predicted cluster of size 1), computed on all nodes; then the
        same keys suffixed ``_nosingle``, computed after dropping every node whose predicted
        cluster has size 1 (so ``n_singletons_nosingle`` is 0). Face-clustering papers report
        both because a method can trade recall for precision by leaving hard nodes alone. When
        every predicted cluster is a singleton the ``_nosingle`` metrics are NaN and its
        counts 0.

    Raises
    ------
    ValueError
        If an input is not 1-D, the lengths differ, or they are empty.
    """
    labels_true, labels_pred = _validate(labels_true, labels_pred)
    report = _report(labels_true, labels_pred, "")
    _, cluster_idx, cluster_sizes = np.unique(labels_pred, return_inverse=True, return_counts=True)
    keep = cluster_sizes[cluster_idx.reshape(-1)] > 1
    report.update(_report(labels_true[keep], labels_pred[keep], "_nosingle"))
    return report
