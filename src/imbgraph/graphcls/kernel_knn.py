"""G2GNN's graph of graphs (Wang et al., CIKM 2022): a kNN graph over the whole collection by a
normalised graph kernel, computed once per dataset (rule ``graph_kernel_knn``); the method
that propagates over it is :mod:`imbgraph.graphcls.methods.g2gnn`.

Facts from the public code (yuwvandy/G2GNN): the kernel is GraKel's shortest-path kernel,
normalised (node labels used when the dataset has them); every graph links to its top-k most
similar graphs (self excluded), both directions; a training batch is padded with its
neighbours (from the whole collection: graph structure only, never their labels), the GIN
embeddings are propagated ``prop_layers`` times with the symmetric normalised adjacency of the
induced kNN subgraph plus self loops (no weights), and the classifier reads the batch's own rows.

A normalised kernel k(a, b) / sqrt(k(a, a) k(b, b)) of an explicit feature map is the cosine of
the two feature vectors, so both kernels here are sparse count vectors (``KERNELS``):

* ``shortest_path``: counts of (label_u, label_v, d(u, v)) over node pairs at finite distance
  (the SP kernel with delta node kernels; unlabelled graphs count distances only). All-pairs
  shortest paths run per graph (scipy BFS), once per dataset.
* ``wl``: Weisfeiler-Lehman subtree counts over ``iterations`` relabelling rounds, computed for
  all graphs at once (a node's new label is its label with the sum of random 40-bit codes of its
  neighbours' labels: a multiset hash, exact in int64).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

from imbgraph.graphcls.collection import GraphCollection

__all__ = ["KERNELS", "kernel_features", "kernel_knn", "shortest_path_features", "wl_features"]


def _node_labels(c: GraphCollection, use_labels: bool) -> np.ndarray:
    """Categorical node labels: the row pattern of x (one-hot labels -> their index)."""
    if not use_labels or c.num_features == 0:
        return np.zeros(c.num_nodes, dtype=np.int64)
    _, lab = np.unique(c.x, axis=0, return_inverse=True)
    return lab.reshape(-1).astype(np.int64)


def _compact(graph: np.ndarray, key: np.ndarray, n_graphs: int,
             count: np.ndarray | None = None) -> sp.csr_matrix:
    """Sparse (G, D) counts of feature ``key`` per ``graph`` (keys renumbered 0..D-1), each
    occurrence weighing ``count`` (default 1)."""
    _, col = np.unique(key, return_inverse=True)
    weight = np.ones(key.shape[0]) if count is None else count.astype(np.float64)
    m = sp.csr_matrix((weight, (graph, col.reshape(-1))),
                      shape=(n_graphs, int(col.max()) + 1 if col.size else 0))
    m.sum_duplicates()
    return m


def wl_features(c: GraphCollection, *, iterations: int = 3, use_labels: bool = True,
                seed: int = 0) -> sp.csr_matrix:
    lab = _node_labels(c, use_labels)
    rng = np.random.default_rng(seed)
    adj = sp.csr_matrix((np.ones(c.edge_index.shape[1], dtype=np.int64),
                         (c.edge_index[0], c.edge_index[1])), shape=(c.num_nodes, c.num_nodes))
    graph = c.graph_of_node
    keys = [lab]
    for it in range(iterations):
        code = rng.integers(0, 1 << 40, size=int(lab.max()) + 1, dtype=np.int64)
        nbr = adj @ code[lab]
        _, lab = np.unique(np.stack([lab, nbr], axis=1), axis=0, return_inverse=True)
        lab = lab.reshape(-1)
        keys.append(lab + (it + 1) * (1 << 40))  # keep rounds apart
    return _compact(np.tile(graph, len(keys)), np.concatenate(keys), c.num_graphs)


def shortest_path_features(c: GraphCollection, *, use_labels: bool = True) -> sp.csr_matrix:
    lab = _node_labels(c, use_labels)
    n_lab = int(lab.max()) + 1
    graphs, keys, counts = [], [], []
    for g in range(c.num_graphs):  # APSP per graph; a block-diagonal APSP would be O(N^2)
        lo, hi = int(c.node_ptr[g]), int(c.node_ptr[g + 1])
        e = c.edge_index[:, int(c.edge_ptr[g]):int(c.edge_ptr[g + 1])] - lo
        n = hi - lo
        a = sp.csr_matrix((np.ones(e.shape[1]), (e[0], e[1])), shape=(n, n))
        d = shortest_path(a, method="D", unweighted=True, directed=False)
        iu, ju = np.triu_indices(n, 1)
        dist = d[iu, ju]
        ok = np.isfinite(dist)
        la, lb = lab[lo + iu[ok]], lab[lo + ju[ok]]
        lo_l, hi_l = np.minimum(la, lb), np.maximum(la, lb)
        # counted per graph at once: the pairs of all graphs together (REDDIT-BINARY: ~1e9)
        # would not fit in memory, their distinct keys per graph are a few hundred
        key, cnt = np.unique((dist[ok].astype(np.int64) * n_lab + lo_l) * n_lab + hi_l,
                             return_counts=True)
        keys.append(key)
        counts.append(cnt)
        graphs.append(np.full(key.shape[0], g))
    return _compact(np.concatenate(graphs), np.concatenate(keys), c.num_graphs,
                    np.concatenate(counts))


KERNELS: dict[str, Callable[..., sp.csr_matrix]] = {
    "shortest_path": shortest_path_features,
    "wl": wl_features,
}


def kernel_features(c: GraphCollection, kernel: str = "shortest_path", **params) -> sp.csr_matrix:
    if kernel not in KERNELS:
        raise KeyError(f"kernel = {kernel!r}; expected one of {sorted(KERNELS)}")
    return KERNELS[kernel](c, **params)


def kernel_knn(c: GraphCollection, k: int, *, kernel: str = "shortest_path",
               block: int = 1024, **params) -> np.ndarray:
    """Top-k graphs by normalised kernel similarity for every graph (self excluded; ties by
    lower id), (G, k) int64. Computed in row blocks of the (G, G) cosine matrix."""
    f = kernel_features(c, kernel, **params).astype(np.float64)
    norms = np.sqrt(np.asarray(f.multiply(f).sum(axis=1)).ravel())
    f = sp.diags(1.0 / np.maximum(norms, 1e-12)) @ f
    g = c.num_graphs
    k = min(k, g - 1)
    out = np.empty((g, k), dtype=np.int64)
    ft = f.T.tocsc()
    for lo in range(0, g, block):  # G / 1024 blocks
        sim = (f[lo:lo + block] @ ft).toarray()
        rows = np.arange(sim.shape[0])
        sim[rows, lo + rows] = -np.inf
        # stable top-k: sort by (-sim, id)
        order = np.lexsort((np.broadcast_to(np.arange(g), sim.shape), -sim), axis=1)
        out[lo:lo + block] = order[:, :k]
    return out
