"""Tests of imbgraph.metrics.clustering: BCubed, pairwise and NMI against hand computations,
scikit-learn and the pure-Python reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import (
    normalized_mutual_info_score,
    pair_confusion_matrix,
)

from imbgraph.metrics import bcubed, clustering_report, nmi, pairwise
from imbgraph.testing.reference import bcubed_reference

# Hand case used below.
#   classes:  A = {0, 1, 2}, B = {3, 4}, C = {5}
#   clusters: X = {0, 1, 2, 3}, Y = {4}, Z = {5}
#   non-zero cells n_ij: (A,X) = 3, (B,X) = 1, (B,Y) = 1, (C,Z) = 1; N = 6
TRUE = np.array([0, 0, 0, 1, 1, 2])
PRED = np.array([0, 0, 0, 0, 1, 2])


def random_labels(rng: np.random.Generator, n: int, n_classes: int, n_clusters: int):
    """Classes drawn at random; clusters are noisy copies (half kept, half redrawn)."""
    labels_true = rng.integers(0, n_classes, n)
    labels_pred = np.where(rng.random(n) < 0.5, labels_true, rng.integers(0, n_clusters, n))
    return labels_true, labels_pred


def test_bcubed_hand_case():
    # P = sum n_ij^2 / |cluster j| / N = (9/4 + 1/4 + 1/1 + 1/1) / 6 = 4.5 / 6 = 3/4
    # R = sum n_ij^2 / |class i|   / N = (9/3 + 1/2 + 1/2 + 1/1) / 6 = 5 / 6
    # F = 2 P R / (P + R) = (5/4) / (19/12) = 15/19
    p, r, f = bcubed(TRUE, PRED)
    assert p == pytest.approx(3 / 4)
    assert r == pytest.approx(5 / 6)
    assert f == pytest.approx(15 / 19)


def test_pairwise_hand_case():
    # Ordered pairs: tk = sum n_ij^2 - N = (9 + 1 + 1 + 1) - 6 = 6
    # pk = sum |cluster|^2 - N = (16 + 1 + 1) - 6 = 12; qk = sum |class|^2 - N = (9 + 4 + 1) - 6 = 8
    # P = 6/12 = 1/2, R = 6/8 = 3/4, F = 2 (1/2)(3/4) / (5/4) = 3/5
    # (unordered: X holds 6 pairs of which 3 are A-A; the classes hold 3 + 1 = 4 pairs.)
    p, r, f = pairwise(TRUE, PRED)
    assert (p, r, f) == pytest.approx((1 / 2, 3 / 4, 3 / 5))


def test_perfect_clustering_scores_one():
    labels = np.array([3, 3, 7, 7, 7, 1])
    assert bcubed(labels, labels) == pytest.approx((1.0, 1.0, 1.0))
    assert pairwise(labels, labels) == pytest.approx((1.0, 1.0, 1.0))
    assert nmi(labels, labels) == pytest.approx(1.0)


def test_pairwise_degenerate_singletons():
    # Every predicted cluster a singleton: no pair predicted, so precision 1.0 by convention,
    # recall 0 (the pair {0, 1} is missed), F 0.
    assert pairwise([0, 0, 1], [0, 1, 2]) == (1.0, 0.0, 0.0)
    # Singleton classes and singleton clusters: nothing to find, nothing wrong.
    assert pairwise([0, 1, 2], [5, 6, 7]) == (1.0, 1.0, 1.0)
    # Singleton classes, one predicted cluster: all 6 ordered pairs wrong, recall vacuous.
    assert pairwise([0, 1, 2], [0, 0, 0]) == (0.0, 1.0, 0.0)


def test_label_ids_do_not_matter():
    rng = np.random.default_rng(0)
    labels_true, labels_pred = random_labels(rng, 500, 20, 30)
    perm_true = rng.permutation(1000)
    perm_pred = rng.permutation(1000) + 10**9  # large, non-contiguous ids
    as_text = np.array([f"c{x}" for x in labels_true])
    for func in (bcubed, pairwise):
        expected = func(labels_true, labels_pred)
        assert func(perm_true[labels_true], perm_pred[labels_pred]) == pytest.approx(expected)
        assert func(as_text, labels_pred) == pytest.approx(expected)
    assert nmi(perm_true[labels_true], perm_pred[labels_pred]) == pytest.approx(
        nmi(labels_true, labels_pred)
    )


@pytest.mark.parametrize("seed", range(5))
def test_pairwise_matches_sklearn_pair_confusion(seed):
    rng = np.random.default_rng(seed)
    labels_true, labels_pred = random_labels(rng, 300, 8 + seed * 10, 12 + seed * 7)
    # sklearn counts ordered pairs; row = same class?, column = same cluster?
    (_, fp), (fn, tp) = pair_confusion_matrix(labels_true, labels_pred)
    p, r, f = pairwise(labels_true, labels_pred)
    assert p == pytest.approx(tp / (tp + fp))
    assert r == pytest.approx(tp / (tp + fn))
    assert f == pytest.approx(2 * p * r / (p + r))


@pytest.mark.parametrize(("n", "n_classes", "n_clusters"), [(1, 1, 1), (50, 3, 5), (2000, 40, 90)])
def test_bcubed_matches_reference(n, n_classes, n_clusters):
    rng = np.random.default_rng(n)
    labels_true, labels_pred = random_labels(rng, n, n_classes, n_clusters)
    assert bcubed(labels_true, labels_pred) == pytest.approx(
        bcubed_reference(labels_true, labels_pred), rel=1e-12
    )


@pytest.mark.parametrize("seed", range(3))
def test_nmi_is_sklearn_arithmetic(seed):
    rng = np.random.default_rng(seed)
    labels_true, labels_pred = random_labels(rng, 400, 15, 25)
    expected = normalized_mutual_info_score(labels_true, labels_pred, average_method="arithmetic")
    assert nmi(labels_true, labels_pred) == pytest.approx(expected, rel=1e-12)


def test_clustering_report_hand_case_with_and_without_singletons():
    report = clustering_report(TRUE, PRED)
    assert report["n_nodes"] == 6
    assert report["n_clusters"] == 3
    assert report["n_singletons"] == 2  # Y = {4} and Z = {5}
    assert (report["bcubed_p"], report["bcubed_r"]) == pytest.approx((3 / 4, 5 / 6))
    assert report["pairwise_f"] == pytest.approx(3 / 5)
    assert report["nmi"] == pytest.approx(nmi(TRUE, PRED))
    # Without the predicted singletons (nodes 4 and 5): true [0, 0, 0, 1], pred [0, 0, 0, 0],
    # one cell (A,X) = 3 and one (B,X) = 1, N = 4.
    #   BCubed P = (9/4 + 1/4) / 4 = 5/8, R = (9/3 + 1/1) / 4 = 1, F = 2 (5/8) / (13/8) = 10/13
    #   pairwise tk = 10 - 4 = 6, pk = 16 - 4 = 12, qk = 9 + 1 - 4 = 6: P = 1/2, R = 1, F = 2/3
    assert report["n_nodes_nosingle"] == 4
    assert report["n_clusters_nosingle"] == 1
    assert report["n_singletons_nosingle"] == 0
    assert report["bcubed_p_nosingle"] == pytest.approx(5 / 8)
    assert report["bcubed_r_nosingle"] == pytest.approx(1.0)
    assert report["bcubed_f_nosingle"] == pytest.approx(10 / 13)
    assert (
        report["pairwise_p_nosingle"],
        report["pairwise_r_nosingle"],
        report["pairwise_f_nosingle"],
    ) == pytest.approx((1 / 2, 1.0, 2 / 3))
    assert report["nmi_nosingle"] == pytest.approx(nmi([0, 0, 0, 1], [0, 0, 0, 0]))


def test_clustering_report_keys_and_all_singletons():
    report = clustering_report([0, 0, 1], [4, 5, 6])
    metrics = ["bcubed_p", "bcubed_r", "bcubed_f", "pairwise_p", "pairwise_r", "pairwise_f"]
    counts = ["n_nodes", "n_clusters", "n_singletons"]
    names = metrics + ["nmi"] + counts
    assert set(report) == set(names) | {name + "_nosingle" for name in names}
    assert report["n_singletons"] == 3
    # Nothing is left once the singletons go: NaN metrics, zero counts.
    assert all(math.isnan(report[name + "_nosingle"]) for name in metrics + ["nmi"])
    assert [report[name + "_nosingle"] for name in counts] == [0, 0, 0]


@pytest.mark.parametrize("func", [bcubed, pairwise, nmi, clustering_report])
def test_clustering_input_errors(func):
    with pytest.raises(ValueError, match=r"labels_true must be 1D: shape is \(2, 2\)"):
        func([[0, 1], [1, 0]], [0, 1, 1, 0])
    with pytest.raises(ValueError, match=r"labels_pred must be 1D: shape is \(\)"):
        func([0], 0)
    with pytest.raises(ValueError, match=r"same length: 5 != 4"):
        func([0, 0, 1, 1, 2], [0, 0, 1, 1])
    with pytest.raises(ValueError, match="empty"):
        func([], [])
