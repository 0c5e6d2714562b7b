"""Synthetic graph-classification collections whose classes differ in structure.

Each class has its own size distribution (log-normal node counts), density (mean degree of
the base graph) and mixture of motifs (cycles, cliques, stars, houses) planted at a rate that
grows with the graph's size. Classes share motif types in different proportions, so one motif
says little and a graph's class shows in the counts: small graphs (few motifs) are hard, large
ones easy, and the task is learnable but not trivial. Node tags carry a weak class signal
(``tag_signal``).
Sizes spread over a factor of several (``size_sigma``), so sorting graphs by size and calling
the largest 20% the head (the topological-imbalance split) separates visibly different graphs.

The base graph of n nodes is a random recursive tree (connected) plus random extra edges up
to the class's mean degree; a motif instance adds its own nodes, wired in its pattern and
attached to one random base node by one edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imbgraph.errors import ConfigError
from imbgraph.io.tu import GraphArrays

__all__ = ["MOTIFS", "ClassSpec", "SyntheticSpec", "synthesize_graphs"]


def _cycle(k: int) -> np.ndarray:
    i = np.arange(k)
    return np.stack([i, (i + 1) % k], axis=1)


def _clique(k: int) -> np.ndarray:
    a, b = np.triu_indices(k, 1)
    return np.stack([a, b], axis=1)


def _star(k: int) -> np.ndarray:
    return np.stack([np.zeros(k - 1, dtype=np.int64), np.arange(1, k)], axis=1)


def _house(k: int = 5) -> np.ndarray:
    return np.array([[0, 1], [1, 2], [2, 3], [3, 0], [2, 4], [3, 4]])


# motif name -> (nodes, local edge list (m, 2))
MOTIFS: dict[str, tuple[int, np.ndarray]] = {
    "none": (0, np.zeros((0, 2), dtype=np.int64)),
    "cycle5": (5, _cycle(5)),
    "cycle6": (6, _cycle(6)),
    "clique4": (4, _clique(4)),
    "clique5": (5, _clique(5)),
    "star6": (6, _star(6)),
    "house": (5, _house()),
}


@dataclass(frozen=True)
class ClassSpec:
    """One class of a synthetic collection.

    graphs      : number of graphs of this class
    size_median : median node count of the base graph (log-normal)
    size_sigma  : log-normal sigma of the node count (0.5: the 90% range spans ~5x)
    degree      : mean degree of the base graph (>= ~2: a tree has mean degree ~2)
    motifs      : {motif name (a key of :data:`MOTIFS`): weight}, the class's motif mixture
    motif_every : Poisson mean of one motif instance per this many base nodes (at least one)
    """

    graphs: int
    size_median: float = 20.0
    size_sigma: float = 0.5
    degree: float = 2.5
    motifs: dict = None  # type: ignore[assignment]
    motif_every: float = 12.0

    def mixture(self) -> tuple[list[str], np.ndarray]:
        m = self.motifs or {"none": 1.0}
        w = np.asarray(list(m.values()), dtype=np.float64)
        return list(m), w / w.sum()


@dataclass(frozen=True)
class SyntheticSpec:
    classes: tuple[ClassSpec, ...]
    min_nodes: int = 6
    max_nodes: int = 200
    n_tags: int = 4            # node tag vocabulary (0: no tags -> a featureless collection)
    tag_signal: float = 0.15   # chance a node's tag is its class's preferred tag
    seed: int = 0

    @classmethod
    def from_config(cls, cfg: dict, *, where: str = "synthetic") -> "SyntheticSpec":
        cfg = dict(cfg)
        classes = []
        for i, c in enumerate(cfg.pop("classes")):
            for m in c.get("motifs") or {}:
                if m not in MOTIFS:
                    raise ConfigError(f"{where}.classes[{i}].motifs: {m!r} is not a motif; "
                                      f"expected one of {sorted(MOTIFS)}")
            classes.append(ClassSpec(**c))
        if len(classes) < 2:
            raise ConfigError(f"{where}.classes: {len(classes)} class(es); expected at least 2")
        return cls(classes=tuple(classes), **cfg)


def _one_graph(rng: np.random.Generator, n: int, degree: float, names: list[str],
               weights: np.ndarray, motif_every: float) -> tuple[int, np.ndarray]:
    """Node count and edges (m, 2) of one graph: a base graph of n nodes plus motifs."""
    parent = (rng.random(n - 1) * np.arange(1, n)).astype(np.int64)  # random recursive tree
    edges = [np.stack([np.arange(1, n), parent], axis=1)]
    extra = max(int(round(n * degree / 2 - (n - 1))), 0)
    if extra:
        edges.append(rng.integers(0, n, size=(extra, 2)))
    total = n
    count = max(1, int(rng.poisson(n / motif_every)))
    for name in rng.choice(len(names), size=count, p=weights):  # a handful per graph
        k, pattern = MOTIFS[names[name]]
        if not k:
            continue
        edges.append(pattern + total)
        edges.append(np.array([[total + int(rng.integers(0, k)), int(rng.integers(0, n))]]))
        total += k
    return total, np.concatenate(edges)


def synthesize_graphs(spec: SyntheticSpec) -> GraphArrays:
    """Draw the collection ``spec`` describes (seeded; same spec, same arrays).

    Returns :class:`~imbgraph.io.tu.GraphArrays` (node tags one-hot as node labels, or none when
    ``n_tags`` is 0), graphs ordered class by class in a seeded random order.
    """
    rng = np.random.default_rng(spec.seed)
    n_cls = len(spec.classes)
    labels = np.concatenate([np.full(c.graphs, i) for i, c in enumerate(spec.classes)])
    labels = labels[rng.permutation(labels.shape[0])]
    sizes, srcs, dsts, tags = [], [], [], []
    offset = 0
    for y in labels:  # generation runs once per dataset (a cached pipeline step)
        c = spec.classes[y]
        n = int(np.clip(round(c.size_median * np.exp(c.size_sigma * rng.standard_normal())),
                        spec.min_nodes, spec.max_nodes))
        names, weights = c.mixture()
        total, e = _one_graph(rng, n, c.degree, names, weights, c.motif_every)
        sizes.append(total)
        srcs.append(e[:, 0] + offset)
        dsts.append(e[:, 1] + offset)
        if spec.n_tags:
            t = rng.integers(0, spec.n_tags, size=total)
            pref = rng.random(total) < spec.tag_signal
            t[pref] = y % spec.n_tags
            tags.append(t)
        offset += total
    node_ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    src, dst = np.concatenate(srcs), np.concatenate(dsts)
    keep = src != dst
    node_labels = None
    if spec.n_tags:
        t = np.concatenate(tags)
        node_labels = np.zeros((t.shape[0], spec.n_tags), dtype=np.float32)
        node_labels[np.arange(t.shape[0]), t] = 1.0
    return GraphArrays(edge_index=np.stack([src[keep], dst[keep]]).astype(np.int64),
                       node_ptr=node_ptr, y=labels.astype(np.int64),
                       label_values=np.arange(n_cls, dtype=np.int64),
                       node_labels=node_labels, source=f"synthetic(seed={spec.seed})")
