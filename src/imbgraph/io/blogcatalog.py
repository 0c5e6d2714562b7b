"""Reader for BlogCatalog's ``blogcatalog.mat`` (Tang & Liu, KDD'09), as DeepWalk and
GraphSMOTE load it: ``network`` (n x n sparse, symmetric) and ``group`` (n x 39 sparse
multi-label membership).

Labels follow GraphSMOTE: each node's class is the arg-max of its ``group`` row (the first
group among ties, numpy's rule); groups that are never the arg-max are dropped and the rest
renumbered in order, which on the published file leaves 38 classes (group 16 disappears,
GraphSMOTE's ``labels[labels > 16] -= 1``). The file has no node features: GraphSMOTE uses
64-d DeepWalk embeddings (see :func:`imbgraph.nodecls.data.deepwalk.deepwalk`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from imbgraph.errors import InputError
from imbgraph.graph import symmetric_adjacency

__all__ = ["argmax_labels", "read_blogcatalog"]


def argmax_labels(group) -> tuple[np.ndarray, np.ndarray]:
    """GraphSMOTE's single label of a multi-label membership matrix.

    Parameters
    ----------
    group : array-like or sparse of shape (n, G), non-negative memberships

    Returns
    -------
    y : ndarray (n,) int64 in [0, C), the arg-max group renumbered over the groups that occur
    kept : ndarray (C,) int64, the original group index of each class
    """
    dense = group.toarray() if sp.issparse(group) else np.asarray(group)
    raw = dense.argmax(axis=1)
    kept, y = np.unique(raw, return_inverse=True)
    return y.astype(np.int64).reshape(-1), kept.astype(np.int64)


def read_blogcatalog(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                       tuple[str, ...]]:
    """Read a BlogCatalog ``.mat`` file.

    Returns
    -------
    x : ndarray (n, 0) float32 (the file has no features)
    edge_index : ndarray (2, E) int64, each undirected edge in both directions once, self
        loops dropped
    y : ndarray (n,) int64 class ids (see :func:`argmax_labels`)
    class_names : tuple of str, ``group_<g>`` with g the original group index

    Raises
    ------
    InputError
        naming the file when it is missing, not a MATLAB file, or lacks ``network``/``group``
        or their shapes disagree.
    """
    import scipy.io

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: BlogCatalog .mat file not found")
    try:
        mat = scipy.io.loadmat(str(path))
    except Exception as err:  # scipy raises ValueError, TypeError, MatReadError, ...
        raise InputError(f"{path}: not a readable MATLAB .mat file ({type(err).__name__}: "
                         f"{err})") from None
    missing = [k for k in ("network", "group") if k not in mat]
    if missing:
        found = sorted(k for k in mat if not k.startswith("__"))
        raise InputError(f"{path}: no {missing} matrix (found {found}); expected 'network' "
                         "(n x n adjacency) and 'group' (n x groups membership)")
    net, group = mat["network"], mat["group"]
    n = net.shape[0]
    if net.ndim != 2 or net.shape != (n, n) or group.ndim != 2 or group.shape[0] != n:
        raise InputError(f"{path}: 'network' has shape {net.shape} and 'group' {group.shape}; "
                         "expected (n, n) and (n, G)")
    coo = sp.coo_matrix(net)
    adj = symmetric_adjacency(coo.row, coo.col, n)  # both directions once, no self loops
    src = np.repeat(np.arange(n, dtype=np.int64), np.diff(adj.indptr))
    y, kept = argmax_labels(group)
    return (np.zeros((n, 0), dtype=np.float32), np.stack([src, adj.indices.astype(np.int64)]),
            y, tuple(f"group_{g}" for g in kept))
