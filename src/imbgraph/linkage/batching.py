"""Turn sampled IPS (supersets + chosen candidates) into one block-diagonal graph batch.

For pivot i with chosen candidate positions S_i, the IPS node set is
{pivot} u cand[S_i] u hop2[S_i] (local ids into the superset); its edges are the stored
top-u links with both ends kept, made symmetric, and row-normalised (mean aggregation).
Everything is flat index arithmetic over the whole batch: no per-pivot Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from imbgraph.linkage.subgraphs import Supersets


@dataclass
class GraphBatch:
    """A batch of IPS as one graph.

    x       : (n_nodes, D) float32 node features x_q - x_pivot
    adj     : (n_nodes, n_nodes) sparse CSR, row-normalised symmetric adjacency (L-GCN)
    adj_sym : the same pattern normalised symmetrically, D^-1/2 A D^-1/2 (RGCN)
    hop1    : (B * k1,) int64 row in x of every chosen hop-1 entry (repeats allowed)
    pivot   : (B * k1,) int64 global id of the entry's pivot
    target  : (B * k1,) int64 global id of the hop-1 node
    """

    x: torch.Tensor
    adj: torch.Tensor
    adj_sym: torch.Tensor
    hop1: torch.Tensor
    pivot: np.ndarray
    target: np.ndarray

    def to(self, device: torch.device) -> "GraphBatch":
        return GraphBatch(
            self.x.to(device), self.adj.to(device), self.adj_sym.to(device),
            self.hop1.to(device), self.pivot, self.target,
        )

    def adjacency(self, normalization: str) -> torch.Tensor:
        """The adjacency a model asks for: ``"row"`` (mean) or ``"sym"`` (D^-1/2 A D^-1/2)."""
        if normalization not in ("row", "sym"):
            raise ValueError(f"normalization = {normalization!r}; expected 'row' or 'sym'")
        return self.adj if normalization == "row" else self.adj_sym


def induced_ips(
    sets: Supersets, rows: np.ndarray, chosen: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Node and edge sets of the IPS of ``rows`` (indices into ``sets``) for ``chosen``.

    Returns
    -------
    kept : (n_nodes,) flat positions into ``sets.nodes`` of the kept nodes, pivot by pivot
    owner : (n_nodes,) batch row (0..B-1) of every kept node
    src, dst : (E,) batch-local node indices of the undirected edges, both directions, unique
    hop1 : (B, k1) batch-local node index of each chosen hop-1 entry
    """
    b, k1 = chosen.shape
    start = sets.offset[rows]
    size = sets.offset[rows + 1] - start
    # Work in the batch's own flat space: pivot i's superset occupies [base[i], base[i+1]).
    base = np.concatenate([[0], np.cumsum(size)])
    total = int(base[-1])
    hop1_local = np.take_along_axis(sets.cand[rows], chosen, axis=1)  # (b, k1)
    hop2_local = sets.hop2[rows[:, None], chosen]  # (b, k1, k2)
    mark = np.zeros(total, dtype=bool)
    mark[base[:-1]] = True
    mark[base[:-1, None] + hop1_local] = True
    mark[(base[:-1, None, None] + hop2_local).reshape(-1)] = True
    kept_b = np.flatnonzero(mark)  # batch-flat positions, pivot by pivot, local order
    owner = np.repeat(np.arange(b), size)[kept_b]
    kept = kept_b - base[:-1][owner] + start[owner]  # positions in sets.nodes / sets.unn
    new_id = np.full(total, -1, dtype=np.int64)
    new_id[kept_b] = np.arange(len(kept_b))

    # Directed top-u links among kept nodes, then both directions, deduplicated.
    u = sets.unn.shape[1]
    nbr_local = sets.unn[kept]  # (n_nodes, u) local ids or -1
    nbr_b = base[:-1][owner][:, None] + np.maximum(nbr_local, 0)
    dst_new = np.where(nbr_local >= 0, new_id[nbr_b], -1)
    src_new = np.repeat(np.arange(len(kept)), u)
    dst_new = dst_new.reshape(-1)
    ok = dst_new >= 0
    s, d = src_new[ok], dst_new[ok]
    ok = s != d
    s, d = s[ok], d[ok]
    n = len(kept)
    key = np.unique(np.concatenate([s * n + d, d * n + s]))
    src, dst = key // n, key % n
    hop1 = new_id[base[:-1, None] + hop1_local]
    return kept, owner, src, dst, hop1


def build_batch(
    sets: Supersets,
    rows: np.ndarray,
    chosen: np.ndarray,
    features: np.ndarray,
) -> GraphBatch:
    """Assemble the model input for the IPS of ``rows`` with hop-1 choice ``chosen`` (B, k1)."""
    kept, owner, src, dst, hop1 = induced_ips(sets, rows, chosen)
    glob = sets.nodes[kept]
    pivots = sets.pivot[rows]
    x = features[glob] - features[pivots[owner]]
    n = len(kept)
    deg = np.bincount(src, minlength=n).astype(np.float32)
    # Edges are sorted by (src, dst), so CSR row pointers come straight from the degrees.
    crow = torch.from_numpy(np.concatenate([[0], np.cumsum(deg.astype(np.int64))]))
    col = torch.from_numpy(dst.astype(np.int64))

    def csr(values: np.ndarray) -> torch.Tensor:
        return torch.sparse_csr_tensor(
            crow, col, torch.from_numpy(values.astype(np.float32)), size=(n, n),
            check_invariants=False,  # built sorted and in range above; checks cost time
        )

    adj = csr(1.0 / deg[src])
    adj_sym = csr(1.0 / np.sqrt(deg[src] * deg[dst]))
    k1 = chosen.shape[1]
    return GraphBatch(
        x=torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)),
        adj=adj,
        adj_sym=adj_sym,
        hop1=torch.from_numpy(hop1.reshape(-1)),
        pivot=np.repeat(pivots, k1).astype(np.int64),
        target=glob[hop1.reshape(-1)].astype(np.int64),
    )
