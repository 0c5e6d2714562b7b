"""Per-pivot IPS construction written the plain way (L-GCN's definition), for checking the
vectorised superset + batching path against it."""

from __future__ import annotations

import numpy as np


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
