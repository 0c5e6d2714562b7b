"""ECGN's pre-training: one GNN per cluster, all trained at once (a cacheable step:
:func:`run_pretrain` depends on :func:`.settings.pretrain_settings` only).

Each cluster c gets its own copy of the method's network (:class:`~imbgraph.nodecls.models.GNN`:
convolutions + linear head; paper: 2-layer GraphSAGE, 128-d, mean aggregator), trained on the
cluster's subgraph (only intra-cluster nodes and edges) with the cluster's training labels.
All copies start from the same initialisation (paper 3.1) and every node's embedding comes
from its own cluster's network: the last convolution's output, so every embedding lives in
the same 128-d space.

Why one batched module rather than a loop over k models: the k networks are *stacked*
(every parameter gets a leading cluster axis) and the nodes are laid out cluster by cluster
in a padded (k, m, F) block, m the largest cluster. A layer is then one ``torch.bmm`` with
each cluster's weights plus one sparse aggregation over the block-diagonal intra-cluster
graph (:class:`PaddedLayout`), so the cost of an epoch is that of one full-graph forward
whatever k is, with no Python loop over clusters or nodes. METIS balances cluster sizes
(k-way, 3% tolerance), so padding wastes little. Bag-of-words features (at most
:data:`~imbgraph.nodecls.models.SPARSE_BELOW` non-zero: Cora 1.3%, CiteSeer 0.9%) enter
the first layer as per-cluster sparse CSR blocks instead (:class:`SparseInput`: one sparse
product per cluster, a loop over the k clusters; ~11x faster than the dense product on
CiteSeer). The per-cluster weights commute with the mean aggregation because every edge
stays inside one cluster, which lets wide inputs be projected before aggregating, as
:class:`~imbgraph.nodecls.models.SAGELayer` does.

The loss is the sum over clusters of each cluster's mean cross-entropy; the parameters of two
clusters are disjoint, so every cluster's gradient is exactly that of training it alone, and
Adam's update is elementwise, so one optimiser equals k. Early stopping is per cluster on
the macro-F1 of the cluster's own validation nodes (each cluster keeps its best epoch and
stops after ``patience`` epochs without a gain); the loop ends when every cluster has
stopped. Edge cases (documented, tested): a cluster without training nodes keeps the shared
initialisation (it has no loss; its embeddings are the untrained network's); a cluster
without validation nodes keeps its last epoch; an empty cluster has no rows at all.
"""

from __future__ import annotations

import json
import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from imbgraph.errors import InputError
from imbgraph.nodecls.adjacency import Adjacency
from imbgraph.nodecls.data.graph import NodeGraph
from imbgraph.nodecls.data.splits import NodeSplit
from imbgraph.nodecls.methods.ecgn.clusters import check_clusters
from imbgraph.nodecls.methods.ecgn.settings import pretrain_settings
from imbgraph.nodecls.models import GNN, SPARSE_BELOW, _dropout, build_model
from imbgraph.training import default_device, load_torch, save_torch, seed_everything

__all__ = ["ClusterGNN", "ClusterPretrain", "PaddedLayout", "SparseInput",
           "per_cluster_macro_f1", "pretrain_clusters", "read_pretrain", "run_pretrain",
           "write_pretrain"]


