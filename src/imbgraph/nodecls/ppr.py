"""Personalised PageRank (PPR) columns of a graph, without the dense N x N inverse.

ReNode's code builds ``Pi = alpha (I - (1 - alpha) Â)^-1`` densely, ``Â = D^-1/2 (A + I)
D^-1/2`` (GCN's normalisation, self loops added; symmetric, so ``Pi`` is too): N^2 floats, 1.3
GB per float32 N x N matrix at Coauthor CS's 18,333 nodes, and the code holds several (the
adjacency, the normalised one, the identity, the inverse). ReNode reads only the training nodes' columns (and, by
symmetry, rows), so :func:`ppr_columns` computes ``Pi[:, cols]`` (N x L) by power iteration on
the sparse ``Â``::

    X_0 = alpha E,   X_{k+1} = (1 - alpha) Â X_k + alpha E,   E = I[:, cols]

``X_K = alpha sum_{k<=K} ((1 - alpha) Â)^k E``; since ``||Â||_2 = 1`` each column's 2-norm
error is at most ``(1 - alpha)^(K + 1)``, so ``K`` is fixed in advance from the tolerance
(:func:`ppr_iterations`: 141 steps for tol 1e-10 at alpha 0.15), and the result does not
depend on a data-driven stopping rule. Columns are computed in chunks; with ``topk`` each
column keeps only its k largest entries (PPRGo's sparsification), a sparse N x L matrix.

:func:`ppr_memory_mb` is the memory rule both the start-up check and the job apply
(:func:`check_ppr_memory`): a setting that would need more than ``max_mb`` stops with a
:class:`~imbgraph.errors.ConfigError` naming the method's key before anything is computed.
This module imports numpy only (scipy inside :func:`ppr_columns`): the config code reads it.
"""

from __future__ import annotations

import math

import numpy as np

from imbgraph.errors import ConfigError

__all__ = ["check_ppr_memory", "ppr_chunk", "ppr_columns", "ppr_iterations", "ppr_memory_mb"]

_F64 = 8  # bytes
_MB = 2 ** 20


def ppr_iterations(alpha: float, tol: float) -> int:
    """Power-iteration steps K after which every PPR column is within ``tol`` (2-norm) of
    the exact one: the smallest K >= 0 with ``(1 - alpha)^(K + 1) <= tol``."""
    if not 0.0 < alpha < 1.0 or not 0.0 < tol < 1.0:
        raise ValueError(f"alpha = {alpha!r}, tol = {tol!r}; expected both in (0, 1)")
    return max(0, math.ceil(math.log(tol) / math.log(1.0 - alpha)) - 1)


def ppr_chunk(n: int, cols: int, topk: int | None, max_mb: float) -> int:
    """Columns computed at once: all of them for exact columns (they are the result), else
    as many as two N-row float64 buffers fit in what ``max_mb`` leaves after the top-k
    entries (at least 1; :func:`ppr_memory_mb` says whether that fits)."""
    if topk is None:
        return max(int(cols), 1)
    left = max_mb * _MB - _topk_bytes(cols, topk, n)
    return int(min(max(cols, 1), max(1, left // (2 * _F64 * max(n, 1)))))


def _topk_bytes(cols: int, topk: int, n: int) -> float:
    return cols * min(topk, n) * (_F64 + 4)  # float64 values + int32 row ids (CSC)


def ppr_memory_mb(n: int, cols: int, *, topk: int | None = None,
                  max_mb: float = 2048) -> float:
    """MB :func:`ppr_columns` holds for ``cols`` columns of an ``n``-node graph: two float64
    N x chunk buffers of the iteration, plus the kept top-k entries with ``topk`` (the
    sparse matrix ``Â`` is not counted: it is the graph's size)."""
    chunk = ppr_chunk(n, cols, topk, max_mb)
    held = 2 * _F64 * n * chunk + (_topk_bytes(cols, topk, n) if topk is not None else 0)
    return held / _MB


def check_ppr_memory(n: int, cols: int, *, topk: int | None, max_mb: float, key: str) -> None:
    """ConfigError naming ``key`` (the method's ``...balancing``) when PPR columns of ``cols``
    training nodes of an ``n``-node graph need more than ``max_mb``."""
    need = ppr_memory_mb(n, cols, topk=topk, max_mb=max_mb)
    if need > max_mb:
        hint = ("set ppr_topk (e.g. 256: each training node keeps its 256 largest PPR "
                "entries) or raise ppr_max_mb" if topk is None else
                "lower ppr_topk or raise ppr_max_mb")
        raise ConfigError(f"{key}: the personalised PageRank of {cols} training nodes on "
                          f"{n} nodes needs {need:.1f} MB, above ppr_max_mb = {max_mb:g}; "
                          f"{hint}")


def _normalised(adj, n: int):
    import scipy.sparse as sp

    a = sp.csr_matrix(adj, dtype=np.float64, shape=(n, n))
    a.data[:] = 1.0
    a = (a + sp.identity(n, dtype=np.float64, format="csr")).tocsr()
    a.sum_duplicates()
    dinv = 1.0 / np.sqrt(np.asarray(a.sum(axis=1)).ravel())
    return sp.diags(dinv) @ a @ sp.diags(dinv)


def ppr_columns(adj, cols: np.ndarray, *, alpha: float = 0.15, tol: float = 1e-10,
                topk: int | None = None, max_mb: float = 2048, key: str = "ppr"):
    """Columns ``cols`` of ``Pi = alpha (I - (1 - alpha) Â)^-1`` (see the module docstring).

    Parameters
    ----------
    adj : (n, n) sparse adjacency, symmetric, without self loops (its pattern is used)
    cols : (L,) int node ids
    alpha : restart probability (ReNode: 0.15)
    tol : 2-norm accuracy of each column (fixes the number of steps)
    topk : keep each column's k largest entries (None: every entry)
    max_mb : memory bound (:func:`check_ppr_memory`, ConfigError naming ``key``)

    Returns
    -------
    ndarray (n, L) float64, or with ``topk`` a scipy CSC matrix (n, L) with at most k
    non-zeros per column (ties at the k-th value broken by the lower row id)
    """
    import scipy.sparse as sp

    n = adj.shape[0]
    cols = np.asarray(cols, dtype=np.int64)
    check_ppr_memory(n, cols.shape[0], topk=topk, max_mb=max_mb, key=key)
    a_hat = _normalised(adj, n)
    steps = ppr_iterations(alpha, tol)
    chunk = ppr_chunk(n, cols.shape[0], topk, max_mb)
    rows, vals, ptr = [], [], [0]
    for start in range(0, cols.shape[0], chunk):
        part = cols[start:start + chunk]
        idx = np.arange(part.shape[0])
        x = np.zeros((n, part.shape[0]))
        x[part, idx] = alpha
        for _ in range(steps):
            x = a_hat @ x
            x *= 1.0 - alpha
            x[part, idx] += alpha
        if topk is None:  # one chunk of every column: the result itself
            return x
        k = min(int(topk), n)
        for j in range(part.shape[0]):
            order = np.lexsort((np.arange(n), -x[:, j]))[:k]  # largest first, ties: lower id
            keep = np.sort(order)
            rows.append(keep.astype(np.int32))
            vals.append(x[keep, j])
            ptr.append(ptr[-1] + keep.shape[0])
    if topk is None:  # no columns
        return np.zeros((n, 0))
    return sp.csc_matrix((np.concatenate(vals) if vals else np.zeros(0),
                          np.concatenate(rows) if rows else np.zeros(0, np.int32),
                          np.asarray(ptr)), shape=(n, cols.shape[0]))
