"""Job bodies of the cluster-based baselines of ECGN's Table 2 and the plumbing every
training job of the family shares, :func:`imbgraph.nodecls.methods.run_method` included
(set-up: :func:`setup_run`; scoring: :func:`score_test`; timings: :func:`run_summary`;
full-batch training through :func:`imbgraph.nodecls.train.fit`).

* :func:`run_cb_sampling`: class-balanced node sampling (:class:`~imbgraph.nodecls.sampling.
  CBSampling`), full batch;
* :func:`run_cluster_features`: "GraphSAGE (Cluster Features)", the one-hot METIS cluster id
  appended to the features;
* :func:`run_cluster_gcn`: ClusterGCN mini-batches of the same METIS clusters
  (:mod:`imbgraph.nodecls.cluster_gcn`), every node once per epoch.

They are registered, with ECGN itself, in :data:`imbgraph.nodecls.ecgn.ECGN_BALANCING`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from imbgraph.losses import class_weights
from imbgraph.metrics.classification import classification_report
from imbgraph.nodecls.balancing import LOSSES, BalancedModel, Batch, Plain
from imbgraph.nodecls.cluster_gcn import ClusterBatches, cluster_gcn_loader
from imbgraph.nodecls.clusters import check_clusters
from imbgraph.nodecls.ecgn_pretrain import ClusterPretrain
from imbgraph.nodecls.graph import NodeGraph
from imbgraph.nodecls.models import Adjacency, build_model
from imbgraph.nodecls.sampling import CBSampling
from imbgraph.nodecls.splits import NodeSplit
from imbgraph.nodecls.train import TrainConfig, fit, predict_proba
from imbgraph.training import default_device, seed_everything

__all__ = ["JobRun", "class_weight_of", "criterion_of", "fit_full_batch", "full_batch",
           "group_recall", "run_cb_sampling", "run_cluster_features", "run_cluster_gcn",
           "run_clusters", "run_summary", "score_test", "setup_run"]


# --- shared pieces of the job bodies ---------------------------------------------------------
@dataclass
class JobRun:
    """Tensors and settings of one (graph, split, method, seed) job on its device."""

    device: torch.device
    x: torch.Tensor
    y: torch.Tensor
    edge_index: torch.Tensor
    train: torch.Tensor
    val: torch.Tensor
    test: torch.Tensor
    class_weight: torch.Tensor | None
    cfg: TrainConfig
    t0: float = field(default_factory=time.perf_counter)


def class_weight_of(graph: NodeGraph, split: NodeSplit, method: dict,
                    device: torch.device) -> torch.Tensor | None:
    """The loss's class weights (:data:`imbgraph.losses.CLASS_WEIGHTS`) from the split's
    training class counts, float32 on ``device``; None for ``class_weights: none``."""
    loss = method["loss"]
    if loss.get("class_weights", "none") == "none":
        return None
    counts = np.bincount(graph.y[split.train], minlength=graph.num_classes)
    w = class_weights(loss["class_weights"], counts, **loss.get("class_weight_params", {}))
    return torch.as_tensor(w, dtype=torch.float32, device=device)


def setup_run(graph: NodeGraph, split: NodeSplit, method: dict, seed: int,
              device: torch.device | str | None) -> JobRun:
    """Seed everything from ``seed``; the graph, split, class weights and TrainConfig."""
    t0 = time.perf_counter()
    dev = torch.device(device) if device is not None else default_device()
    seed_everything(seed)
    weight = class_weight_of(graph, split, method, dev)
    tr = method["train"]
    cfg = TrainConfig(**{k: tr[k] for k in TrainConfig.__dataclass_fields__ if k in tr})

    def t(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a, device=dev)

    return JobRun(dev, t(graph.x), t(graph.y), t(graph.edge_index), t(split.train),
                  t(split.val), t(split.test), weight, cfg, t0)


def criterion_of(method: dict) -> Callable[..., torch.Tensor]:
    """The method's loss function (:data:`imbgraph.nodecls.balancing.LOSSES`)."""
    return LOSSES[method["loss"]["name"]]


def group_recall(y: np.ndarray, pred: np.ndarray, classes: list[int]) -> float:
    """Mean recall over ``classes`` (those absent from ``y`` skipped; NaN when none is
    present)."""
    rec = [float((pred[y == c] == c).mean()) for c in classes if (y == c).any()]
    return float(np.mean(rec)) if rec else float("nan")


def score_test(graph: NodeGraph, split: NodeSplit, proba: torch.Tensor,
               best_epoch: int) -> dict[str, Any]:
    """The metrics of every job (see :func:`imbgraph.nodecls.methods.run_method`) for the
    test nodes' probabilities (t, C)."""
    p = proba.double().cpu().numpy()
    y_test = graph.y[split.test]
    out: dict[str, Any] = classification_report(y_test, p)
    pred = p.argmax(axis=1)
    minority = list(split.minority)
    majority = [c for c in range(graph.num_classes) if c not in split.minority]
    out["minority_recall"] = group_recall(y_test, pred, minority)
    out["majority_recall"] = group_recall(y_test, pred, majority)
    out["train_size"] = int(split.train.shape[0])
    out["best_epoch"] = int(best_epoch)
    return out


