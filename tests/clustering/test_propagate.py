"""Tests of imbgraph.clustering.propagate: crafted graphs, and agreement with the pure-Python
BFS transcription of CDP (imbgraph.testing.reference.cdp_reference) on random graphs."""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pytest

from imbgraph.clustering.propagate import propagate
from imbgraph.testing.reference import cdp_reference


def as_partition(labels: np.ndarray) -> set[frozenset[int]]:
    """The clusters of a label vector of shape (n,), as a set of frozensets of node ids."""
    clusters: dict[int, set[int]] = {}
    for node, label in enumerate(labels.tolist()):
        clusters.setdefault(label, set()).add(node)
    return {frozenset(c) for c in clusters.values()}


def reference_partition(edges, scores, n_nodes, max_size, step, max_iter=None, pool="max"):
    """cdp_reference as a partition of 0..n_nodes-1 (nodes in no edge are singletons)."""
    clusters = cdp_reference(edges, scores, max_size, step, max_iter, pool=pool)
    covered = set().union(*clusters)
    assert sum(len(c) for c in clusters) == len(covered)  # the reference returns a partition
    return {frozenset(c) for c in clusters} | {
        frozenset([node]) for node in range(n_nodes) if node not in covered
    }


def run_both(edges, scores, n_nodes, max_size, step, max_iter=None, pool="max"):
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    scores = np.asarray(scores, dtype=np.float64)
    labels = propagate(edges, scores, n_nodes, max_size=max_size, step=step, max_iter=max_iter,
                       pool=pool)
    assert labels.shape == (n_nodes,) and labels.dtype == np.int64
    reference = reference_partition(edges, scores, n_nodes, max_size, step, max_iter, pool)
    return labels, reference


def chain(n: int) -> np.ndarray:
    return np.stack([np.arange(n - 1), np.arange(1, n)], axis=1)


def test_oversize_chain_splits_at_next_threshold():
    # 0-1-2 =weak= 3-4-5. th starts at the weakest score 0.1; the first pass sees one
    # component of 6 > max_size 3; the next threshold 0.1 + 0.9 * 0.5 = 0.55 drops 2-3.
    edges = chain(6)
    scores = [0.9, 0.9, 0.1, 0.9, 0.9]
    labels, reference = run_both(edges, scores, 6, max_size=3, step=0.5)
    assert labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert as_partition(labels) == reference


