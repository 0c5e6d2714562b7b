"""Per-pivot IPS construction written the plain way (L-GCN's definition), for checking the
vectorised superset + batching path against it, and the random kNN-like tables the tests and
benchmarks feed both."""

from __future__ import annotations

import numpy as np

from imbgraph.linkage.subgraphs import IpsSpec


def ips_reference(
    nbr: np.ndarray, pivot: int, hop1: list[int], k2: int, u: int
) -> tuple[list[int], set[tuple[int, int]]]:
    """Node list and undirected edge set (global ids) of one IPS.

    nodes = pivot, then the hop-1 nodes, then each hop-1 node's k2 nearest, first-seen order;
    edge {a, b} when b is among a's top-u neighbours (or a among b's), both in the IPS, a != b.
    """
    nodes: list[int] = [int(pivot)]
    for v in list(hop1) + [int(w) for h in hop1 for w in nbr[h, :k2]]:
        if int(v) not in nodes:
            nodes.append(int(v))
    members = set(nodes)
    edges: set[tuple[int, int]] = set()
    for a in nodes:
        for b in nbr[a, :u]:
            b = int(b)
            if b in members and b != a:
                edges.add((min(a, b), max(a, b)))
    return nodes, edges


def knn_like(n, k, seed):
    """Rows of k distinct ids, never the row itself (a valid kNN table)."""
    rng = np.random.default_rng(seed)
    return np.stack([rng.choice(np.delete(np.arange(n), i), k, replace=False) for i in range(n)]).astype(np.int32)


def with_repeats(n, k, seed):
    """Rows drawn with replacement from a tiny range: repeated ids and self links."""
    return np.random.default_rng(seed).integers(0, n, size=(n, k)).astype(np.int32)


def pivots_for(n, seed):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.permutation(n), rng.integers(0, n, 3)])  # includes repeats


def random_chosen(rng, b, n_cand, k1):
    """Mix of sampler-like choices: sorted without replacement, and with duplicates."""
    out = np.empty((b, k1), dtype=np.int64)
    for i in range(b):
        if i % 2:
            out[i] = np.sort(rng.choice(n_cand, k1, replace=False))
        else:
            out[i] = np.sort(rng.integers(0, n_cand, k1))
    return out


# (name, table maker, spec): a spread-out table, overlapping IPS, a tiny one, repeated ids.
IPS_CASES = [
    ("spread", lambda: knn_like(60, 8, 0), IpsSpec(k1=4, k2=3, u=2, gamma=1.5)),
    ("overlap", lambda: knn_like(12, 6, 1), IpsSpec(k1=3, k2=4, u=3, gamma=2.0)),
    ("tiny", lambda: knn_like(7, 5, 2), IpsSpec(k1=5, k2=5, u=5, gamma=1.0)),
    ("repeats", lambda: with_repeats(9, 6, 3), IpsSpec(k1=2, k2=4, u=6, gamma=2.5)),
]
