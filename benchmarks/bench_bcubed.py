#!/usr/bin/env python3
"""Benchmark BCubed (imbgraph.metrics.bcubed) on a face-clustering-sized labelling.

Run as ``python benchmarks/bench_bcubed.py``. Prints one JSON object per measurement:
{"name", "value", "unit", "target", "ok"}; exits 1 if any target is missed.

600,000 nodes in ~8,500 long-tailed classes; the predicted clusters split ~6,000 classes in
two and then merge ~1,500 random cluster pairs, giving ~13,000 clusters. Seeded.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from imbgraph.metrics import bcubed
from imbgraph.testing.reference import bcubed_reference

N_NODES = 600_000
N_CLASSES = 8_500
N_SPLIT = 6_000
N_MERGE = 1_500


def make_labels(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """labels_true and labels_pred, each of shape (N_NODES,)."""
    rng = np.random.default_rng(seed)
    # Long-tailed class sizes, at least 2 nodes each, summing to N_NODES.
    weights = rng.lognormal(mean=0.0, sigma=1.0, size=N_CLASSES)
    sizes = 2 + np.floor(weights / weights.sum() * (N_NODES - 2 * N_CLASSES)).astype(np.int64)
    # Flooring left a few nodes over: hand them to random classes.
    sizes += np.bincount(rng.integers(0, N_CLASSES, N_NODES - sizes.sum()), minlength=N_CLASSES)
    labels_true = rng.permutation(np.repeat(np.arange(N_CLASSES), sizes))
    # Split: in N_SPLIT classes, about 30% of the nodes go to a second cluster.
    split = np.zeros(N_CLASSES, dtype=bool)
    split[rng.choice(N_CLASSES, N_SPLIT, replace=False)] = True
    second = split[labels_true] & (rng.random(N_NODES) < 0.3)
    clusters = 2 * labels_true + second
    # Merge: N_MERGE clusters are absorbed into another random cluster.
    target = np.arange(2 * N_CLASSES)
    absorbed = rng.choice(2 * N_CLASSES, N_MERGE, replace=False)
    target[absorbed] = rng.integers(0, 2 * N_CLASSES, N_MERGE)
    return labels_true, target[clusters]


def emit(name: str, value, unit: str, target, ok: bool) -> bool:
    print(json.dumps({"name": name, "value": value, "unit": unit, "target": target, "ok": ok}))
    sys.stdout.flush()
    return ok


def main() -> int:
    ok = True
    labels_true, labels_pred = make_labels()
    ok &= emit("n_nodes", int(labels_true.shape[0]), "nodes", None, True)
    ok &= emit("n_classes", int(np.unique(labels_true).shape[0]), "classes", None, True)
    ok &= emit("n_clusters", int(np.unique(labels_pred).shape[0]), "clusters", None, True)

    times = []
    for _ in range(3):
        start = time.perf_counter()
        fast_value = bcubed(labels_true, labels_pred)
        times.append(time.perf_counter() - start)
    best = min(times)
    ok &= emit("bcubed_seconds_best_of_3", round(best, 4), "s", "< 0.2", best < 0.2)

    start = time.perf_counter()
    slow_value = bcubed_reference(labels_true, labels_pred)
    slow = time.perf_counter() - start
    ok &= emit("bcubed_reference_seconds", round(slow, 3), "s", None, True)
    ok &= emit("bcubed_speedup_vs_reference", round(slow / best, 1), "x", None, True)
    gap = float(np.max(np.abs(np.subtract(fast_value, slow_value))))
    ok &= emit("bcubed_max_abs_diff_vs_reference", gap, "abs", "< 1e-9", gap < 1e-9)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
