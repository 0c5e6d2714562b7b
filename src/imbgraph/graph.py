"""Graph helpers shared by every family: edge lists, symmetric adjacency, connected
components, canonical cluster labels and pooling of duplicate scored pairs.

Edge lists are two int64 arrays ``src``, ``dst`` (or an (E, 2) array); adjacency matrices are
scipy CSR. Everything is vectorised; nothing here knows about faces, citations or molecules.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

__all__ = [
    "canonical_labels", "components", "knn_adjacency", "symmetric_adjacency",
    "undirected_mean",
]


def canonical_labels(raw: np.ndarray) -> np.ndarray:
    """Renumber labels 0..C-1 in order of each label's first occurrence (equivalently, of
    each cluster's smallest node id), so equal partitions give equal arrays.

    Example: ``canonical_labels([7, 7, 3, 9, 3])`` is ``[0, 0, 1, 2, 1]``.
    """
    raw = np.asarray(raw)
    _, first, inverse = np.unique(raw, return_index=True, return_inverse=True)
    rank = np.empty(first.shape[0], dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.shape[0], dtype=np.int64)
    return rank[inverse.reshape(-1)]


def components(n: int, src: np.ndarray, dst: np.ndarray) -> tuple[int, np.ndarray]:
    """Connected components of the undirected graph on nodes 0..n-1 with edges (src, dst).

    Returns (count, label of each node); labels are scipy's (0..count-1, not canonical).
    """
    graph = sp.csr_matrix((np.ones(len(src), dtype=np.int32), (src, dst)), shape=(n, n))
    return connected_components(graph, directed=False)


def symmetric_adjacency(src: np.ndarray, dst: np.ndarray, n: int) -> sp.csr_matrix:
    """Undirected, unweighted adjacency (int8 CSR, sorted indices) of the edges (src, dst) on
    nodes 0..n-1: both directions, duplicates merged, self loops dropped."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    keep = src != dst
    src, dst = src[keep], dst[keep]
    data = np.ones(2 * len(src), dtype=np.int8)
    a = sp.csr_matrix((data, (np.concatenate([src, dst]), np.concatenate([dst, src]))),
                      shape=(n, n))
    a.sum_duplicates()
    a.data[:] = 1
    a.sort_indices()
    return a


def knn_adjacency(nbr: np.ndarray) -> sp.csr_matrix:
    """:func:`symmetric_adjacency` of a kNN table ``nbr`` of shape (n, k): i ~ j when j is
    among i's neighbours or i among j's."""
    n, k = nbr.shape
    return symmetric_adjacency(np.repeat(np.arange(n), k), nbr.reshape(-1), n)


def undirected_mean(
    a: np.ndarray, b: np.ndarray, score: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pool directed scored pairs into undirected edges (min, max), averaging the scores of
    a pair seen several times; self pairs are dropped.

    Returns edges (E, 2) int64, unique and sorted, and their mean scores (E,) float64.
    """
    a = np.asarray(a, dtype=np.int64)
    b = np.asarray(b, dtype=np.int64)
    score = np.asarray(score, dtype=np.float64)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keep = lo != hi
    lo, hi, score = lo[keep], hi[keep], score[keep]
    n = int(hi.max(initial=0)) + 1
    key, inv = np.unique(lo * n + hi, return_inverse=True)
    inv = inv.reshape(-1)
    sums = np.bincount(inv, weights=score, minlength=len(key))
    counts = np.bincount(inv, minlength=len(key))
    edges = np.stack([key // n, key % n], axis=1)
    return edges, sums / counts
