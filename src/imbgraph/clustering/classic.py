"""Classic face-clustering baselines (RGCN / L-GCN Table 2 style) behind one entry point.

K-means and agglomerative clustering are given the true number of identities, as the papers
do; DBSCAN, approximate rank-order (ARO), thresholded kNN components and CDP propagation on
raw cosine similarities are not. Features are L2-normalised rows, so cosine = inner product.
All clusterers return int64 labels 0..C-1 numbered by each cluster's smallest node id.
"""

from __future__ import annotations

import inspect
import time
from typing import Callable

import numpy as np

from imbgraph.clustering.propagate import propagate
from imbgraph.graph import canonical_labels, components, undirected_mean
from imbgraph.knn import KnnTable, search
from imbgraph.metrics.clustering import clustering_report

__all__ = [
    "CLUSTERERS", "agglomerative", "aro", "aro_distances", "cdp_raw", "dbscan",
    "evaluate_clusterer", "kmeans", "run_clusterer", "subsample_indices", "threshold_components",
]


def _components(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    return canonical_labels(components(n, src, dst)[1])


def _check_n_clusters(n_clusters: int, n: int) -> None:
    if int(n_clusters) != n_clusters or not 1 <= n_clusters <= n:
        raise ValueError(f"n_clusters = {n_clusters!r}; expected an integer in [1, {n}]")


def kmeans(features: np.ndarray, n_clusters: int, seed: int = 0, *, n_init: int = 1) -> np.ndarray:
    """Lloyd k-means (sklearn) with the given cluster count; euclidean on unit rows ~ cosine."""
    from sklearn.cluster import KMeans

    _check_n_clusters(n_clusters, features.shape[0])
    if int(n_init) != n_init or n_init < 1:
        raise ValueError(f"n_init = {n_init!r}; expected an integer >= 1")
    km = KMeans(n_clusters=int(n_clusters), n_init=int(n_init), random_state=seed)
    return canonical_labels(km.fit_predict(features))


def agglomerative(features: np.ndarray, n_clusters: int, linkage: str = "average") -> np.ndarray:
    """Bottom-up merging (sklearn) to the given cluster count; O(n^2) memory.

    ``average``/``complete``/``single`` use the cosine distance. ``ward`` needs euclidean; on
    unit rows ||x - y||^2 = 2 - 2 cos(x, y), so it still ranks merges by cosine.
    """
    from sklearn.cluster import AgglomerativeClustering

    _check_n_clusters(n_clusters, features.shape[0])
    if linkage not in ("ward", "average", "complete", "single"):
        raise ValueError(f"linkage = {linkage!r}; expected ward, average, complete or single")
    metric = "euclidean" if linkage == "ward" else "cosine"
    model = AgglomerativeClustering(n_clusters=int(n_clusters), metric=metric, linkage=linkage)
    return canonical_labels(model.fit_predict(features))


def dbscan(features: np.ndarray, eps: float, min_samples: int) -> np.ndarray:
    """DBSCAN (sklearn) on the cosine distance 1 - cos; each noise point becomes a singleton,
    so the metrics see it as its own (unmerged) cluster instead of one giant "-1" cluster."""
    from sklearn.cluster import DBSCAN

    if not eps > 0:
        raise ValueError(f"eps = {eps!r}; expected a cosine distance > 0")
    if int(min_samples) != min_samples or min_samples < 1:
        raise ValueError(f"min_samples = {min_samples!r}; expected an integer >= 1")
    raw = DBSCAN(eps=eps, min_samples=int(min_samples), metric="cosine").fit_predict(features)
    noise = raw < 0
    raw[noise] = raw.max(initial=-1) + 1 + np.arange(np.count_nonzero(noise))
    return canonical_labels(raw)


def aro_distances(knn: KnnTable, k: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Approximate rank-order distances D_m (Otto, Wang & Jain, TPAMI 2018) of kNN pairs.

    Conventions: node a's list is L_a = [a, nbr[a, 0], ..., nbr[a, k-1]], so O_a(a) = 0 and
    the j-th stored neighbour has rank O_a(.) = j + 1 in 1..k. "In b's top-k" means "in L_b"
    (b itself or one of its k neighbours). d_m(a, b) = #{i in 0..min(O_a(b), k) : L_a[i] not in
    L_b}; i = O_a(b) is b itself, always in L_b, so inclusive/exclusive upper ends agree.
    D_m(a, b) = (d_m(a, b) + d_m(b, a)) / min(O_a(b), O_b(a)).
    Pairs: every (a, b) with b in L_a, as in the paper (distances only to one's own top-k).
    When a is not in L_b, O_b(a) lies beyond the list (> k): the paper's min(., k) then sums
    d_m(b, a) over all of L_b, and the denominator is O_a(b). Lists have k + 1 distinct ids, so
    |L_b \\ L_a| = |L_a \\ L_b|, which is computed from a's side.

    Returns
    -------
    pairs : (P, 2) int64, each unordered pair once (a < b for mutual pairs)
    dist : (P,) float64, D_m of each pair
    """
    nbr = knn.nbr if k is None else knn.nbr[:, : _check_k(k, knn.k)]
    n, k = nbr.shape
    lists = np.concatenate([np.arange(n)[:, None], nbr], axis=1).astype(np.int64)
    # Sorted keys owner * n + member -> rank of member in owner's list: one searchsorted
    # answers "rank of x in L_b" for any batch of (b, x) at once.
    keys = (np.arange(n, dtype=np.int64)[:, None] * n + lists).ravel()
    order = np.argsort(keys, kind="stable")
    skeys, srank = keys[order], np.tile(np.arange(k + 1), n)[order]

    def rank_in(owner: np.ndarray, member: np.ndarray) -> np.ndarray:  # -1 when absent
        q = owner * n + member
        pos = np.minimum(np.searchsorted(skeys, q), skeys.size - 1)
        return np.where(skeys[pos] == q, srank[pos], -1)

    prefix = np.empty((n, k), dtype=np.int64)  # [a, j] = d_m(a, L_a[j+1])
    full = np.empty((n, k), dtype=np.int64)  # [a, j] = |L_a \ L_b| for b = L_a[j+1]
    chunk = max(1, 4_000_000 // (k * (k + 1)))  # bounds the (rows, k, k+1) temporaries
    for s in range(0, n, chunk):
        la = lists[s : s + chunk]
        absent = rank_in(la[:, 1:, None], la[:, None, :]) < 0  # [r, j, i]: L_a[i] not in L_b
        cum = np.cumsum(absent, axis=2)
        idx = np.broadcast_to(np.arange(1, k + 1)[None, :, None], (la.shape[0], k, 1))
        prefix[s : s + chunk] = np.take_along_axis(cum, idx, axis=2)[..., 0]
        full[s : s + chunk] = cum[..., -1]
    a = np.repeat(np.arange(n, dtype=np.int64), k)
    b = lists[:, 1:].ravel()
    r_ab = np.tile(np.arange(1, k + 1), n)
    r_ba = rank_in(b, a)
    mutual = r_ba > 0
    d_ba = np.where(mutual, prefix[b, np.maximum(r_ba, 1) - 1], full.ravel())
    denom = np.where(mutual, np.minimum(r_ab, r_ba), r_ab)
    dist = (prefix.ravel() + d_ba) / denom
    keep = ~mutual | (a < b)  # a mutual pair appears twice with the same D_m
    return np.stack([a[keep], b[keep]], axis=1), dist[keep]


def _check_k(k: int, k_max: int) -> int:
    if int(k) != k or not 1 <= k <= k_max:
        raise ValueError(f"k = {k!r}; expected an integer in [1, {k_max}] (the table's k)")
    return int(k)


def aro(knn: KnnTable, threshold: float, k: int | None = None) -> np.ndarray:
    """ARO clustering: link pairs with D_m < threshold, take connected components (the paper's
    single transitive-merge pass). See :func:`aro_distances` for the exact conventions."""
    if not threshold > 0:
        raise ValueError(f"threshold = {threshold!r}; expected a D_m threshold > 0")
    pairs, dist = aro_distances(knn, k)
    linked = pairs[dist < threshold]
    return _components(knn.nbr.shape[0], linked[:, 0], linked[:, 1])


def threshold_components(knn: KnnTable, threshold: float) -> np.ndarray:
    """Connected components of the kNN edges with cosine similarity >= threshold."""
    if not np.isfinite(threshold):
        raise ValueError(f"threshold = {threshold!r}; expected a finite cosine similarity")
    n, k = knn.nbr.shape
    keep = knn.sim.ravel() >= threshold
    return _components(n, np.repeat(np.arange(n), k)[keep], knn.nbr.ravel()[keep])


def cdp_raw(knn: KnnTable, max_size: int, step: float, max_iter: int | None = None) -> np.ndarray:
    """CDP propagation with raw cosine similarities as edge scores (no learned linkage), i.e.
    the ablation that shows what a trained edge scorer adds. Each unordered kNN pair is one
    edge scored by the mean of its directed similarities (they differ only by float noise)."""
    n, k = knn.nbr.shape
    edges, score = undirected_mean(np.repeat(np.arange(n), k), knn.nbr.ravel(), knn.sim.ravel())
    return propagate(edges, score, n, max_size=max_size, step=step, max_iter=max_iter)


CLUSTERERS: dict[str, Callable[..., np.ndarray]] = {
    "kmeans": kmeans,
    "agglomerative": agglomerative,
    "dbscan": dbscan,
    "aro": aro,
    "threshold_components": threshold_components,
    "cdp_raw": cdp_raw,
}
_KNN_BASED = {"aro", "threshold_components", "cdp_raw"}
_GIVEN_COUNT = {"kmeans", "agglomerative"}


def subsample_indices(n_total: int, max_samples: int | None, seed: int) -> np.ndarray:
    """Sorted uniform sample of max_samples row ids (all rows when n_total <= max_samples)."""
    if max_samples is not None and (int(max_samples) != max_samples or max_samples < 1):
        raise ValueError(f"max_samples = {max_samples!r}; expected None or an integer >= 1")
    if max_samples is None or n_total <= max_samples:
        return np.arange(n_total)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_total, size=int(max_samples), replace=False))


def _run(name, features, labels_true, params, seed, max_samples, knn_k):
    if name not in CLUSTERERS:
        raise ValueError(f"unknown clusterer {name!r}; known: {', '.join(sorted(CLUSTERERS))}")
    features = np.asarray(features)
    labels_true = np.asarray(labels_true)
    if features.ndim != 2 or labels_true.shape != (features.shape[0],):
        raise ValueError(
            f"features must be (n, dim) and labels_true (n,): {features.shape}, {labels_true.shape}"
        )
    idx = subsample_indices(features.shape[0], max_samples, seed)
    x = np.ascontiguousarray(features[idx], dtype=np.float32)
    kwargs = dict(params)
    if name in _GIVEN_COUNT:  # the true count of the points used; an explicit value wins
        kwargs.setdefault("n_clusters", int(np.unique(labels_true[idx]).shape[0]))
    if name == "kmeans":
        kwargs.setdefault("seed", seed)
    fn = CLUSTERERS[name]
    knn_s = 0.0
    if name in _KNN_BASED:
        t0 = time.perf_counter()
        data = search(x, knn_k, index="flat")  # exact, on the points actually clustered
        knn_s = time.perf_counter() - t0
    else:
        data = x
    try:
        inspect.signature(fn).bind(data, **kwargs)
    except TypeError as err:
        raise ValueError(f"bad params for clusterer {name!r}: {err}") from None
    t0 = time.perf_counter()
    pred = fn(data, **kwargs)
    wall_s = time.perf_counter() - t0
    info = {"n_samples": int(idx.shape[0]), "n_total": int(features.shape[0]),
            "subsampled": bool(idx.shape[0] < features.shape[0]), "wall_s": wall_s,
            "knn_s": knn_s}
    return idx, pred, info


def run_clusterer(
    name: str, features: np.ndarray, labels_true: np.ndarray, params: dict, *, seed: int,
    max_samples: int | None, knn_k: int,
) -> tuple[np.ndarray, dict]:
    """Run one registered clusterer, timing only the clustering itself.

    Parameters
    ----------
    name : key of ``CLUSTERERS``
    features : (n, dim) L2-normalised rows; labels_true : (n,) identities
    params : the clusterer's keyword arguments; kmeans/agglomerative get ``n_clusters`` (the
        number of identities among the points used) and kmeans ``seed`` unless given
    seed : seeds the subsample (and k-means)
    max_samples : cluster a uniform sample of this many rows when n is larger (None: all)
    knn_k : neighbours of the exact kNN graph built on the points used (kNN-based methods)

    Returns
    -------
    labels : (n_samples,) int64, for the sampled rows in increasing row order
    info : n_samples, n_total, subsampled, wall_s (clustering), knn_s (kNN search, else 0)
    """
    _, pred, info = _run(name, features, labels_true, params, seed, max_samples, knn_k)
    return pred, info


def evaluate_clusterer(
    name: str, features: np.ndarray, labels_true: np.ndarray, params: dict, *, seed: int,
    max_samples: int | None, knn_k: int,
) -> dict:
    """``run_clusterer`` scored on the points it used: clustering_report(...) | info."""
    idx, pred, info = _run(name, features, labels_true, params, seed, max_samples, knn_k)
    return {**clustering_report(np.asarray(labels_true)[idx], pred), **info}