class PaddedLayout:
    """Nodes laid out cluster by cluster in a (k, m) block, m = the largest cluster.

    Attributes
    ----------
    k, m : clusters and rows per cluster (m >= 1)
    slot : (n,) int64 row of every node in the flattened (k * m) layout
    adj : :class:`Adjacency` over the k * m rows holding the intra-cluster edges only
        (padding rows are isolated)
    cluster : (n,) int64 cluster of every node
    order : (n,) int64 node ids cluster by cluster (the row order of :meth:`sparse_blocks`)
    counts : (k,) int64 nodes per cluster
    """

    def __init__(self, edge_index: torch.Tensor, clusters: torch.Tensor, k: int) -> None:
        c = clusters.to(torch.long)
        n = int(c.shape[0])
        counts = torch.bincount(c, minlength=k)
        self.k, self.m = int(k), max(int(counts.max()) if n else 1, 1)
        order = torch.argsort(c, stable=True)
        first = torch.cumsum(counts, 0) - counts
        rank = torch.arange(n, device=c.device) - first[c[order]]
        self.slot = torch.empty(n, dtype=torch.long, device=c.device)
        self.slot[order] = c[order] * self.m + rank
        self.cluster, self.order, self.counts = c, order, counts
        same = c[edge_index[0]] == c[edge_index[1]]
        ei = self.slot[edge_index[:, same]]
        self.adj = Adjacency.from_edge_index(ei, self.k * self.m, device=c.device)

    def pad(self, x: torch.Tensor) -> torch.Tensor:
        """(n, F) -> (k, m, F), zeros in padding rows (differentiable)."""
        out = x.new_zeros(self.k * self.m, x.shape[1]).index_copy(0, self.slot, x)
        return out.view(self.k, self.m, x.shape[1])

    def unpad(self, h: torch.Tensor) -> torch.Tensor:
        """(k, m, F) -> (n, F) in node order."""
        return h.reshape(self.k * self.m, h.shape[-1])[self.slot]

    def sparse_blocks(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Each cluster's rows of ``x`` (n, d) as a sparse CSR (n_c, d) (bag-of-words
        features: Cora 1.3%, CiteSeer 0.9% non-zero)."""
        xs = x[self.order]
        bounds = torch.cumsum(self.counts, 0).tolist()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "sparse CSR support is in beta"
            return [xs[a:b].to_sparse_csr() for a, b in zip([0, *bounds[:-1]], bounds)]

    def pad_ordered(self, h: torch.Tensor) -> torch.Tensor:
        """(n, F) rows in :attr:`order` -> (k, m, F) (differentiable)."""
        out = h.new_zeros(self.k * self.m, h.shape[1]).index_copy(0, self.slot[self.order], h)
        return out.view(self.k, self.m, h.shape[1])


@dataclass
class SparseInput:
    """First-layer input of :class:`ClusterGNN` as per-cluster sparse CSR blocks
    (:meth:`PaddedLayout.sparse_blocks`) instead of a padded dense (k, m, d) block."""

    blocks: list[torch.Tensor]
    layout: PaddedLayout


class ClusterGNN(nn.Module):
    """k copies of a :class:`~imbgraph.nodecls.models.GNN` with stacked parameters.

    Args:
        template: the network every cluster starts from (its parameters are copied k times:
            the same initialisation for all clusters).
        num_clusters: k.

    Every parameter of the template, named as in ``template.named_parameters()``, becomes a
    (k, *shape) parameter (:meth:`stacked`); :meth:`cluster_state` gives one cluster's
    network as a state dict of the template's names (weight transfer, Table 4).

    Shapes:
        - **input:** padded features (k, m, F_in) or a :class:`SparseInput`, the layout's
          :class:`Adjacency`
        - **output:** logits (k, m, C), last convolution's output (k, m, hidden)
    """

    def __init__(self, template: GNN, num_clusters: int) -> None:
        super().__init__()
        self.conv = template.conv_name
        if self.conv not in ("sage", "gcn"):  # GraphSMOTE's code's layer is not ECGN's
            raise ValueError(f"ECGN's per-cluster pre-training runs 'sage' or 'gcn' networks, "
                             f"not {self.conv!r}")
        self.dropout = template.dropout
        self.num_encoder = len(template.encoder)
        self.num_convs = self.num_encoder + len(template.classifier)
        self.k = int(num_clusters)
        self.names = [name for name, _ in template.named_parameters()]
        self.params = nn.ParameterList(
            nn.Parameter(p.detach().unsqueeze(0).repeat(self.k, *([1] * p.dim())).clone())
            for _, p in template.named_parameters())
        self._index = {name: i for i, name in enumerate(self.names)}
        for i, p in enumerate(self.params):  # the shared initialisation, for reset_parameters
            self.register_buffer(f"_init{i}", p.detach().clone(), persistent=False)

    def reset_parameters(self) -> None:
        """Every cluster's network back to the template's initialisation."""
        with torch.no_grad():
            for i, p in enumerate(self.params):
                p.copy_(getattr(self, f"_init{i}"))

    def stacked(self, name: str) -> torch.Tensor:
        return self.params[self._index[name]]

    def _conv_prefix(self, i: int) -> str:
        e = self.num_encoder
        return f"encoder.{i}.conv" if i < e else f"classifier.{i - e}.conv"

    def _project(self, h, w: torch.Tensor, sparse: "SparseInput | None") -> torch.Tensor:
        """Each cluster's rows times its own weight (k, out, in): (k, m, out). The first
        layer may read sparse per-cluster blocks (a loop over the k clusters, one sparse
        product each) instead of the padded dense block (one bmm)."""
        if sparse is None:
            return torch.bmm(h, w.transpose(1, 2))
        rows = [torch.sparse.mm(b, w[c].T) for c, b in enumerate(sparse.blocks)]
        return sparse.layout.pad_ordered(torch.cat(rows))

    def forward(self, x: "torch.Tensor | SparseInput",
                adj: Adjacency) -> tuple[torch.Tensor, torch.Tensor]:
        sparse = x if isinstance(x, SparseInput) else None
        k, m = (sparse.layout.k, sparse.layout.m) if sparse else (x.shape[0], x.shape[1])
        h = x
        for i in range(self.num_convs):
            p = self._conv_prefix(i)
            first = sparse if i == 0 else None
            if self.conv == "sage":
                wl, wr = self.stacked(f"{p}.lin_l.weight"), self.stacked(f"{p}.lin_r.weight")
                f = wl.shape[1]
                out = self._project(h, torch.cat([wl, wr], dim=1), first)
                flat = out.reshape(k * m, 2 * f)
                agg = adj.mean(flat[:, :f].contiguous()).view(k, m, f)
                h = agg + out[:, :, f:] + self.stacked(f"{p}.lin_l.bias")[:, None, :]
            else:  # gcn: the block-diagonal normalised propagation of each cluster's XW
                w = self.stacked(f"{p}.lin.weight")
                out = self._project(h, w, first)
                f = w.shape[1]
                h = adj.gcn(out.reshape(k * m, f)).view(k, m, f)
                h = h + self.stacked(f"{p}.bias")[:, None, :]
            h = _dropout(torch.relu(h), self.dropout, self.training)
        logits = torch.bmm(h, self.stacked("lin.weight").transpose(1, 2))
        return logits + self.stacked("lin.bias")[:, None, :], h

    def state(self) -> dict[str, torch.Tensor]:
        """Template name -> stacked (k, *shape) parameter, detached copies."""
        return {n: p.detach().clone() for n, p in zip(self.names, self.params)}


def per_cluster_macro_f1(logits: torch.Tensor, y: torch.Tensor, cluster: torch.Tensor,
                         k: int) -> torch.Tensor:
    """(k,) float64 macro-F1 of each cluster's nodes (the definition of
    :func:`imbgraph.nodecls.train.val_scores`: F1 averaged over the classes present in the
    cluster's labels or predictions); NaN for a cluster without nodes."""
    c = logits.shape[1]
    pred = logits.argmax(dim=1)
    conf = torch.bincount((cluster * c + y) * c + pred, minlength=k * c * c)
    conf = conf.reshape(k, c, c).to(torch.float64)
    tp = torch.diagonal(conf, dim1=1, dim2=2)
    den = conf.sum(2) + conf.sum(1)
    f1 = torch.where(den > 0, 2 * tp / den.clamp_min(1), torch.zeros_like(tp))
    present = (den > 0).sum(1)
    out = f1.sum(1) / present.clamp_min(1)
    return torch.where(present > 0, out, torch.full_like(out, float("nan")))


