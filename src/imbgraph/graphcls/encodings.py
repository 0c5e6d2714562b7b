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
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from imbgraph.graphcls.collection import GraphCollection

__all__ = ["random_walk_pe", "PE_METHODS"]

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
