"""METIS k-way partitions of a kNN graph (pymetis), the shards of subgraph materialisation."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def symmetric_adjacency(nbr: np.ndarray) -> sp.csr_matrix:
    """Undirected, unweighted adjacency of a kNN table, without self loops.

    nbr : ndarray of shape (n, k), neighbour ids. Returns a CSR matrix of shape (n, n).
    """
    n, k = nbr.shape
    rows = np.repeat(np.arange(n), k)
    cols = nbr.reshape(-1).astype(np.int64)
    a = sp.coo_matrix((np.ones(n * k, dtype=np.int8), (rows, cols)), shape=(n, n)).tocsr()
    a = ((a + a.T) > 0).astype(np.int8)
    a.setdiag(0)
    a.eliminate_zeros()
    return a.tocsr()


def metis_partition(nbr: np.ndarray, n_parts: int, *, seed: int = 0) -> np.ndarray:
    """Assign every node to one of ``n_parts`` shards by METIS k-way partitioning.

    Returns ndarray of shape (n,), int32 shard ids in [0, n_parts). ``n_parts == 1`` puts every
    node in shard 0 without calling METIS.
    """
    n = nbr.shape[0]
    if n_parts < 1:
        raise ValueError(f"partition.shards = {n_parts}; expected >= 1")
    if n_parts == 1:
        return np.zeros(n, dtype=np.int32)
    if n_parts > n:
        raise ValueError(f"partition.shards = {n_parts} exceeds the {n} nodes of the graph")
    import pymetis  # imported here so that one-shard runs do not need METIS at all

    adj = symmetric_adjacency(nbr)
    opts = pymetis.Options(seed=seed)
    # recursive=False: pymetis defaults to recursive bisection for <= 8 parts; we want k-way.
    _, parts = pymetis.part_graph(
        n_parts, pymetis.CSRAdjacency(adj.indptr, adj.indices), options=opts, recursive=False
    )
    return np.asarray(parts, dtype=np.int32)
