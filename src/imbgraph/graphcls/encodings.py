"""Random-walk positional encodings (Dwivedi et al., ICLR 2022), computed once per dataset.

The encoding of node i is (P_ii, (P^2)_ii, ..., (P^dim)_ii) with P = D^-1 A the random-walk
matrix of its graph: the chance a walk from i is back at i after k steps. UniImb feeds it into
the GIN backbone (a per-dataset ``pos_enc`` of 1-32, default 3).

Two implementations give the same numbers (tests/graphcls/test_encodings.py):

* ``pyg``: PyG's ``AddRandomWalkPE`` on chunks of consecutive graphs (a block-diagonal
  adjacency gives every graph its own encoding). It forms every power P^1..P^dim; their
  fill-in makes D&D at dim 16 take 150 s and 8 GB.
* ``half`` (default): only P^1..P^ceil(dim/2) are formed (scipy CSR) and
  (P^k)_ii = sum_j (P^a)_ij (P^b)_ji with a + b = k, a row sum of an element-wise product.
  Written by hand because no library computes just the diagonals; D&D at dim 16 takes 12 s
  and 0.8 GB.

The result is cached as a file by a pipeline rule and reused by every method and run.

Laplacian encodings (:func:`laplacian_pe`, :func:`laplacian_spectrum_stats`):

* :func:`laplacian_pe` is the usual Laplacian eigenvector PE (PyG's
  ``AddLaplacianEigenvectorPE``): the ``dim`` eigenvectors of L = I - D^-1/2 A D^-1/2 after
  the first, by dense ``eigh`` per graph, graphs of one size stacked into one call.
* UniImb's GIN adds a "LapPE" branch after its first layer: for node i of a graph of n nodes
  with unnormalised L = D - A = V diag(lam) V^T it forms
  sum_{j<n} [f_V(V_ij) + f_V(-V_ij) + f_S(lam_j)] with f_V, f_S = ``Linear(1, h)``. Both are
  affine, so f_V(v) + f_V(-v) = 2 b_V for every v (the eigenvectors cancel) and
  sum_j f_S(lam_j) = n b_S + W_S trace(L), trace(L) = sum of degrees = the graph's number of
  directed edges (both directions of each undirected edge; ``get_laplacian`` drops self
  loops). The branch is therefore n (2 b_V + b_S) + W_S trace(L), the same vector for every
  node of a graph, and :func:`laplacian_spectrum_stats` gives what it needs, (n, trace(L)),
  without any eigendecomposition (:class:`~imbgraph.graphcls.models.GINEncoder`,
  ``lap_branch="official"``; tests/graphcls/test_models.py checks it against the literal
  eigendecomposition).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from imbgraph.graphcls.collection import GraphCollection, ranges

__all__ = ["random_walk_pe", "laplacian_pe", "laplacian_spectrum_stats", "PE_METHODS"]

PE_METHODS = ("half", "pyg")


def _chunks(node_ptr: np.ndarray, chunk_nodes: int) -> list[tuple[int, int]]:
    """Consecutive graph ranges [g0, g1) of about ``chunk_nodes`` nodes each."""
    bounds = np.searchsorted(node_ptr, np.arange(chunk_nodes, int(node_ptr[-1]), chunk_nodes))
    cuts = np.unique(np.concatenate([[0], bounds, [node_ptr.shape[0] - 1]]))
    return list(zip(cuts[:-1].tolist(), cuts[1:].tolist()))


def _half_powers(src: np.ndarray, dst: np.ndarray, n: int, dim: int) -> np.ndarray:
    deg = np.bincount(src, minlength=n).astype(np.float64)
    p = sp.csr_matrix((1.0 / np.maximum(deg, 1.0)[src], (src, dst)), shape=(n, n))
    pows = [None, p]
    for _ in range(2, (dim + 1) // 2 + 1):
        pows.append(pows[-1] @ p)
    out = np.empty((n, dim), dtype=np.float32)
    for k in range(1, dim + 1):
        a, b = (k + 1) // 2, k // 2
        if b == 0:
            out[:, 0] = p.diagonal()
        else:
            out[:, k - 1] = np.asarray(pows[a].multiply(pows[b].T).sum(axis=1)).ravel()
    return out


def _pyg(src: np.ndarray, dst: np.ndarray, n: int, dim: int) -> np.ndarray:
    import torch  # only this reference implementation needs torch / PyG
    from torch_geometric.data import Data
    from torch_geometric.transforms import AddRandomWalkPE

    data = Data(edge_index=torch.from_numpy(np.stack([src, dst])), num_nodes=n)
    return AddRandomWalkPE(walk_length=dim, attr_name="pe")(data).pe.numpy()


def random_walk_pe(collection: GraphCollection, dim: int, *, method: str = "half",
                   chunk_nodes: int = 20_000) -> np.ndarray:
    """Random-walk positional encoding of every node.

    Parameters
    ----------
    collection : GraphCollection
    dim : int, walk lengths 1..dim
    method : ``"half"`` (default) or ``"pyg"`` (see the module docstring)
    chunk_nodes : int, nodes per chunk of consecutive graphs (bounds memory)

    Returns
    -------
    ndarray of shape (n_nodes, dim), float32; isolated nodes get zeros.

    Example: a triangle gives every node (0, 1/2, 1/4): no 1-step return, a 2-step return
    through either neighbour with probability 1/2, and 3 steps return with probability 1/4.
    """
    if int(dim) != dim or dim < 1:
        raise ValueError(f"dim = {dim!r}; expected an integer >= 1")
    if method not in PE_METHODS:
        raise ValueError(f"method = {method!r}; expected one of {PE_METHODS}")
    fn = _half_powers if method == "half" else _pyg
    out = np.zeros((collection.num_nodes, int(dim)), dtype=np.float32)
    ptr, eptr = collection.node_ptr, collection.edge_ptr
    for g0, g1 in _chunks(ptr, chunk_nodes):  # a few dozen chunks of whole graphs
        lo, hi = int(ptr[g0]), int(ptr[g1])
        e = collection.edge_index[:, int(eptr[g0]):int(eptr[g1])] - lo
        out[lo:hi] = fn(e[0], e[1], hi - lo, int(dim))
    return out


def _sym_laplacians(collection: GraphCollection, graphs: np.ndarray, n: int) -> np.ndarray:
    """Dense I - D^-1/2 A D^-1/2 (len(graphs), n, n) float64 of graphs ``graphs``, each of n
    nodes (isolated nodes: a 1 on the diagonal, as PyG's ``get_laplacian``)."""
    ptr, eptr = collection.node_ptr, collection.edge_ptr
    e_len = eptr[graphs + 1] - eptr[graphs]
    pos = np.repeat(np.arange(graphs.shape[0]), e_len)
    eid = np.repeat(eptr[graphs], e_len) + ranges(e_len)
    src = collection.edge_index[0, eid] - ptr[graphs][pos]
    dst = collection.edge_index[1, eid] - ptr[graphs][pos]
    a = np.zeros((graphs.shape[0], n, n))
    a[pos, src, dst] = 1.0
    deg = a.sum(axis=2)
    dis = np.divide(1.0, np.sqrt(deg), out=np.zeros_like(deg), where=deg > 0)
    lap = -(dis[:, :, None] * a * dis[:, None, :])
    lap[:, np.arange(n), np.arange(n)] += 1.0
    return lap


def laplacian_pe(collection: GraphCollection, dim: int, *, dense_below: int = 1000,
                 block_bytes: int = 64 << 20) -> np.ndarray:
    """Laplacian eigenvector positional encoding of every node.

    Per graph, the eigenvectors 2..dim+1 (by increasing eigenvalue) of its symmetric
    normalised Laplacian I - D^-1/2 A D^-1/2, as PyG's ``AddLaplacianEigenvectorPE(dim)``;
    the first (trivial) one is skipped. An eigenvector's sign is arbitrary (PyG flips each at
    random; here it is whatever LAPACK returns, deterministic), and so is the basis of a
    repeated eigenvalue.

    Parameters
    ----------
    collection : GraphCollection
    dim : int, eigenvectors per node (k)
    dense_below : int, graphs of fewer nodes are stacked by size into batched ``eigh`` calls;
        larger ones get ``scipy.linalg.eigh`` of the k+1 smallest eigenpairs only
    block_bytes : int, bound on one stack of dense Laplacians

    Returns
    -------
    ndarray of shape (n_nodes, dim), float32; a graph of n <= dim nodes gets its n - 1
    non-trivial eigenvectors and zeros in the remaining columns.
    """
    if int(dim) != dim or dim < 1:
        raise ValueError(f"dim = {dim!r}; expected an integer >= 1")
    dim = int(dim)
    out = np.zeros((collection.num_nodes, dim), dtype=np.float32)
    sizes, ptr = collection.sizes, collection.node_ptr
    for n in np.unique(sizes).tolist():  # one batched eigh per distinct size (a few hundred)
        graphs = np.flatnonzero(sizes == n)
        k = min(dim, n - 1)
        if k == 0:
            continue
        if n < dense_below:
            step = max(1, block_bytes // (8 * n * n))
            for s in range(0, graphs.shape[0], step):
                part = graphs[s:s + step]
                _, vecs = np.linalg.eigh(_sym_laplacians(collection, part, n))
                rows = (ptr[part][:, None] + np.arange(n)).ravel()
                out[rows, :k] = vecs[:, :, 1:k + 1].reshape(-1, k)
        else:
            from scipy.linalg import eigh

            for g in graphs.tolist():  # large graphs are few
                lap = _sym_laplacians(collection, np.array([g]), n)[0]
                _, vecs = eigh(lap, subset_by_index=[0, k])
                out[ptr[g]:ptr[g] + n, :k] = vecs[:, 1:k + 1]
    return out


def laplacian_spectrum_stats(collection: GraphCollection) -> np.ndarray:
    """What UniImb's LapPE branch reads of each node's graph spectrum (module docstring):
    (n, trace(L)) of the unnormalised Laplacian L = D - A of the node's graph, i.e. its node
    count and its sum of eigenvalues (= sum of degrees = directed edge count).

    Returns
    -------
    ndarray of shape (n_nodes, 2), float32, the same row for every node of a graph.
    """
    sizes = collection.sizes
    per_graph = np.stack([sizes, np.diff(collection.edge_ptr)], axis=1).astype(np.float32)
    return np.repeat(per_graph, sizes, axis=0)