@dataclass
class ClusterPretrain:
    """Result of :func:`pretrain_clusters`: plain tensors and numbers, so a pipeline rule
    can cache it (:meth:`to_record` / :meth:`from_record`, with
    :func:`imbgraph.training.save_torch`) and every ECGN variant of a (dataset, split, k,
    seed) reuses one pre-training.

    embeddings : (n, hidden) float32: each node's last-convolution output from its own
        cluster's network (eval mode, each cluster at its best epoch)
    logits : (n, C) float32 the cluster networks' predictions (direct inference, Table 3)
    state : template parameter name -> (k, *shape) the k trained networks (weight transfer)
    val_score : (k,) float64 macro-F1 on each cluster's validation nodes at its best epoch
        (NaN: no validation node or no training node)
    best_epoch : (k,) int64 (-1: the cluster was not trained)
    trained : (k,) bool, the cluster has training nodes
    sizes : (k,) int64 nodes per cluster
    epochs : epochs run; seconds : wall time of the loop
    """

    embeddings: torch.Tensor
    logits: torch.Tensor
    state: dict[str, torch.Tensor]
    val_score: torch.Tensor
    best_epoch: torch.Tensor
    trained: torch.Tensor
    sizes: torch.Tensor
    epochs: int
    seconds: float

    @property
    def k(self) -> int:
        return int(self.sizes.shape[0])

    def cluster_state(self, cluster: int | torch.Tensor) -> dict[str, torch.Tensor]:
        """The template-named parameters of one cluster's network, or (``cluster`` a (k,)
        bool mask) their mean over the masked clusters."""
        if isinstance(cluster, torch.Tensor) and cluster.dtype == torch.bool:
            return {n: p[cluster].mean(dim=0) for n, p in self.state.items()}
        return {n: p[int(cluster)] for n, p in self.state.items()}

    def to_record(self) -> dict:
        """Tensors and plain containers only (loadable with ``weights_only``); CPU."""
        out = {f: getattr(self, f) for f in self.__dataclass_fields__}
        out = {f: (v.detach().cpu() if isinstance(v, torch.Tensor) else v)
               for f, v in out.items()}
        out["state"] = {n: p.detach().cpu() for n, p in self.state.items()}
        return out

    @classmethod
    def from_record(cls, record: dict, device: torch.device | str | None = None
                    ) -> "ClusterPretrain":
        """Inverse of :meth:`to_record` (tensors moved to ``device``); ValueError naming
        the missing fields of a malformed record."""
        missing = [f for f in cls.__dataclass_fields__ if f not in record]
        if missing:
            raise ValueError(f"not a cluster pre-training record: fields {missing} missing")
        vals = {f: (record[f].to(device) if isinstance(record[f], torch.Tensor) and device
                    else record[f]) for f in cls.__dataclass_fields__}
        vals["state"] = {n: (p.to(device) if device else p) for n, p in record["state"].items()}
        return cls(**vals)


