"""Tests of imbgraph.clustering.classic: hand-computed ARO distances, baselines on blobs,
DBSCAN noise, kNN-threshold components, CDP on raw similarities, and the runner."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from imbgraph.clustering import (
    agglomerative,
    aro,
    aro_distances,
    cdp_raw,
    dbscan,
    evaluate_clusterer,
    kmeans,
    run_clusterer,
    threshold_components,
)
from imbgraph.knn import KnnTable, search


def table(nbr, sim=None):
    nbr = np.asarray(nbr, dtype=np.int32)
    if sim is None:  # decreasing similarities along each row
        sim = np.tile(np.linspace(0.9, 0.5, nbr.shape[1]), (nbr.shape[0], 1))
    return KnnTable(nbr, np.asarray(sim, dtype=np.float32))


def as_dict(pairs, dist):
    return {tuple(int(v) for v in sorted(p)): float(d) for p, d in zip(pairs, dist)}


# Two tight triangles {0,1,2} and {3,4,5}; node 6 lists 2 then 3, but nobody lists 6.
BRIDGE = table([[1, 2], [0, 2], [0, 1], [4, 5], [3, 5], [3, 4], [2, 3]])


def test_aro_distances_hand_computed_bridge():
    d = as_dict(*aro_distances(BRIDGE))
    # Within a triangle every list holds the same 3 ids: D_m = 0. Each pair appears once.
    for p in [(0, 1), (0, 2), (1, 2), (3, 4), (3, 5), (4, 5)]:
        assert d[p] == 0.0
    # (6, 2): L_6 = [6, 2, 3], L_2 = [2, 0, 1]; O_6(2) = 1, 6 not in L_2.
    # d_m(6,2) over i = 0..1: 6 absent (1), 2 present (0) -> 1; d_m(2,6) over all of L_2:
    # 2 present, 0 and 1 absent -> 2; denominator min(1, beyond list) = 1 -> D = 3.
    assert d[(2, 6)] == 3.0
    # (6, 3): O_6(3) = 2; d_m(6,3) over 6, 2, 3 -> 2; d_m(3,6) over L_3 = [3, 4, 5] -> 2;
    # D = 4 / 2 = 2.
    assert d[(3, 6)] == 2.0
    assert len(d) == 8


def test_aro_distances_hand_computed_rank_two_mutual():
    # L_0 = [0,1,2], L_1 = [1,0,3], L_2 = [2,3,0], L_3 = [3,2,1]; all pairs mutual.
    knn = table([[1, 2], [0, 3], [3, 0], [2, 1]])
    d = as_dict(*aro_distances(knn))
    # (0, 2): O_0(2) = O_2(0) = 2; d_m(0,2) = [1 not in L_2] = 1, d_m(2,0) = [3 not in L_0]
    # = 1 -> D = 2 / 2 = 1. (1, 3) likewise. Rank-1 mutual pairs share both list heads: 0.
    assert d == {(0, 1): 0.0, (0, 2): 1.0, (1, 3): 1.0, (2, 3): 0.0}
    np.testing.assert_array_equal(aro(knn, 0.5), [0, 0, 1, 1])
    np.testing.assert_array_equal(aro(knn, 1.5), [0, 0, 0, 0])


def test_aro_partitions_and_strict_threshold():
    np.testing.assert_array_equal(aro(BRIDGE, 1.0), [0, 0, 0, 1, 1, 1, 2])
    np.testing.assert_array_equal(aro(BRIDGE, 2.0), [0, 0, 0, 1, 1, 1, 2])  # D < th, strict
    np.testing.assert_array_equal(aro(BRIDGE, 2.5), [0, 0, 0, 1, 1, 1, 1])
    np.testing.assert_array_equal(aro(BRIDGE, 3.5), [0] * 7)
    with pytest.raises(ValueError, match="threshold"):
        aro(BRIDGE, 0.0)
    with pytest.raises(ValueError, match="k = 3"):
        aro(BRIDGE, 1.0, k=3)


def reference_aro(nbr):
    """Direct transcription of the definition, one pair at a time."""
    n, k = nbr.shape
    lists = [[a] + list(nbr[a]) for a in range(n)]

    def d_m(a, b, upto):
        return sum(lists[a][i] not in lists[b] for i in range(min(upto, k) + 1))

    out = {}
    for a in range(n):
        for b in nbr[a]:
            o_ab = lists[a].index(b)
            o_ba = lists[b].index(a) if a in lists[b] else k + 1  # beyond the list
            out[tuple(sorted((a, int(b))))] = (d_m(a, b, o_ab) + d_m(b, a, o_ba)) / min(o_ab, o_ba)
    return out


@pytest.mark.parametrize("k", [None, 3])
def test_aro_distances_match_reference_on_random_graph(k):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, 4))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    knn = search(x.astype(np.float32), 6)
    got = as_dict(*aro_distances(knn, k))
    want = reference_aro(knn.nbr if k is None else knn.nbr[:, :k])
    assert got.keys() == want.keys()
    for p in want:
        assert got[p] == pytest.approx(want[p], abs=1e-12), p


def blobs(n_per=30, n_blobs=4, dim=16, noise=0.02, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.eye(dim)[:n_blobs]  # orthogonal: cosine 0 between blobs
    x = np.repeat(centres, n_per, axis=0) + noise * rng.standard_normal((n_per * n_blobs, dim))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), np.repeat(np.arange(n_blobs), n_per)


@pytest.mark.parametrize("linkage", ["average", "ward"])
def test_kmeans_and_agglomerative_recover_blobs(linkage):
    x, y = blobs()
    assert adjusted_rand_score(y, kmeans(x, 4, seed=0)) == 1.0
    assert adjusted_rand_score(y, agglomerative(x, 4, linkage=linkage)) == 1.0
    with pytest.raises(ValueError, match="n_clusters"):
        kmeans(x, 0)
    with pytest.raises(ValueError, match="linkage"):
        agglomerative(x, 4, linkage="median")


def test_dbscan_noise_becomes_singletons():
    x, y = blobs(n_per=20, n_blobs=2, dim=8)
    outliers = np.eye(8, dtype=np.float32)[5:8]  # orthogonal to both blobs and to each other
    pred = dbscan(np.vstack([x, outliers]), eps=0.1, min_samples=3)
    assert adjusted_rand_score(y, pred[:40]) == 1.0
    tail = pred[40:]
    assert len(set(tail)) == 3 and not set(tail) & set(pred[:40])
    assert pred.min() == 0 and np.unique(pred).shape[0] == 5
    with pytest.raises(ValueError, match="eps"):
        dbscan(x, eps=0.0, min_samples=3)


SIM_TABLE = table(
    [[1, 2], [0, 2], [3, 0], [2, 4], [3, 0]],
    [[0.9, 0.5], [0.9, 0.4], [0.8, 0.5], [0.8, 0.7], [0.7, 0.1]],
)


def test_threshold_components():
    np.testing.assert_array_equal(threshold_components(SIM_TABLE, 0.85), [0, 0, 1, 2, 3])
    np.testing.assert_array_equal(threshold_components(SIM_TABLE, 0.7), [0, 0, 1, 1, 1])
    np.testing.assert_array_equal(threshold_components(SIM_TABLE, 0.1), [0, 0, 0, 0, 0])
    np.testing.assert_array_equal(threshold_components(SIM_TABLE, 0.95), [0, 1, 2, 3, 4])


def test_cdp_raw_huge_max_size_is_all_edge_components_and_max_size_holds():
    x, _ = blobs(n_per=25, n_blobs=3, dim=8, noise=0.05)
    knn = search(x, 5)
    whole = threshold_components(knn, float(knn.sim.min()))
    np.testing.assert_array_equal(cdp_raw(knn, max_size=10**6, step=0.1), whole)
    small = cdp_raw(knn, max_size=7, step=0.05)
    assert np.bincount(small).max() <= 7
    # Splitting only ever refines the all-edge components.
    assert all(np.unique(whole[small == c]).shape[0] == 1 for c in np.unique(small))
    with pytest.raises(ValueError, match="max_size"):
        cdp_raw(knn, max_size=0, step=0.1)


def test_run_clusterer_subsamples_deterministically():
    x, y = blobs(n_per=50, n_blobs=4)
    args = dict(seed=3, max_samples=80, knn_k=5)
    pred, info = run_clusterer("kmeans", x, y, {}, **args)
    again, _ = run_clusterer("kmeans", x, y, {}, **args)
    assert info["n_samples"] == 80 and pred.shape == (80,)
    assert info["n_total"] == 200 and info["subsampled"] is True and info["knn_s"] == 0.0
    assert info["wall_s"] > 0
    np.testing.assert_array_equal(pred, again)
    other, _ = run_clusterer("threshold_components", x, y, {"threshold": 0.9}, **args)
    _, info_other = run_clusterer("aro", x, y, {"threshold": 1.0}, **{**args, "seed": 4})
    assert info_other["knn_s"] > 0
    # Well-separated blobs: kmeans (given the count) and thresholding agree on the sample.
    assert adjusted_rand_score(pred, other) == 1.0
    _, full = run_clusterer("dbscan", x, y, {"eps": 0.1, "min_samples": 2}, seed=0,
                            max_samples=None, knn_k=5)
    assert full["n_samples"] == 200 and full["subsampled"] is False


def test_evaluate_clusterer_and_errors():
    x, y = blobs()
    report = evaluate_clusterer("cdp_raw", x, y, {"max_size": 1000, "step": 0.1}, seed=0,
                                max_samples=100, knn_k=5)
    assert report["pairwise_f"] == 1.0 and report["bcubed_f"] == 1.0 and report["nmi"] == 1.0
    assert report["n_samples"] == 100 and report["n_nodes"] == 100
    with pytest.raises(ValueError, match=r"'spectral'.*aro.*kmeans"):
        run_clusterer("spectral", x, y, {}, seed=0, max_samples=None, knn_k=5)
    with pytest.raises(ValueError, match="eps"):
        run_clusterer("dbscan", x, y, {"eps": -1, "min_samples": 2}, seed=0,
                      max_samples=None, knn_k=5)
    with pytest.raises(ValueError, match="bad params.*linkag"):
        run_clusterer("agglomerative", x, y, {"linkag": "ward"}, seed=0, max_samples=None,
                      knn_k=5)
