"""CDP pseudo-label propagation: split a scored graph into clusters of bounded size.

Algorithm (DESIGN, after the CDP consensus-driven propagation of Zhan et al., 2018): take the
connected components of the whole graph; those of at most ``max_size`` nodes are final, the
rest form the *pool*. Then repeatedly raise the threshold ``th <- th + (1 - th) * step``
(starting from the lowest score), drop pool edges scoring below it and take the connected
components of the pool again: the small ones become final, the big ones stay in the pool,
until the pool is empty.

The reference transcription (``imbgraph.testing.reference.cdp_reference``) does this with a
breadth-first search per node in pure Python; here each pass is one
``scipy.sparse.csgraph.connected_components`` call on the shrinking pool, with identical
partitions.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np

from imbgraph.graph import canonical_labels, components, undirected_mean

__all__ = ["propagate"]

log = logging.getLogger(__name__)


def _validate(edges, scores, n_nodes, max_size, step, max_iter,
              pool) -> tuple[np.ndarray, np.ndarray]:
    """Check the arguments of ``propagate``; return edges and float64 scores as arrays."""
    edges = np.asarray(edges)
    scores = np.asarray(scores)
    if edges.ndim != 2 or edges.shape[1] != 2:
        raise ValueError(f"edges must have shape (E, 2): shape is {edges.shape}")
    if edges.shape[0] > 0 and not np.issubdtype(edges.dtype, np.integer):
        raise ValueError(f"edges must hold integer node ids: dtype is {edges.dtype}")
    if scores.shape != (edges.shape[0],):
        raise ValueError(
            f"scores must have shape (E,) = ({edges.shape[0]},) to match edges: "
            f"shape is {scores.shape}"
        )
    if int(n_nodes) != n_nodes or n_nodes < 0:
        raise ValueError(f"n_nodes = {n_nodes!r}; expected a non-negative integer")
    if int(max_size) != max_size or max_size < 1:
        raise ValueError(f"max_size = {max_size!r}; expected an integer >= 1")
    if not 0.0 < step <= 1.0:
        raise ValueError(f"step = {step!r}; expected 0 < step <= 1")
    if pool not in ("max", "avg"):
        raise ValueError(f"pool = {pool!r}; expected 'max' or 'avg'")
    if max_iter is not None and (int(max_iter) != max_iter or max_iter < 1):
        raise ValueError(f"max_iter = {max_iter!r}; expected None or an integer >= 1")
    if edges.shape[0] > 0:
        lo, hi = int(edges.min()), int(edges.max())
        if lo < 0 or hi >= n_nodes:
            raise ValueError(
                f"edges hold node ids in [{lo}, {hi}]; expected ids in [0, n_nodes) = "
                f"[0, {n_nodes})"
            )
    scores = scores.astype(np.float64, copy=False)
    if not np.isfinite(scores).all():
        raise ValueError("scores must be finite: found NaN or inf")
    return edges, scores


class _NoBar:
    """Stands in for a tqdm bar when ``progress`` is off."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, **kwargs) -> None:
        pass

    def close(self) -> None:
        pass


