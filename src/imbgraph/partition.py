"""METIS k-way partitions of any undirected graph (pymetis): the shards of face subgraph
materialisation, ECGN's clusters and ClusterGCN's mini-batches all come from here."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def metis_partition(adj: sp.csr_matrix, n_parts: int, *, seed: int = 0) -> np.ndarray:
    """Assign every node to one of ``n_parts`` parts by METIS k-way partitioning.

    Parameters
    ----------
    adj : scipy sparse matrix of shape (n, n), symmetric, without self loops (see
        :func:`imbgraph.graph.symmetric_adjacency`); only its pattern is used
    n_parts : number of parts, 1 <= n_parts <= n
    seed : METIS's random seed (same graph and seed, same parts)

    Returns
    -------
    ndarray of shape (n,), int32 part ids in [0, n_parts). ``n_parts == 1`` puts every node in
    part 0 without calling METIS. Isolated nodes and several components are fine: METIS
    places them to balance the parts; a part may come out empty on tiny or odd graphs.

    Raises
    ------
    ValueError
        If n_parts is outside [1, n], or ``adj`` is not square, symmetric and loop-free.
    """
    adj = sp.csr_matrix(adj)
    n = adj.shape[0]
    if adj.shape != (n, n):
        raise ValueError(f"adjacency must be square: shape is {adj.shape}")
    if int(n_parts) != n_parts or n_parts < 1:
        raise ValueError(f"number of parts = {n_parts!r}; expected an integer >= 1")
    if n_parts > n:
        raise ValueError(f"number of parts = {n_parts} exceeds the {n} nodes of the graph; "
                         f"expected at most {n}")
    if n_parts == 1:
        return np.zeros(n, dtype=np.int32)
    pattern = (adj != 0).astype(np.int8)
    if pattern.diagonal().any():
        raise ValueError("adjacency has self loops; METIS expects none (drop the diagonal)")
    if (pattern != pattern.T).nnz:
        raise ValueError("adjacency is not symmetric; METIS expects an undirected graph")
    pattern.sort_indices()
    import pymetis  # imported here so that one-part runs do not need METIS at all

    # recursive=False: pymetis bisects recursively for <= 8 parts by default; we want k-way.
    _, parts = pymetis.part_graph(
        int(n_parts), pymetis.CSRAdjacency(pattern.indptr, pattern.indices),
        options=pymetis.Options(seed=int(seed)), recursive=False,
    )
    return np.asarray(parts, dtype=np.int32)
