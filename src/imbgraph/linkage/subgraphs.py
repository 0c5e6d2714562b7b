"""Instance pivot subgraphs (IPS) of L-GCN, materialised as candidate *supersets*.

For a pivot p with candidate hop-1 list C (its ``n_cand = ceil(k1 * gamma)`` nearest
neighbours, in similarity order), the superset holds

* ``nodes``: p, then C, then every candidate's ``k2`` nearest neighbours (hop 2), each node
  once, in first-seen order, stored as global ids;
* ``hop2``: for every candidate, the local ids of its k2 nearest neighbours (n_cand x k2);
* ``unn``: for every node of the superset, the local ids of its top-``u`` neighbours that are
  in the superset, -1 for those outside (n_nodes x u). An IPS edge (a, b) exists when b is in
  a's top-u list or a in b's and both are in the IPS (L-GCN symmetrises its adjacency).

A sampler picks k1 of the candidates per epoch; the IPS is then the part of the superset
induced by {p} u S u hop2(S) (see :mod:`imbgraph.linkage.batching`). Everything here is
vectorised over a block of pivots: one argsort per block, no per-pivot Python loop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from imbgraph.linkage.samplers import n_candidates

log = logging.getLogger(__name__)

LUT_ENTRIES = 1 << 24  # lookup-table budget per block: 64 MiB of int32


@dataclass(frozen=True)
class IpsSpec:
    """Sizes of an IPS superset: k1 hop-1 nodes drawn from ceil(k1 * gamma) candidates."""

    k1: int
    k2: int
    u: int
    gamma: float = 1.0

    @property
    def n_cand(self) -> int:
        return n_candidates(self.k1, self.gamma)

    @property
    def max_nodes(self) -> int:
        return 1 + self.n_cand * (1 + self.k2)

    def check(self, knn_k: int) -> None:
        need = max(self.n_cand, self.k2, self.u)
        if self.gamma < 1:
            raise ValueError(f"subgraph gamma = {self.gamma}; expected >= 1")
        if need > knn_k:
            raise ValueError(
                f"subgraphs need {need} neighbours per node (ceil(k1*gamma) = {self.n_cand}, "
                f"k2 = {self.k2}, u = {self.u}) but the kNN table has k = {knn_k}"
            )


@dataclass
class Supersets:
    """A block of supersets in flat (CSR-like) form.

    pivot  : (P,) int32 global pivot ids
    offset : (P + 1,) int64; nodes of pivot i are nodes[offset[i]:offset[i+1]]
    nodes  : (M,) int32 global ids, local order (pivot first)
    cand   : (P, n_cand) local ids of the candidates (1..n_cand unless kNN lists repeat ids)
    hop2   : (P, n_cand, k2) local ids of each candidate's hop-2 neighbours
    unn    : (M, u) local ids of each node's top-u neighbours inside the superset, else -1
    """

    pivot: np.ndarray
    offset: np.ndarray
    nodes: np.ndarray
    cand: np.ndarray
    hop2: np.ndarray
    unn: np.ndarray

    def __len__(self) -> int:
        return int(self.pivot.shape[0])

    @property
    def sizes(self) -> np.ndarray:
        return np.diff(self.offset)

    def to_arrow(self) -> pa.Table:
        local = pa.int16() if self.sizes.max(initial=0) < 2**15 else pa.int32()
        p, c = self.cand.shape
        k2 = self.hop2.shape[2]
        u = self.unn.shape[1]

        def fixed(a: np.ndarray, width: int, typ: pa.DataType) -> pa.Array:
            return pa.FixedSizeListArray.from_arrays(pa.array(a.reshape(-1), typ), width)

        def ragged(a: np.ndarray, offsets: np.ndarray, typ: pa.DataType) -> pa.Array:
            return pa.ListArray.from_arrays(pa.array(offsets.astype(np.int32)), pa.array(a, typ))

        return pa.table(
            {
                "pivot": pa.array(self.pivot, pa.int32()),
                "nodes": ragged(self.nodes, self.offset, pa.int32()),
                "cand": fixed(self.cand, c, local),
                "hop2": fixed(self.hop2, c * k2, local),
                "unn": ragged(self.unn.reshape(-1), self.offset * u, local),
            }
        )

    @classmethod
    def from_arrow(cls, table: pa.Table) -> "Supersets":
        p = table.num_rows
        nodes = table.column("nodes").combine_chunks()
        cand = table.column("cand").combine_chunks()
        hop2 = table.column("hop2").combine_chunks()
        unn = table.column("unn").combine_chunks()
        c = cand.type.list_size
        k2 = hop2.type.list_size // c
        offset = nodes.offsets.to_numpy().astype(np.int64)
        offset = offset - offset[0]
        m = int(offset[-1])
        u = (len(unn.flatten()) // m) if m else 0
        return cls(
            pivot=table.column("pivot").to_numpy().astype(np.int32),
            offset=offset,
            nodes=nodes.flatten().to_numpy().astype(np.int32),
            cand=cand.flatten().to_numpy().astype(np.int32).reshape(p, c),
            hop2=hop2.flatten().to_numpy().astype(np.int32).reshape(p, c, k2),
            unn=unn.flatten().to_numpy().astype(np.int32).reshape(m, u),
        )

    @staticmethod
    def concat(parts: list["Supersets"]) -> "Supersets":
        sizes = np.concatenate([p.sizes for p in parts])
        return Supersets(
            pivot=np.concatenate([p.pivot for p in parts]),
            offset=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
            nodes=np.concatenate([p.nodes for p in parts]),
            cand=np.concatenate([p.cand for p in parts]),
            hop2=np.concatenate([p.hop2 for p in parts]),
            unn=np.concatenate([p.unn for p in parts]),
        )


def read_supersets(paths) -> Supersets:
    """The supersets of every shard file in ``paths`` (Parquet, see :meth:`Supersets.to_arrow`),
    concatenated in the given order."""
    from imbgraph.io.tables import read_parquet_table

    return Supersets.concat([Supersets.from_arrow(read_parquet_table(p)) for p in paths])


def _build_block(
    nbr: np.ndarray, pivots: np.ndarray, spec: IpsSpec, lut: np.ndarray
) -> Supersets:
    n = nbr.shape[0]
    b, c, k2 = len(pivots), spec.n_cand, spec.k2
    cand_g = nbr[pivots, :c].astype(np.int64)  # (b, c)
    hop2_g = nbr[cand_g, :k2].astype(np.int64)  # (b, c, k2)
    seq = np.concatenate([pivots[:, None].astype(np.int64), cand_g, hop2_g.reshape(b, c * k2)], 1)
    width = seq.shape[1]

    # Unique per row in first-seen order: a stable sort groups equal ids with the earliest
    # occurrence first; ranking the groups by that first position gives the local ids.
    order = np.argsort(seq, axis=1, kind="stable")
    srt = np.take_along_axis(seq, order, axis=1)
    is_first = np.ones_like(srt, dtype=bool)
    is_first[:, 1:] = srt[:, 1:] != srt[:, :-1]
    group = np.cumsum(is_first, axis=1) - 1  # group index within the row, by sorted value
    rows_f, cols_f = np.nonzero(is_first)  # row-major: groups of a row in value order
    first_pos = order[rows_f, cols_f]
    # Local id = rank of the group's first position within its row.
    key = rows_f.astype(np.int64) * width + first_pos
    by_pos = np.argsort(key, kind="stable")
    counts = is_first.sum(axis=1)
    offset = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    local_of_group = np.empty(len(key), dtype=np.int64)
    local_of_group[by_pos] = np.arange(len(key)) - np.repeat(offset[:-1], counts)
    group_flat = group + offset[:-1, None]  # flat group id of every sorted entry
    local = np.empty_like(seq)
    np.put_along_axis(local, order, local_of_group[group_flat], axis=1)
    nodes = srt[rows_f, cols_f][by_pos]  # flat, row by row, in local order

    # Top-u lists mapped to local ids through a (row, global id) -> local id lookup table:
    # one scattered write per node and one gather per query, instead of a binary search.
    node_row = np.repeat(np.arange(b, dtype=np.int64), counts)
    slot = node_row * n + nodes
    lut[slot] = np.arange(len(nodes)) - offset[:-1][node_row]
    unn = lut[nbr[nodes, : spec.u] + (node_row * n)[:, None]]
    lut[slot] = -1  # leave the table clean for the next block
    return Supersets(
        pivot=pivots.astype(np.int32),
        offset=offset,
        nodes=nodes.astype(np.int32),
        cand=local[:, 1 : 1 + c].astype(np.int32),
        hop2=local[:, 1 + c :].reshape(b, c, k2).astype(np.int32),
        unn=unn.astype(np.int32),
    )


def build_supersets(
    nbr: np.ndarray,
    pivots: np.ndarray,
    spec: IpsSpec,
    *,
    block: int = 512,
    progress: bool = False,
) -> Supersets:
    """Materialise the IPS supersets of ``pivots`` over a kNN table.

    Parameters
    ----------
    nbr : ndarray of shape (n, k), int, neighbours by decreasing similarity (self excluded)
    pivots : ndarray of shape (P,), the pivot node ids (e.g. one METIS shard)
    spec : IpsSpec, (k1, k2, u, gamma); the superset holds ceil(k1 * gamma) candidates
    block : most pivots per vectorised step; fewer when the lookup table (block x n int32)
        would exceed 64 MiB, so memory stays bounded on large splits
    """
    spec.check(nbr.shape[1])
    pivots = np.asarray(pivots, dtype=np.int64)
    n = nbr.shape[0]
    block = max(1, min(block, LUT_ENTRIES // max(n, 1)))
    lut = np.full(block * n, -1, dtype=np.int32)
    starts = range(0, len(pivots), block)
    if progress:
        from tqdm import tqdm

        starts = tqdm(starts, desc="subgraphs", unit="block")
    parts = []
    for s in starts:
        parts.append(_build_block(nbr, pivots[s : s + block], spec, lut))
        log.info("subgraphs: %d / %d pivots", min(s + block, len(pivots)), len(pivots))
    if not parts:
        return _build_block(nbr, pivots[:0], spec, lut)
    return Supersets.concat(parts)