def pretrain_clusters(template: GNN, x: torch.Tensor, edge_index: torch.Tensor,
                      y: torch.Tensor, clusters: torch.Tensor, k: int, train: torch.Tensor,
                      val: torch.Tensor, *, epochs: int, patience: int, lr: float,
                      weight_decay: float) -> ClusterPretrain:
    """Train one copy of ``template`` per cluster (see the module docstring).

    Parameters
    ----------
    template : the shared initialisation (a fresh GNN: build it after seeding)
    x : (n, d) features; edge_index : (2, E) the whole graph (both directions)
    y : (n,) labels; clusters : (n,) int64 cluster ids in [0, k)
    train, val : node ids
    epochs : maximum epochs (the reference: 200 on Cora)
    patience : per-cluster early stopping on its validation macro-F1
    lr, weight_decay : Adam's
    """
    t0 = time.perf_counter()
    device = x.device
    layout = PaddedLayout(edge_index, clusters, k)
    model = ClusterGNN(template, k).to(device)
    dense = x.shape[1] == 0 or float((x != 0).float().mean()) > SPARSE_BELOW
    xp = layout.pad(x) if dense else SparseInput(layout.sparse_blocks(x), layout)
    c_train, c_val = layout.cluster[train], layout.cluster[val]
    n_train = torch.bincount(c_train, minlength=k)
    trained = n_train > 0
    has_val = torch.bincount(c_val, minlength=k) > 0
    train_slot, val_slot = layout.slot[train], layout.slot[val]
    y_train, y_val = y[train], y[val]
    # Per-cluster mean CE, summed: each cluster's gradient is that of training it alone.
    w_train = 1.0 / n_train.clamp_min(1).to(x.dtype)[c_train]
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    best = [p.detach().clone() for p in model.params]
    best_score = torch.full((k,), float("-inf"), dtype=torch.float64, device=device)
    best_epoch = torch.full((k,), -1, dtype=torch.long, device=device)
    bad = torch.zeros(k, dtype=torch.long, device=device)
    watch = trained & has_val  # clusters that stop early on their validation score
    active = watch.clone()
    epoch = -1
    for epoch in range(int(epochs) if bool(trained.any()) else 0):
        model.train()
        opt.zero_grad()
        logits, _ = model(xp, layout.adj)
        flat = logits.reshape(-1, logits.shape[-1])
        ce = F.cross_entropy(flat[train_slot], y_train, reduction="none")
        (ce * w_train).sum().backward()
        opt.step()
        model.eval()
        with torch.no_grad():
            logits, _ = model(xp, layout.adj)
            score = per_cluster_macro_f1(logits.reshape(-1, logits.shape[-1])[val_slot],
                                         y_val, c_val, k)
            gain = active & (score > best_score)  # ties keep the earlier epoch
            keep = gain | (trained & ~has_val)  # no validation node: keep the last epoch
            for b, p in zip(best, model.params):
                b[keep] = p.detach()[keep]
            best_score = torch.where(gain, score, best_score)
            best_epoch = torch.where(keep, torch.full_like(best_epoch, epoch), best_epoch)
            bad = torch.where(gain, torch.zeros_like(bad), bad + 1)
            active &= bad < patience
        if bool(watch.any()) and not bool(active.any()):
            break
    with torch.no_grad():
        for b, p in zip(best, model.params):
            p.copy_(b)
        model.eval()
        logits, hidden = model(xp, layout.adj)
    val_score = torch.where(watch, best_score, torch.full_like(best_score, float("nan")))
    return ClusterPretrain(
        embeddings=layout.unpad(hidden).detach(), logits=layout.unpad(logits).detach(),
        state=model.state(), val_score=val_score, best_epoch=best_epoch,
        trained=trained, sizes=torch.bincount(layout.cluster, minlength=k), epochs=epoch + 1,
        seconds=time.perf_counter() - t0)