def propagate(
    edges: np.ndarray,
    scores: np.ndarray,
    n_nodes: int,
    *,
    max_size: int,
    step: float,
    max_iter: int | None = None,
    pool: str = "max",
    progress: bool = False,
) -> np.ndarray:
    """Cluster a scored graph by CDP pseudo-label propagation.

    Parameters
    ----------
    edges : ndarray of shape (E, 2), integer
        Undirected edges as pairs of node ids in [0, n_nodes). Direction, self loops and
        duplicates are allowed; how a pair listed several times is scored is ``pool``'s.
    scores : ndarray of shape (E,), float
        Edge scores, compared in float64; normally in [0, 1] (the threshold approaches 1).
    n_nodes : int
        Number of nodes; nodes in no edge come out as singletons.
    max_size : int
        Largest allowed cluster (>= 1).
    step : float
        Threshold step in (0, 1]: each pass moves the threshold this share of the way to 1.
    max_iter : int or None, optional
        Stop after this many passes, counting the first, unthresholded one, and return the
        whole remaining pool as ONE cluster (CDP uses 100; note that CDP's own counter skips
        the first pass, so its 100 is 101 here). None (default) runs until the pool is empty.
    pool : {"max", "avg"}, optional
        How the copies of a pair are pooled: ``"max"`` (default) links the pair while any
        copy scores at least the threshold (its highest score counts); ``"avg"`` scores it by
        the mean of its copies (L-GCN and DIGL pool their directed (pivot, hop-1) scores this
        way). Either way the threshold starts at the lowest score *before* pooling, as CDP
        and L-GCN compute it.
    progress : bool, optional
        Show a tqdm bar over passes.

    Returns
    -------
    ndarray of shape (n_nodes,), int64
        Cluster id of each node, 0..C-1, numbered in order of each cluster's smallest node id.

    Warns
    -----
    UserWarning
        If the threshold stops increasing in float64 (it reached 1.0, or got stuck just below
        it for a small step) while the pool still holds components larger than ``max_size``,
        i.e. edges scoring at least the final threshold. CDP would loop forever; here those
        components are kept as clusters, oversize.

    Notes
    -----
    The first pass is "connected components of all edges", then pass ``k`` uses threshold
    ``th_k = th_{k-1} + (1 - th_{k-1}) * step`` with ``th_1 = scores.min()``. The reference
    BFS also returns to the pool any group that touches a node already returned; components
    are disjoint, so that is the same as returning every oversize component whole, which is
    what is done here. A pass that drops no pool edge cannot split anything, so the scalar
    threshold is advanced without touching the graph until it passes the lowest pool-edge
    score (those passes still count towards ``max_iter``). An edge that is dropped between two
    pool components never needs to be considered again because the threshold only rises.
    """
    edges, scores = _validate(edges, scores, n_nodes, max_size, step, max_iter, pool)
    pooling = pool  # `pool` names the node pool below
    n_nodes = int(n_nodes)
    max_size = int(max_size)
    step = float(step)
    if n_nodes == 0:
        return np.empty(0, dtype=np.int64)
    index_dtype = np.int32 if n_nodes < np.iinfo(np.int32).max else np.int64
    # The pool: global ids of its nodes, and its edges in pool-local ids 0..len(pool)-1.
    pool = np.arange(n_nodes, dtype=index_dtype)
    src = edges[:, 0].astype(index_dtype)
    dst = edges[:, 1].astype(index_dtype)
    score = scores
    # Python floats are IEEE float64, as in the reference, so the threshold sequence is
    # bit-identical to it.
    th = float(score.min()) if score.shape[0] else 0.0
    if pooling == "avg":  # after the threshold's start: the references pool after taking it
        pooled, score = undirected_mean(src, dst, score)
        src, dst = pooled[:, 0].astype(index_dtype), pooled[:, 1].astype(index_dtype)

    raw = np.empty(n_nodes, dtype=np.int64)  # cluster id of each finalised node, with gaps
    next_id = 0

    def split() -> None:
        """One pass: finalise the small components of the pool, keep the big ones."""
        nonlocal pool, src, dst, score, next_id, pool_comp, min_score
        n_comp, comp = components(pool.shape[0], src, dst)
        size = np.bincount(comp, minlength=n_comp)
        small = size[comp] <= max_size
        # Final clusters take ids next_id + component id; the gaps go at the end.
        raw[pool[small]] = next_id + comp[small]
        next_id += n_comp
        n_final = int(np.count_nonzero(small))
        log.info(
            "pass %d: th=%.6g pool=%d finalised=%d nodes in %d clusters",
            n_pass,
            th,
            pool.shape[0],
            n_final,
            int(np.count_nonzero(size <= max_size)),
        )
        bar.set_postfix(th=f"{th:.6g}", pool=pool.shape[0] - n_final)
        big = ~small
        # Edges never cross components, so one endpoint tells whether an edge stays.
        keep = big[src]
        local = np.cumsum(big, dtype=index_dtype) - 1
        src, dst, score = local[src[keep]], local[dst[keep]], score[keep]
        pool, pool_comp = pool[big], comp[big]
        # Pool components have >= 2 nodes, hence edges, whenever the pool is not empty.
        min_score = float(score.min()) if score.shape[0] else np.inf

    bar = _NoBar()
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(desc="propagate", unit="pass")
    pool_comp = np.empty(0, dtype=np.int64)  # component of each pool node, from the last pass
    min_score = np.inf  # lowest score of a pool edge
    try:
        n_pass = 1  # the first pass takes every edge
        bar.update(1)
        split()
        while pool.shape[0] > 0:
            if max_iter is not None and n_pass >= max_iter:
                log.info(
                    "max_iter = %d passes reached at th=%.6g: the %d pool nodes become one cluster",
                    max_iter,
                    th,
                    pool.shape[0],
                )
                raw[pool] = next_id
                next_id += 1
                break
            th_next = th + (1.0 - th) * step
            if not th_next > th:
                _, comp_ids = np.unique(pool_comp, return_inverse=True)
                n_left = int(comp_ids.max()) + 1
                warnings.warn(
                    f"propagate: the threshold stopped increasing at th={th!r} after "
                    f"{n_pass} passes, with {pool.shape[0]} nodes left in {n_left} "
                    f"components larger than max_size={max_size} (their edges score >= th); "
                    f"keeping these components as clusters",
                    UserWarning,
                    stacklevel=2,
                )
                raw[pool] = next_id + comp_ids.reshape(-1)
                next_id += n_left
                break
            th = th_next
            n_pass += 1
            bar.update(1)
            if not th > min_score:
                # Nothing drops below th, so the components (all oversize) stay as they are.
                log.info(
                    "pass %d: th=%.6g pool=%d finalised=0 (no pool edge below th)",
                    n_pass,
                    th,
                    pool.shape[0],
                )
                continue
            keep = score >= th
            src, dst, score = src[keep], dst[keep], score[keep]
            split()
    finally:
        bar.close()
    return canonical_labels(raw)
