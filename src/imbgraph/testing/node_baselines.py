"""Slow, literal references of the node baselines of BAT's and TAM's comparisons, for
tests/nodecls/methods/: ReNode's weights from the dense N x N personalised-PageRank inverse,
step by step as its public code computes them, and TAM's margins as loops over nodes and
classes."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["renode_dense", "tam_loops"]


def renode_dense(edges, n: int, y, train, *, alpha: float = 0.15, base_weight: float = 0.5,
                 scale_weight: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ReNode's ``load_processed_data`` + ``get_renode_weight`` in float64 numpy.

    Returns ``(Pi, totoro, weights)``: the dense (n, n) PPR matrix, and the conflict and
    weight of each node of ``train`` (in the order given)."""
    a = np.zeros((n, n))
    for u, v in edges:
        a[u, v] = a[v, u] = 1.0
    a_hat = a + np.eye(n)
    d = np.diag(1.0 / np.sqrt(a_hat.sum(axis=1)))
    a_hat = d @ a_hat @ d
    pi = alpha * np.linalg.inv(np.eye(n) - (1 - alpha) * a_hat)
    y = [int(c) for c in y]
    train = [int(v) for v in train]
    c_count = max(y) + 1
    gpr = np.zeros((n, c_count))  # gpr[:, c] = mean of Pi's rows of class c's training nodes
    for c in range(c_count):
        rows = [v for v in train if y[v] == c]
        if rows:
            gpr[:, c] = pi[rows].mean(axis=0)
    gpr_rn = gpr.sum(axis=1, keepdims=True) - gpr
    rn = pi @ gpr_rn
    totoro = {v: rn[v, y[v]] for v in range(n)}
    big = max(totoro.values()) + 99
    for v in range(n):
        if v not in train:
            totoro[v] = big  # the code: unlabelled nodes rank last
    ranked = sorted(totoro.items(), key=lambda kv: kv[1])
    rank = {v: i for i, (v, _) in enumerate(ranked)}
    size = len(train)
    weights = [base_weight + 0.5 * scale_weight * (1 + math.cos(rank[v] * math.pi / (size - 1)))
               for v in train]
    return pi, np.array([totoro[v] for v in train]), np.array(weights)


def _jsd(p, q) -> float:
    total = 0.0
    for a, b in zip(p, q):
        m = (a + b) / 2
        total += (a * math.log(a / m) + b * math.log(b / m)) / 2
    return total


def tam_loops(logits, edges, y, train, counts, *, phi: float = 1.2,
              gamma: float = 0.4) -> tuple[list[list[float]], list[list[float]]]:
    """TAM's ACM and ADM of the ``train`` nodes (in that order) from (n, C) ``logits`` (a
    list of rows), undirected ``edges`` and the training class ``counts``, one number at a
    time (``compute_tam`` of TAM's code, floor 1e-6)."""
    n, c = len(logits), len(logits[0])
    total = sum(counts)
    ratio = [k / total * gamma + (1 - gamma) for k in counts]
    temp = [phi * (r + 1 - max(ratio)) for r in ratio]
    soft = []
    for v in range(n):
        if v in train:
            soft.append([1.0 if j == y[v] else 0.0 for j in range(c)])
            continue
        z = [logits[v][j] * temp[j] for j in range(c)]
        top = max(z)
        e = [math.exp(t - top) for t in z]
        soft.append([t / sum(e) for t in e])
    nbrs = {v: {v} for v in range(n)}
    for u, v in edges:
        nbrs[u].add(v)
        nbrs[v].add(u)
    nld = {v: [sum(soft[u][j] for u in nbrs[v]) / len(nbrs[v]) for j in range(c)]
           for v in train}
    conn = []
    for k in range(c):
        members = [v for v in train if y[v] == k]
        conn.append([sum(nld[v][j] for v in members) / len(members) if members else 0.0
                     for j in range(c)])
    nld = {v: [max(t, 1e-6) for t in row] for v, row in nld.items()}
    conn = [[max(t, 1e-6) for t in row] for row in conn]
    acm, adm = [], []
    for v in train:
        k = y[v]
        acm.append([1.0 if j == k else
                    min(1.0, nld[v][k] / conn[k][k] * conn[k][j] / nld[v][j])
                    for j in range(c)])
        row = []
        for j in range(c):
            if j == k:
                row.append(0.0)
                continue
            pair = max(_jsd(conn[k], conn[j]), 1e-6)
            row.append((_jsd(nld[v], conn[k]) ** 2 + pair ** 2 - _jsd(nld[v], conn[j]) ** 2)
                       / (2 * pair ** 2))
        adm.append(row)
    return acm, adm