def run_pretrain(graph: NodeGraph, split: NodeSplit, method: dict[str, Any], *, seed: int,
                 clusters: np.ndarray, device: torch.device | str | None = None
                 ) -> ClusterPretrain:
    """ECGN's pre-training stage of a resolved ``method`` for one seed (reseeds from
    ``seed``): the cluster networks of ``clusters`` (k: the method's ``clusters``, else
    max id + 1) from one shared initialisation of the method's model."""
    k = method["balancing"].get("clusters")
    c = np.asarray(clusters)
    k = int(k) if k is not None else int(c.max()) + 1
    c = check_clusters(c, graph.num_nodes, k, what="clusters")
    dev = torch.device(device) if device is not None else default_device()
    seed_everything(seed)
    s = pretrain_settings(method)

    def t(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a, device=dev)

    template = build_model(s["model"], graph.num_features, graph.num_classes).to(dev)
    return pretrain_clusters(template, t(graph.x), t(graph.edge_index), t(graph.y), t(c), k,
                             t(split.train), t(split.val), epochs=s["pretrain_epochs"],
                             patience=s["pretrain_patience"], lr=s["lr"],
                             weight_decay=s["weight_decay"])


# --- files (a cached pipeline step: one file per dataset, split, k and settings) ------------
def write_pretrain(results: dict[int, ClusterPretrain], path, *, settings: dict) -> None:
    """All seeds' pre-trainings in one torch file (atomic, byte-stable, weights_only
    loadable): ``{"settings": json, "seeds": {str(seed): record}}``."""
    save_torch({"settings": json.dumps(settings, sort_keys=True),
                "seeds": {str(int(s)): r.to_record() for s, r in sorted(results.items())}},
               path)


def read_pretrain(path, *, device: torch.device | str | None = None
                  ) -> dict[int, ClusterPretrain]:
    """Inverse of :func:`write_pretrain`; InputError naming the file when malformed."""
    blob = load_torch(path)
    try:
        return {int(s): ClusterPretrain.from_record(r, device)
                for s, r in blob["seeds"].items()}
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise InputError(f"{path}: not a cluster pre-training file ({err})") from None
