"""``cluster_gcn``: ClusterGCN mini-batches (Chiang et al., KDD 2019): every batch is the
subgraph induced by ``q`` METIS clusters, every node is in exactly one batch per epoch, and
each batch is one optimiser step.

PyG's ``ClusterData`` / ``ClusterLoader`` need pyg-lib or torch-sparse, which cannot be
installed here; the batching is simple enough to write with index arithmetic on the
partition that ECGN uses anyway (:func:`.clusters.node_clusters`). With
``clusters_per_batch = q > 1`` each epoch shuffles the clusters and groups them q at a time,
keeping the edges between the clusters of a batch (ClusterGCN's "stochastic multiple
partitions"); with q = 1 a batch is one cluster and its intra-cluster edges.

Everything is vectorised over nodes and edges; the only Python loop runs over the batches
of an epoch (k / q of them).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from imbgraph.nodecls.adjacency import Adjacency
from imbgraph.nodecls.job import run_summary, score_test, setup_run
from imbgraph.nodecls.methods.base import Batch, MethodInputs
from imbgraph.nodecls.methods.plain import Plain
from imbgraph.nodecls.train import fit, predict_proba

__all__ = ["ClusterBatches", "cluster_gcn_loader", "run"]


def _ranges(starts: torch.Tensor, stops: torch.Tensor) -> torch.Tensor:
    """Concatenation of arange(starts[i], stops[i]) over i, without a Python loop."""
    lengths = stops - starts
    total = int(lengths.sum())
    if total == 0:
        return torch.zeros(0, dtype=torch.long, device=starts.device)
    owner = torch.repeat_interleave(torch.arange(lengths.shape[0], device=starts.device),
                                    lengths)
    first = torch.cumsum(lengths, 0) - lengths
    return starts[owner] + torch.arange(total, device=starts.device) - first[owner]


class ClusterBatches:
    """The batches of ClusterGCN over a fixed partition.

    Args:
        edge_index: (2, E) int64, every undirected edge in both directions.
        clusters: (n,) cluster id of every node, in [0, k).
        num_clusters: k (default: max id + 1; empty clusters give no batch).
        clusters_per_batch: q, clusters merged into one batch.
        device: where the index tensors live.

    :meth:`epoch` draws one epoch: a list of (nodes (m,) global ids sorted by cluster,
    edge_index (2, e) in local ids = positions in ``nodes``).
    """

    def __init__(self, edge_index: np.ndarray | torch.Tensor, clusters: np.ndarray,
                 num_clusters: int | None = None, *, clusters_per_batch: int = 1,
                 device: torch.device | str | None = None) -> None:
        if int(clusters_per_batch) < 1:
            raise ValueError(f"clusters_per_batch = {clusters_per_batch!r}; expected >= 1")
        c = torch.as_tensor(np.asarray(clusters, dtype=np.int64), device=device)
        ei = torch.as_tensor(np.asarray(edge_index, dtype=np.int64)
                             if isinstance(edge_index, np.ndarray) else edge_index,
                             dtype=torch.long, device=device)
        self.n = int(c.shape[0])
        self.k = int(num_clusters if num_clusters is not None
                     else (int(c.max()) + 1 if self.n else 0))
        self.q = int(clusters_per_batch)
        self.clusters = c
        # Nodes grouped by cluster, and edges grouped by their source's cluster.
        self.node_order = torch.argsort(c, stable=True)
        self.node_ptr = torch.zeros(self.k + 1, dtype=torch.long, device=c.device)
        self.node_ptr[1:] = torch.cumsum(torch.bincount(c, minlength=self.k), 0)
        src_c = c[ei[0]]
        order = torch.argsort(src_c, stable=True)
        self.edges = ei[:, order]
        self.edge_ptr = torch.zeros(self.k + 1, dtype=torch.long, device=c.device)
        self.edge_ptr[1:] = torch.cumsum(torch.bincount(src_c, minlength=self.k), 0)
        self._fixed: list[tuple[torch.Tensor, torch.Tensor]] | None = None

    def batch(self, members: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The subgraph induced by clusters ``members`` (q,): (nodes, local edge_index)."""
        nodes = self.node_order[_ranges(self.node_ptr[members], self.node_ptr[members + 1])]
        edges = self.edges[:, _ranges(self.edge_ptr[members], self.edge_ptr[members + 1])]
        inside = torch.zeros(self.k, dtype=torch.bool, device=nodes.device)
        inside[members] = True
        edges = edges[:, inside[self.clusters[edges[1]]]]
        local = torch.full((self.n,), -1, dtype=torch.long, device=nodes.device)
        local[nodes] = torch.arange(nodes.shape[0], device=nodes.device)
        return nodes, local[edges]

    def epoch(self, generator: torch.Generator | None = None
              ) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """One epoch's batches in random order (torch's global generator unless given);
        every node of a non-empty cluster is in exactly one batch."""
        perm = torch.randperm(self.k, generator=generator).to(self.clusters.device)
        if self.q == 1:
            if self._fixed is None:  # one cluster per batch: the batches never change
                self._fixed = [self.batch(torch.tensor([i], device=perm.device))
                               for i in range(self.k)]
            out = [self._fixed[i] for i in perm.tolist()]
        else:
            out = [self.batch(perm[i:i + self.q]) for i in range(0, self.k, self.q)]
        return [b for b in out if b[0].shape[0] > 0]


