"""ECGN's cluster-aware SMOTE (paper Section 3.2): synthetic minority nodes made from the
training nodes on cluster boundaries, in the cluster-aware embedding space, linked into the
graph through their seed.

For every minority class c with n_c training nodes, :func:`synthetic_counts` says how many
nodes to add (paper appendix: raise each minority class to ``target`` training nodes, 20 -> 100
on Cora and CiteSeer; Section 3.2: fewer than ``max_fraction`` = 50% of the largest training
class). Then (:func:`cluster_smote`):

1. rank the class's training nodes by their *boundary connectivity*, the number of neighbours
   in other clusters (:func:`.clusters.boundary_connectivity`), highest first,
   ties by node id; the top ``ceil(seed_fraction * n_c)`` are the seeds (the paper selects
   "the top nodes"; its count is lost in the text, so it is a setting);
2. synthetic node i of the class is made from seed ``ranked[i mod s]`` (boundary nodes first,
   each seed used in turn);
3. its partner is the seed's nearest same-class training node by Euclidean distance in the
   embedding space (any cluster; :func:`imbgraph.nodecls.smote.nearest_same_class`);
4. its embedding is ``h_seed + delta (h_partner - h_seed)``, delta ~ U(0, 1);
5. it copies the seed's edges and links to the seed (step 4 of the paper), and takes the
   seed's class (and cluster).

Edge cases: a class with a single training node has no partner, so its synthetic nodes
duplicate that node's embedding (with its edges and the seed link), logged as a warning; a
minority class without training nodes gets no synthetic node (nothing to interpolate).

The draw happens once per run (the embeddings are fixed after pre-training), from torch's
global generator (seeded per run). Everything is vectorised; the loop runs over the minority
classes only.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from imbgraph.nodecls.data.splits import oversampling_targets
from imbgraph.nodecls.smote import nearest_same_class

log = logging.getLogger(__name__)

__all__ = ["ClusterSmoteDraw", "augment_graph", "boundary_ranking", "cluster_smote",
           "synthetic_counts", "synthetic_links"]


def synthetic_counts(train_counts: np.ndarray, minority: Sequence[int], *,
                     target: int | None = None, scale: float | str | None = None,
                     max_fraction: float | None = 0.5, key: str = "balancing") -> np.ndarray:
    """Synthetic nodes per class, (C,) int64.

    Parameters
    ----------
    train_counts : (C,) training nodes per class
    minority : the classes to augment
    target : raise each minority class to this many training nodes (ECGN's appendix: 100 on
        Cora / CiteSeer, 600 on Amazon Computers)
    scale : instead of ``target``, GraphSMOTE's scale
        (:func:`imbgraph.nodecls.data.splits.oversampling_targets`)
    max_fraction : every class gets fewer than ``max_fraction`` x the largest training class
        (paper: "less than 50% of the majority class size"); None: no cap
    key : config key named in errors

    A class without training nodes gets none. Neither or both of ``target`` and ``scale``
    is a ValueError: config resolution gives exactly one
    (:func:`imbgraph.nodecls.config.resolve_method`).
    """
    counts = np.asarray(train_counts, dtype=np.int64)
    if (target is None) == (scale is None):
        raise ValueError(f"{key}: give the number of synthetic nodes as exactly one of "
                          f"'target' (ECGN: 100 on Cora) or 'scale'")
    if target is not None:
        out = np.zeros_like(counts)
        idx = np.asarray(list(minority), dtype=np.int64)
        if idx.size:
            out[idx] = np.maximum(int(target) - counts[idx], 0)
    else:
        out = oversampling_targets(counts, minority, scale)
    out[counts == 0] = 0
    if max_fraction is not None and counts.size:
        cap = max(int(math.ceil(float(max_fraction) * int(counts.max()))) - 1, 0)
        out = np.minimum(out, cap)
    return out


def boundary_ranking(nodes: np.ndarray, connectivity: np.ndarray) -> np.ndarray:
    """``nodes`` (k,) sorted by ``connectivity[node]`` descending, ties by node id."""
    nodes = np.asarray(nodes, dtype=np.int64)
    return nodes[np.lexsort((nodes, -np.asarray(connectivity)[nodes]))]


@dataclass(frozen=True)
class ClusterSmoteDraw:
    """m synthetic nodes.

    seed : (m,) int64 node each is made from (its edges' source)
    partner : (m,) int64 nearest same-class training node of the seed (the seed itself when
        its class has one training node)
    delta : (m, 1) float32 interpolation weight in [0, 1)
    label : (m,) int64 class
    """

    seed: torch.Tensor
    partner: torch.Tensor
    delta: torch.Tensor
    label: torch.Tensor

    def __len__(self) -> int:
        return int(self.seed.shape[0])

    def features(self, h: torch.Tensor) -> torch.Tensor:
        """(m, F) synthetic rows h_seed + delta (h_partner - h_seed)."""
        d = self.delta.to(h.dtype)
        return h[self.seed] + d * (h[self.partner] - h[self.seed])


def cluster_smote(h: torch.Tensor, y: np.ndarray, train: np.ndarray,
                  connectivity: np.ndarray, new_per_class: np.ndarray, *,
                  seed_fraction: float = 0.5) -> ClusterSmoteDraw:
    """Draw ``new_per_class[c]`` synthetic nodes of every class (module docstring, steps 1-4).

    Parameters
    ----------
    h : (n, F) embeddings the partners are searched in and interpolated
    y : (n,) labels; train : (t,) training node ids
    connectivity : (n,) neighbours in other clusters
    new_per_class : (C,) synthetic nodes per class (:func:`synthetic_counts`)
    seed_fraction : share of each class's ranked training nodes used as seeds, in (0, 1]
    """
    if not 0.0 < float(seed_fraction) <= 1.0:
        raise ValueError(f"seed_fraction = {seed_fraction!r}; expected a value in (0, 1]")
    device = h.device
    y = np.asarray(y, dtype=np.int64)
    train = np.asarray(train, dtype=np.int64)
    seeds, partners, labels = [], [], []
    for c in np.flatnonzero(np.asarray(new_per_class) > 0).tolist():
        nodes = np.sort(train[y[train] == c])
        m = int(new_per_class[c])
        if nodes.size == 0:
            log.warning("class %d has no training node: no synthetic node", c)
            continue
        if nodes.size == 1:
            log.warning("class %d has a single training node: its %d synthetic nodes "
                        "duplicate it (no same-class partner)", c, m)
        ranked = boundary_ranking(nodes, connectivity)
        s = max(1, int(math.ceil(float(seed_fraction) * nodes.size)))
        seed = ranked[np.arange(m) % s]
        nodes_t = torch.as_tensor(nodes, device=device)
        mate = nearest_same_class(h, nodes_t).cpu().numpy()  # partner of nodes[i]
        partners.append(mate[np.searchsorted(nodes, seed)])
        seeds.append(seed)
        labels.append(np.full(m, c, dtype=np.int64))
    if not seeds:
        empty = torch.zeros(0, dtype=torch.long, device=device)
        return ClusterSmoteDraw(empty, empty, torch.zeros(0, 1, device=device), empty)
    seed_t = torch.as_tensor(np.concatenate(seeds), device=device)
    delta = torch.rand(seed_t.shape[0], 1, device=device)
    return ClusterSmoteDraw(seed_t, torch.as_tensor(np.concatenate(partners), device=device),
                            delta, torch.as_tensor(np.concatenate(labels), device=device))


def synthetic_links(edge_index: np.ndarray, seed: np.ndarray,
                    num_nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Undirected links of synthetic nodes n + i (i = 0..m-1): to every neighbour of
    ``seed[i]`` and to ``seed[i]`` itself.

    Parameters
    ----------
    edge_index : (2, E) the real graph, every edge in both directions, sorted by source
        (a NodeGraph's edge_index)
    seed : (m,) seed node of each synthetic node
    num_nodes : n, real nodes

    Returns
    -------
    synthetic : (L,) int64 ids n + i; other : (L,) int64 real node linked to it, grouped by
        synthetic node: the seed's neighbours in edge order, then the seed.
    """
    ei = np.asarray(edge_index, dtype=np.int64)
    seed = np.asarray(seed, dtype=np.int64)
    ptr = np.concatenate([[0], np.cumsum(np.bincount(ei[0], minlength=num_nodes))])
    deg = ptr[seed + 1] - ptr[seed]
    owner = np.repeat(np.arange(seed.shape[0]), deg)
    first = np.cumsum(deg) - deg
    pos = ptr[seed][owner] + np.arange(owner.shape[0]) - first[owner]
    syn = np.concatenate([owner, np.arange(seed.shape[0])])
    other = np.concatenate([ei[1, pos], seed])
    order = np.argsort(syn, kind="stable")
    return num_nodes + syn[order], other[order]


def augment_graph(edge_index: np.ndarray, seed: np.ndarray, num_nodes: int) -> np.ndarray:
    """(2, E + 2L) int64: the real edges followed by every synthetic link in both
    directions (:func:`synthetic_links`)."""
    syn, other = synthetic_links(edge_index, seed, num_nodes)
    extra = np.stack([np.concatenate([syn, other]), np.concatenate([other, syn])])
    return np.concatenate([np.asarray(edge_index, dtype=np.int64), extra], axis=1)