def test_small_component_is_final_while_oversize_one_splits():
    # Triangle {0,1,2} scoring 0.2 (size 3 <= max_size: final after the first pass, although
    # its edges are below every later threshold) and chain 3-4-5-6 (size 4, back to the pool)
    # whose middle edge 0.3 drops at th = 0.2 + 0.8 * 0.5 = 0.6.
    edges = [(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (5, 6)]
    scores = [0.2, 0.2, 0.2, 0.95, 0.3, 0.95]
    labels, reference = run_both(edges, scores, 7, max_size=3, step=0.5)
    assert as_partition(labels) == {frozenset({0, 1, 2}), frozenset({3, 4}), frozenset({5, 6})}
    assert as_partition(labels) == reference


def test_isolated_nodes_are_singletons_and_ids_follow_smallest_node():
    labels = propagate(np.array([[3, 1]]), np.array([0.5]), 6, max_size=2, step=0.5)
    assert labels.tolist() == [0, 1, 2, 1, 3, 4]
    no_edges = propagate(np.empty((0, 2), dtype=np.int64), np.empty(0), 3, max_size=1, step=0.5)
    assert no_edges.tolist() == [0, 1, 2]
    assert (
        propagate(np.empty((0, 2), dtype=np.int64), np.empty(0), 0, max_size=1, step=0.5).size == 0
    )


def test_touch_rule_returns_oversize_component_whole():
    # Chain 0-1-2-3-4, max_size 3. The reference BFS starts at node 0 and stops at
    # {0,1,2,3} (4 > 3), sending that group back while node 4 is still unvisited. The BFS from
    # 4 then touches 3, already sent back, so {4} goes back too instead of becoming a final
    # singleton: the component returns whole, which is what propagate does directly. At the
    # next threshold (0 + 1 * 0.5) only 3-4 survives, so the two readings differ:
    # whole component back -> {3, 4}; {4} final too early -> {3}, {4}.
    edges = chain(5)
    scores = [0.0, 0.0, 0.0, 0.9]
    labels, reference = run_both(edges, scores, 5, max_size=3, step=0.5)
    expected = {frozenset({0}), frozenset({1}), frozenset({2}), frozenset({3, 4})}
    assert as_partition(labels) == expected
    assert reference == expected
    # The same with the ids reversed, so the BFS breaks from the other end.
    labels, reference = run_both(4 - edges, scores, 5, max_size=3, step=0.5)
    expected = {frozenset({4}), frozenset({3}), frozenset({2}), frozenset({0, 1})}
    assert as_partition(labels) == expected == reference


def test_all_scores_one_warns_and_terminates():
    # K5 with every score 1.0: th = 1.0 from the start and 1 + 0 * step == 1, so nothing can
    # ever split it (CDP loops forever). It is kept as one, oversize, cluster.
    edges = np.array([(i, j) for i in range(5) for j in range(i + 1, 5)] + [(5, 6)])
    scores = np.ones(edges.shape[0])
    with pytest.warns(UserWarning, match="threshold stopped increasing at th=1.0"):
        labels = propagate(edges, scores, 8, max_size=2, step=0.6)
    assert as_partition(labels) == {frozenset(range(5)), frozenset({5, 6}), frozenset({7})}
    with pytest.warns(UserWarning, match="threshold stopped increasing"):
        reference = reference_partition(edges, scores, 8, max_size=2, step=0.6)
    assert as_partition(labels) == reference


def test_threshold_stuck_below_one_warns():
    # For a small step, th + (1 - th) * step rounds back to th a few ulps below 1.0; edges
    # scoring at least that value never drop, so the guard must fire there as well.
    step = 0.05
    th = 0.0
    while th + (1.0 - th) * step > th:
        th = th + (1.0 - th) * step
    assert th < 1.0
    edges = np.vstack([chain(4), [[3, 4]]])  # 0-1-2-3 strong, 3-4 at 0.0 (sets th = 0)
    scores = np.array([th, th, th, 0.0])
    with pytest.warns(UserWarning, match="threshold stopped increasing"):
        labels = propagate(edges, scores, 5, max_size=2, step=step)
    assert as_partition(labels) == {frozenset({0, 1, 2, 3}), frozenset({4})}


def test_max_iter_dumps_pool_as_one_cluster():
    # Triangles {0,1,2} and {3,4,5} (0.99) joined by 2-3 (0.6) and 0-5 (0.0); pair {6,7}.
    # max_size 3, step 0.5: pass 1 (all edges) finalises {6,7}; pass 2 (th 0.5) drops 0-5
    # only; pass 3 (th 0.75) drops 2-3 and splits the triangles apart.
    edges = [(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5), (2, 3), (0, 5), (6, 7)]
    scores = [0.99] * 6 + [0.6, 0.0, 0.5]
    split = {frozenset({0, 1, 2}), frozenset({3, 4, 5}), frozenset({6, 7})}
    dumped = {frozenset(range(6)), frozenset({6, 7})}
    for max_iter, expected in [(1, dumped), (2, dumped), (3, split), (None, split)]:
        labels, reference = run_both(edges, scores, 8, 3, 0.5, max_iter)
        assert as_partition(labels) == expected == reference, max_iter
    # The dump merges every component left in the pool, even unconnected ones.
    two_k4 = [(i + o, j + o) for o in (0, 4) for i in range(4) for j in range(i + 1, 4)]
    labels, reference = run_both(two_k4, np.linspace(0, 1, 12), 8, 3, 0.5, max_iter=1)
    assert as_partition(labels) == {frozenset(range(8))} == reference


def test_skipped_passes_count_towards_max_iter():
    # Scores 0.0 and 0.99 only, step 0.1: after pass 2 drops the 0.0 edges, the thresholds
    # 0.19, 0.271, ... change nothing until th > 0.99 (pass ~45). propagate skips those
    # passes; they must still count, so every max_iter must agree with the reference.
    rng = np.random.default_rng(7)
    edges = rng.integers(0, 30, size=(80, 2))
    scores = np.where(rng.random(80) < 0.3, 0.0, 0.99)
    for max_iter in [1, 2, 3, 10, 44, 45, 46, 47, 100, None]:
        labels, reference = run_both(edges, scores, 30, 2, 0.1, max_iter)
        assert as_partition(labels) == reference, max_iter


def knn_like_graph(rng: np.random.Generator, n: int, k: int):
    src = np.repeat(np.arange(n), k)
    dst = rng.integers(0, n, size=src.shape[0])
    return np.stack([src, dst], axis=1), rng.random(src.shape[0])


@pytest.mark.parametrize("pool", ["max", "avg"])
@pytest.mark.parametrize("max_size", [1, 2, 5, 20])
@pytest.mark.parametrize("step", [0.1, 0.5, 0.9, 1.0])
def test_matches_reference_on_random_graphs(max_size, step, pool):
    rng = np.random.default_rng(1000 * max_size + int(100 * step))
    for trial in range(8):
        n = int(rng.integers(1, 120))
        if trial % 2:
            edges, scores = knn_like_graph(rng, n, int(rng.integers(1, 6)))
        else:  # sparse random graph with self loops, duplicates and tied scores
            n_edges = int(rng.integers(0, 2 * n + 1))
            edges = rng.integers(0, n, size=(n_edges, 2))
            scores = np.round(rng.random(n_edges), 2) * 0.99
        max_iter = [None, 1, 2, 4][trial % 4]
        n_nodes = n + int(rng.integers(0, 3))  # a few nodes in no edge
        labels, reference = run_both(edges, scores, n_nodes, max_size, step, max_iter, pool)
        assert as_partition(labels) == reference
        # ids are 0..C-1 in order of each cluster's smallest node
        _, first = np.unique(labels, return_index=True)
        assert np.all(np.diff(first) > 0)
        if max_iter is None:
            assert np.bincount(labels).max() <= max_size


def test_duplicate_pairs_keep_their_highest_score():
    # (0,1) listed at 0.1 and, reversed, at 0.9: the pair stays linked at th = 0.55.
    edges = [(0, 1), (1, 0), (1, 2)]
    scores = [0.1, 0.9, 0.1]
    labels, reference = run_both(edges, scores, 3, max_size=2, step=0.5)
    assert as_partition(labels) == {frozenset({0, 1}), frozenset({2})} == reference


def test_averaged_duplicates_start_the_threshold_at_the_raw_minimum():
    # Chain 0-1-2-3, max_size 2. (1, 2) is seen twice, at 0.1 and 0.7 (mean 0.4); the other
    # pairs score 0.9. CDP and L-GCN start the threshold at the lowest RAW score, 0.1, then
    # pool. With step 0.2 and two passes: 0.1 (all edges: one oversize component), then
    # 0.28 < 0.4 (nothing cut), and max_iter = 2 dumps the pool as one cluster. Starting at
    # the lowest POOLED score, 0.4, the second pass would be at 0.52 and cut (1, 2).
    edges = [(0, 1), (1, 2), (2, 1), (2, 3)]
    scores = [0.9, 0.1, 0.7, 0.9]
    labels, reference = run_both(edges, scores, 4, max_size=2, step=0.5, pool="avg")
    assert as_partition(labels) == {frozenset({0, 1}), frozenset({2, 3})} == reference
    raw, reference = run_both(edges, scores, 4, max_size=2, step=0.2, max_iter=2, pool="avg")
    assert as_partition(raw) == {frozenset({0, 1, 2, 3})} == reference
    pooled = propagate(np.array([(0, 1), (1, 2), (2, 3)]), np.array([0.9, 0.4, 0.9]), 4,
                       max_size=2, step=0.2, max_iter=2)
    assert as_partition(pooled) == {frozenset({0, 1}), frozenset({2, 3})}


def test_float32_scores_and_logging(caplog):
    rng = np.random.default_rng(3)
    edges, scores = knn_like_graph(rng, 200, 4)
    with caplog.at_level(logging.INFO, logger="imbgraph.clustering.propagate"):
        labels = propagate(edges, scores.astype(np.float32), 200, max_size=10, step=0.5)
    passes = [r.getMessage() for r in caplog.records if r.getMessage().startswith("pass ")]
    assert passes[0].startswith("pass 1:") and len(passes) >= 2
    reference = reference_partition(edges, scores.astype(np.float32), 200, 10, 0.5)
    assert as_partition(labels) == reference


def test_progress_bar_runs():
    rng = np.random.default_rng(4)
    edges, scores = knn_like_graph(rng, 50, 3)
    quiet = propagate(edges, scores, 50, max_size=5, step=0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tqdm may warn about a missing terminal
        loud = propagate(edges, scores, 50, max_size=5, step=0.5, progress=True)
    assert np.array_equal(quiet, loud)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"edges": np.zeros((3, 3), dtype=int)},
            r"edges must have shape \(E, 2\): shape is \(3, 3\)",
        ),
        ({"scores": np.zeros(2)}, r"scores must have shape \(E,\) = \(3,\).*\(2,\)"),
        ({"n_nodes": 3}, r"node ids in \[0, 4\]; expected ids in \[0, n_nodes\) = \[0, 3\)"),
        ({"max_size": 0}, r"max_size = 0; expected an integer >= 1"),
        ({"step": 0.0}, r"step = 0.0; expected 0 < step <= 1"),
        ({"step": 1.5}, r"step = 1.5"),
        ({"max_iter": 0}, r"max_iter = 0"),
        ({"scores": np.array([0.1, np.nan, 0.3])}, r"scores must be finite"),
        ({"edges": np.array([[0, 1], [1, 2], [2, 4.0]])}, r"integer node ids: dtype is float64"),
    ],
)
def test_input_errors(kwargs, match):
    args = {
        "edges": np.array([[0, 1], [1, 2], [2, 4]]),
        "scores": np.array([0.1, 0.2, 0.3]),
        "n_nodes": 5,
        "max_size": 2,
        "step": 0.5,
    } | kwargs
    edges, scores, n_nodes = args.pop("edges"), args.pop("scores"), args.pop("n_nodes")
    with pytest.raises(ValueError, match=match):
        propagate(edges, scores, n_nodes, **args)