def cluster_gcn_loader(batches: ClusterBatches, x: torch.Tensor, y: torch.Tensor,
                       train: torch.Tensor, class_weight: torch.Tensor | None,
                       num_classes: int) -> Callable[[int], list[Batch]]:
    """``epoch -> list of Batch`` for :func:`imbgraph.nodecls.train.fit`: each batch's
    features, labels, Adjacency and the positions of its training nodes. Batches without a
    training node are skipped (they have no loss)."""
    is_train = torch.zeros(batches.n, dtype=torch.bool, device=x.device)
    is_train[train] = True
    cache: dict[int, Batch] = {}
    none_new = torch.zeros(num_classes, dtype=torch.long, device=x.device)

    def make(nodes: torch.Tensor, ei: torch.Tensor) -> Batch | None:
        local_train = torch.nonzero(is_train[nodes]).flatten()
        if local_train.numel() == 0:
            return None
        m = int(nodes.shape[0])
        return Batch(x=x[nodes], adj=Adjacency.from_edge_index(ei, m, device=x.device),
                     y=y[nodes], train=local_train, new_per_class=none_new,
                     class_weight=class_weight, edge_index=ei)

    def epoch(_: int) -> list[Batch]:
        out = []
        for nodes, ei in batches.epoch():
            if batches.q == 1:  # fixed batches: build each Batch once
                key = id(nodes)
                if key not in cache:
                    cache[key] = make(nodes, ei)
                b = cache[key]
            else:
                b = make(nodes, ei)
            if b is not None:
                out.append(b)
        return out

    return epoch


def run(inputs: MethodInputs) -> tuple[dict[str, Any], dict[str, Any]]:
    """The job: one optimiser step per batch of ``clusters_per_batch`` METIS clusters (their
    induced subgraph), every node once per epoch; validation and test on the whole graph."""
    graph, k = inputs.graph, int(inputs.params["clusters"])
    run = setup_run(inputs)
    q = int(inputs.params["clusters_per_batch"])
    batches = ClusterBatches(run.edge_index, inputs.cached["clusters"], k, clusters_per_batch=q,
                             device=run.device)
    loader = cluster_gcn_loader(batches, run.x, run.y, run.train, run.class_weight,
                                graph.num_classes)
    model = Plain(inputs.backbone(), inputs.criterion).to(run.device)
    adj = Adjacency.from_edge_index(run.edge_index, graph.num_nodes, device=run.device)
    result = fit(model, loader, run.val, run.cfg, eval_graph=(run.x, adj), y=run.y,
                 progress=inputs.progress)
    proba = predict_proba(model, run.x, adj)[run.test]
    return (score_test(graph, inputs.split, proba, result.best_epoch),
            run_summary(run, result, clusters=k, batches_per_epoch=-(-k // q)))
