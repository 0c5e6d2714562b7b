"""Slow, obviously-correct reference implementations, for tests and benchmarks only.

Each function here follows its definition as literally as possible, in pure Python, so that
the fast vectorised implementations in the package can be checked against it. A flat module
of functions: add new references as new top-level functions.
"""

from __future__ import annotations

import warnings
from collections import Counter, deque

import numpy as np


def cdp_reference(edges, scores, max_size, step, max_iter=None, pool="max") -> list[set[int]]:
    """CDP pseudo-label propagation, transcribed as a breadth-first search per node.

    Same algorithm and conventions as ``imbgraph.clustering.propagate.propagate`` (see there):
    first pass over all edges, then passes at threshold ``th <- th + (1 - th) * step`` from
    ``th = min(scores)``, until no node is left over. Within a pass, a BFS from each node not
    yet seen collects its group; a group that grows past ``max_size`` or reaches a node
    already sent back is sent back (to ``remain``) for the next pass, any other group is a
    final cluster.

    Parameters
    ----------
    edges : array-like of shape (E, 2), int
        Undirected edges; a pair listed several times keeps its highest score
        (``pool="max"``) or the mean of its scores (``pool="avg"``, as L-GCN pools).
    scores : array-like of shape (E,), float
        Edge scores, compared as Python (float64) floats.
    max_size : int
        Largest allowed cluster.
    step : float
        Threshold step in (0, 1].
    max_iter : int or None, optional
        After this many passes in all (the first included) the nodes still left over form one
        cluster.

    Returns
    -------
    list of set of int
        The clusters, as sets of node ids; only nodes that appear in ``edges`` are covered.

    Warns
    -----
    UserWarning
        When the threshold stops increasing with oversize groups left (CDP itself loops
        forever there); their connected components are then returned as clusters.
    """

    class Node:
        __slots__ = ("id", "links")

        def __init__(self, node_id: int) -> None:
            self.id = node_id
            self.links: set[Node] = set()

    nodes: dict[int, Node] = {}
    copies: dict[tuple[int, int], list[float]] = {}
    scores = np.asarray(scores, dtype=np.float64).tolist()
    for (a, b), s in zip(np.asarray(edges).tolist(), scores, strict=True):
        key = (min(a, b), max(a, b))
        copies.setdefault(key, []).append(s)
        node_a = nodes.setdefault(a, Node(a))
        node_b = nodes.setdefault(b, Node(b))
        node_a.links.add(node_b)
        node_b.links.add(node_a)
    score_of = {k: (max(v) if pool == "max" else sum(v) / len(v)) for k, v in copies.items()}

    def bfs_pass(todo: set[Node], th: float | None, limit: int):
        groups, remain = [], set()
        unseen = set(todo)
        for start in sorted(todo, key=lambda node: node.id):  # sorted: reproducible order
            if start not in unseen:
                continue
            unseen.discard(start)
            group = {start}
            queue = deque([start])
            while queue:
                node = queue.popleft()
                neighbours = {
                    other
                    for other in node.links
                    if th is None or score_of[min(node.id, other.id), max(node.id, other.id)] >= th
                }
                neighbours -= group
                unseen -= neighbours
                group |= neighbours
                queue.extend(neighbours)
                if len(group) > limit or neighbours & remain:
                    remain |= group
                    break
            else:
                groups.append(group)
        return groups, remain

    th = min(scores) if scores else 0.0  # over the raw scores, before pooling (CDP, L-GCN)
    clusters, remain = bfs_pass(set(nodes.values()), None, max_size)
    n_pass = 1
    while remain:
        if max_iter is not None and n_pass >= max_iter:
            clusters.append(remain)
            break
        th_next = th + (1.0 - th) * step
        if not th_next > th:
            warnings.warn(
                f"cdp_reference: the threshold stopped increasing at th={th!r} with "
                f"{len(remain)} nodes left; keeping their components as clusters",
                UserWarning,
                stacklevel=2,
            )
            clusters.extend(bfs_pass(remain, th, len(nodes))[0])
            break
        th = th_next
        n_pass += 1
        groups, remain = bfs_pass(remain, th, max_size)
        clusters.extend(groups)
    return [{node.id for node in group} for group in clusters]


def bcubed_reference(labels_true, labels_pred) -> tuple[float, float, float]:
    """BCubed precision, recall and F-score, node by node from dictionaries of counts.

    Parameters
    ----------
    labels_true, labels_pred : array-like of shape (n,)
        Ground-truth class and predicted cluster of each node.

    Returns
    -------
    precision, recall, f : float
        Mean over nodes of |class & cluster| / |cluster| and of |class & cluster| / |class|,
        and their harmonic mean.
    """
    labels_true = np.asarray(labels_true).tolist()
    labels_pred = np.asarray(labels_pred).tolist()
    both = Counter(zip(labels_true, labels_pred, strict=True))
    class_size = Counter(labels_true)
    cluster_size = Counter(labels_pred)
    precision = recall = 0.0
    for t, p in zip(labels_true, labels_pred, strict=True):
        precision += both[t, p] / cluster_size[p]
        recall += both[t, p] / class_size[t]
    precision /= len(labels_true)
    recall /= len(labels_true)
    f = 2 * precision * recall / (precision + recall)
    return precision, recall, f