def run_summary(run: JobRun, result, **extra: Any) -> dict[str, Any]:
    """timings.json content: the summary keys of every job (see
    :func:`imbgraph.nodecls.methods.run_method`; ``synthetic_per_step`` 0 unless ``extra``
    gives it) plus ``extra``."""
    return {"seconds": time.perf_counter() - run.t0, "train_seconds": result.seconds,
            "pretrain_seconds": result.pretrain_seconds, "epochs": result.epochs,
            "seconds_per_epoch": result.seconds / max(result.epochs, 1),
            "synthetic_per_step": 0, "device": str(run.device), **extra}


def run_clusters(method: dict, clusters: np.ndarray | None,
                 n: int) -> tuple[np.ndarray, int]:
    """The job's clusters checked against k (``balancing.clusters``, else max id + 1)."""
    if clusters is None:
        raise ValueError(f"balancing {method['balancing']['name']!r} needs the dataset's "
                         "METIS clusters (clusters=...)")
    bal = method["balancing"]
    c = np.asarray(clusters)
    k = int(bal["clusters"]) if bal.get("clusters") is not None else int(c.max()) + 1
    return check_clusters(c, n, k, what="clusters"), k


def fit_full_batch(model: BalancedModel, batch: Batch, run: JobRun, progress: bool):
    """Train on one full batch (validation on it too); test probabilities (t, C)."""
    result = fit(model, batch, run.val, run.cfg, progress=progress)
    return result, predict_proba(model, batch.x, batch.adj)[run.test]


def full_batch(x: torch.Tensor, edge_index: torch.Tensor, run: JobRun, num_classes: int,
               y: torch.Tensor | None = None, train: torch.Tensor | None = None) -> Batch:
    """A :class:`Batch` of the whole graph ``(x, edge_index)`` without per-step synthetic
    nodes (labels and training ids default to the job's)."""
    return Batch(x=x, adj=Adjacency.from_edge_index(edge_index, x.shape[0], device=run.device),
                 y=run.y if y is None else y, train=run.train if train is None else train,
                 new_per_class=torch.zeros(num_classes, dtype=torch.long, device=run.device),
                 class_weight=run.class_weight, edge_index=edge_index)


# --- baselines ------------------------------------------------------------------------------
def run_cb_sampling(graph: NodeGraph, split: NodeSplit, method: dict[str, Any], *, seed: int,
                    clusters: np.ndarray | None = None, device=None,
                    progress: bool = False, pretrained: ClusterPretrain | None = None
                    ) -> tuple[dict[str, Any], dict[str, Any]]:
    """CB-Sampling (class first, then node) with the method's model; full batch."""
    run = setup_run(graph, split, method, seed, device)
    bal = method["balancing"]
    gnn = build_model(method["model"], graph.num_features, graph.num_classes)
    model = CBSampling(gnn, criterion_of(method), num_samples=bal.get("num_samples"))
    batch = full_batch(run.x, run.edge_index, run, graph.num_classes)
    result, proba = fit_full_batch(model.to(run.device), batch, run, progress)
    return score_test(graph, split, proba, result.best_epoch), run_summary(run, result)


def run_cluster_features(graph: NodeGraph, split: NodeSplit, method: dict[str, Any], *,
                         seed: int, clusters: np.ndarray | None = None, device=None,
                         progress: bool = False, pretrained: ClusterPretrain | None = None
                         ) -> tuple[dict[str, Any], dict[str, Any]]:
    """"GraphSAGE (Cluster Features)": the one-hot cluster id appended to the features."""
    c, k = run_clusters(method, clusters, graph.num_nodes)
    run = setup_run(graph, split, method, seed, device)
    onehot = F.one_hot(torch.as_tensor(c, device=run.device), k).to(run.x.dtype)
    x = torch.cat([run.x, onehot], dim=1)
    gnn = build_model(method["model"], x.shape[1], graph.num_classes)
    model = Plain(gnn, criterion_of(method)).to(run.device)
    batch = full_batch(x, run.edge_index, run, graph.num_classes)
    result, proba = fit_full_batch(model, batch, run, progress)
    return (score_test(graph, split, proba, result.best_epoch),
            run_summary(run, result, clusters=k))


def run_cluster_gcn(graph: NodeGraph, split: NodeSplit, method: dict[str, Any], *, seed: int,
                    clusters: np.ndarray | None = None, device=None,
                    progress: bool = False, pretrained: ClusterPretrain | None = None
                    ) -> tuple[dict[str, Any], dict[str, Any]]:
    """ClusterGCN: one optimiser step per batch of ``clusters_per_batch`` METIS clusters
    (their induced subgraph), every node once per epoch; validation and test on the whole
    graph."""
    c, k = run_clusters(method, clusters, graph.num_nodes)
    run = setup_run(graph, split, method, seed, device)
    q = int(method["balancing"].get("clusters_per_batch", 1))
    batches = ClusterBatches(run.edge_index, c, k, clusters_per_batch=q, device=run.device)
    loader = cluster_gcn_loader(batches, run.x, run.y, run.train, run.class_weight,
                                graph.num_classes)
    gnn = build_model(method["model"], graph.num_features, graph.num_classes)
    model = Plain(gnn, criterion_of(method)).to(run.device)
    adj = Adjacency.from_edge_index(run.edge_index, graph.num_nodes, device=run.device)
    result = fit(model, loader, run.val, run.cfg, eval_graph=(run.x, adj), y=run.y,
                 progress=progress)
    proba = predict_proba(model, run.x, adj)[run.test]
    return (score_test(graph, split, proba, result.best_epoch),
            run_summary(run, result, clusters=k, batches_per_epoch=-(-k // q)))
