"""k nearest neighbours with faiss (inner product on L2-normalised rows = cosine).

The table is stored as Parquet with fixed-size list columns ``nbr`` (int32, k) and ``sim``
(float32, k), one row per node in node order, the node itself excluded, neighbours sorted by
decreasing similarity. The same function serves the train subsets and the test split, so both
sides of an experiment see the same kind of graph.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Literal

import faiss
import numpy as np
import pyarrow as pa

log = logging.getLogger(__name__)

IndexKind = Literal["flat", "hnsw", "ivf"]


@dataclass(frozen=True)
class KnnTable:
    """nbr : (n, k) int32 neighbour ids; sim : (n, k) float32 inner products."""

    nbr: np.ndarray
    sim: np.ndarray

    @property
    def k(self) -> int:
        return int(self.nbr.shape[1])

    def to_arrow(self) -> pa.Table:
        n, k = self.nbr.shape
        nbr = pa.FixedSizeListArray.from_arrays(pa.array(self.nbr.reshape(-1), pa.int32()), k)
        sim = pa.FixedSizeListArray.from_arrays(pa.array(self.sim.reshape(-1), pa.float32()), k)
        return pa.table({"nbr": nbr, "sim": sim})

    @classmethod
    def from_arrow(cls, table: pa.Table) -> "KnnTable":
        n = table.num_rows
        nbr = table.column("nbr").combine_chunks()
        sim = table.column("sim").combine_chunks()
        k = nbr.type.list_size
        return cls(
            nbr.values.to_numpy().reshape(n, k).astype(np.int32, copy=False),
            sim.values.to_numpy().reshape(n, k).astype(np.float32, copy=False),
        )


def _build_index(features: np.ndarray, kind: IndexKind, params: dict) -> faiss.Index:
    n, dim = features.shape
    if kind == "flat":
        index = faiss.IndexFlatIP(dim)
    elif kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, int(params.get("m", 32)), faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = int(params.get("ef_construction", 80))
        index.hnsw.efSearch = int(params.get("ef_search", 128))
    elif kind == "ivf":
        nlist = max(1, min(int(params.get("nlist", 1000)), n // 39))  # faiss wants >= 39 pts/list
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(features)
        index.nprobe = min(nlist, int(params.get("nprobe", 100)))
    else:
        raise ValueError(f"knn.index = {kind!r}; expected one of 'flat', 'hnsw', 'ivf'")
    index.add(features)
    return index


def _drop_self(
    ids: np.ndarray, sims: np.ndarray, k: int, self_ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Remove each row's own id from k+1 results (or the last column when self is absent)."""
    n = ids.shape[0]
    is_self = ids == self_ids[:, None]
    # Rows without themselves (duplicates, approximate search) lose their farthest result.
    no_self = ~is_self.any(axis=1)
    is_self[no_self, -1] = True
    # Among several hits (cannot happen for valid ids) keep only the first as "self".
    first = is_self.argmax(axis=1)
    keep = np.ones_like(is_self)
    keep[np.arange(n), first] = False
    return ids[keep].reshape(n, k), sims[keep].reshape(n, k)


def search(
    features: np.ndarray,
    k: int,
    *,
    index: IndexKind = "flat",
    index_params: dict | None = None,
    threads: int = 1,
    batch_size: int = 16384,
    progress: bool = False,
    source: str | None = None,
) -> KnnTable:
    """The k nearest neighbours (by inner product) of every row, itself excluded.

    Parameters
    ----------
    features : ndarray of shape (n, dim), float32, L2-normalised
    k : int, number of neighbours, 1 <= k < n
    index : "flat" (exact, default), "hnsw" or "ivf" (approximate)
    index_params : index options (``m``, ``ef_search``, ``nlist``, ``nprobe``)
    source : what the rows are and where k came from (a file, a config key), named in errors

    Returns
    -------
    KnnTable with nbr/sim of shape (n, k), neighbours by decreasing similarity.
    """
    features = np.ascontiguousarray(features, dtype=np.float32)
    n = features.shape[0]
    if not 1 <= k < n:
        where = f"{source}: " if source else ""
        why = (
            f"the split has only {n} rows, so at most {n - 1} neighbours per node exist"
            if k >= n else "k must be positive"
        )
        raise ValueError(
            f"{where}knn k = {k} must be in [1, {n - 1}] for {n} rows: {why}; lower k or "
            "use more rows"
        )
    faiss.omp_set_num_threads(max(1, threads))
    return _search(features, k, index, index_params or {}, batch_size, progress)


def _search(
    features: np.ndarray, k: int, index: IndexKind, index_params: dict, batch_size: int,
    progress: bool,
) -> KnnTable:
    n = features.shape[0]
    idx = _build_index(features, index, index_params)
    ids = np.empty((n, k), dtype=np.int32)
    sims = np.empty((n, k), dtype=np.float32)
    starts = range(0, n, batch_size)
    if progress:
        from tqdm import tqdm

        starts = tqdm(starts, desc=f"knn ({index})", unit="batch")
    t0 = time.perf_counter()
    for s in starts:
        block = features[s : s + batch_size]
        d, i = idx.search(block, k + 1)
        if (i < 0).any():
            raise ValueError(
                f"knn.index = {index!r} found fewer than k + 1 = {k + 1} neighbours for some "
                "rows; raise nprobe / ef_search or use the exact 'flat' index"
            )
        ids_b, sims_b = _drop_self(i, d, k, np.arange(s, s + len(block)))
        ids[s : s + len(block)] = ids_b
        sims[s : s + len(block)] = sims_b
        log.info("knn: %d / %d rows (%.1fs)", min(s + batch_size, n), n, time.perf_counter() - t0)
    return KnnTable(ids, sims)


def recall(approx: KnnTable, exact: KnnTable) -> float:
    """Mean fraction of each row's exact neighbours that the approximate table also found."""
    n, k = exact.nbr.shape
    # Offset every row into its own id range so one sorted 1-D array answers all rows at once.
    offset = np.arange(n, dtype=np.int64)[:, None] * (n + 1)
    found = np.sort(approx.nbr.astype(np.int64) + offset, axis=None)
    want = (exact.nbr.astype(np.int64) + offset).reshape(-1)
    pos = np.minimum(np.searchsorted(found, want), found.size - 1)
    return float((found[pos] == want).mean())



def sampled_recall(
    table: KnnTable, features: np.ndarray, n_queries: int, *, threads: int = 1, seed: int = 0
) -> float:
    """Recall of ``table`` against exact search, measured on ``n_queries`` random rows."""
    features = np.ascontiguousarray(features, dtype=np.float32)
    n, k = table.nbr.shape
    rows = np.sort(np.random.default_rng(seed).choice(n, size=min(n_queries, n), replace=False))
    faiss.omp_set_num_threads(max(1, threads))
    index = faiss.IndexFlatIP(features.shape[1])
    index.add(features)
    sims, ids = index.search(features[rows], k + 1)
    exact = KnnTable(*_drop_self(ids, sims, k, rows))
    return recall(KnnTable(table.nbr[rows], table.sim[rows]), exact)
