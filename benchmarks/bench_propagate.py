#!/usr/bin/env python3
"""Benchmark CDP propagation (imbgraph.clustering.propagate) against the pure-Python reference.

Run as ``python benchmarks/bench_propagate.py``. Prints one JSON object per measurement:
{"name", "value", "unit", "target", "ok"}; exits 1 if any target is missed.

Graphs are kNN-like and seeded: every node links to k random other nodes (k = 10 for 1M
edges, k = 100 for 10M edges over 100K nodes) with scores uniform in [0, 1).
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from imbgraph.clustering.propagate import propagate
from imbgraph.testing.reference import cdp_reference

N_NODES = 100_000
MAX_SIZE = 300
STEP = 0.6


def knn_like_graph(n_nodes: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Edges of shape (n_nodes * k, 2) from each node to k random others, scores (E,)."""
    rng = np.random.default_rng(seed)
    src = np.repeat(np.arange(n_nodes, dtype=np.int64), k)
    dst = (src + rng.integers(1, n_nodes, size=src.shape[0])) % n_nodes  # no self loops
    return np.stack([src, dst], axis=1), rng.random(src.shape[0])


def emit(name: str, value, unit: str, target, ok: bool) -> bool:
    print(json.dumps({"name": name, "value": value, "unit": unit, "target": target, "ok": ok}))
    sys.stdout.flush()
    return ok


def timed(func, *args, **kwargs):
    start = time.perf_counter()
    out = func(*args, **kwargs)
    return out, time.perf_counter() - start


def as_partition(labels: np.ndarray) -> set[frozenset[int]]:
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    return {frozenset(part.tolist()) for part in np.split(order, bounds)}


def main() -> int:
    ok = True

    edges, scores = knn_like_graph(N_NODES, 10, seed=0)
    fast_times = []
    for _ in range(3):
        labels, seconds = timed(propagate, edges, scores, N_NODES, max_size=MAX_SIZE, step=STEP)
        fast_times.append(seconds)
    fast = min(fast_times)
    ok &= emit("propagate_1M_edges_seconds", round(fast, 4), "s", None, True)
    clusters, slow = timed(cdp_reference, edges, scores, MAX_SIZE, STEP)
    ok &= emit("cdp_reference_1M_edges_seconds", round(slow, 3), "s", None, True)
    ratio = slow / fast
    ok &= emit("propagate_1M_speedup_vs_reference", round(ratio, 1), "x", ">= 10", ratio >= 10)
    covered = set().union(*clusters)
    reference = {frozenset(c) for c in clusters} | {
        frozenset([node]) for node in range(N_NODES) if node not in covered
    }
    same = as_partition(labels) == reference
    ok &= emit("propagate_1M_matches_reference", same, "bool", True, same)
    del clusters, reference, covered

    edges, scores = knn_like_graph(N_NODES, 100, seed=1)
    times = []
    for _ in range(3):
        labels, seconds = timed(propagate, edges, scores, N_NODES, max_size=MAX_SIZE, step=STEP)
        times.append(seconds)
    worst = max(times)  # worst of 3: the target is a ceiling
    ok &= emit("propagate_10M_edges_seconds", round(worst, 3), "s", "< 8", worst < 8)
    largest = int(np.bincount(labels).max())
    ok &= emit(
        "propagate_10M_largest_cluster", largest, "nodes", f"<= {MAX_SIZE}", largest <= MAX_SIZE
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
