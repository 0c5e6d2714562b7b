"""Registries and the job body of the node-classification family.

A method is a config entry ``{label, model, balancing, loss[, train]}`` (model x balancing x
loss, :func:`imbgraph.nodecls.config.resolve_method`); :func:`run_method` trains it on one
graph and split for one seed and returns the test metrics. It touches no file: the workflow
script reads the graph and splits, loops over the seeds and writes each seed's
``metrics.json`` / ``timings.json`` / ``settings.json``.

Registries (a unit test keeps the schema's enums equal to them):

* :data:`MODELS` (``imbgraph.nodecls.models``): ``sage``, ``gcn``;
* :data:`BALANCING`: ``none``, ``oversampling``, ``smote``, ``embed_smote``, ``graphsmote``;
  plus the cluster-based job bodies of :data:`imbgraph.nodecls.ecgn.ECGN_BALANCING`
  (``cb_sampling``, ``cluster_features``, ``cluster_gcn``, ``ecgn``), which
  :func:`run_method` hands the dataset's METIS clusters and, for ECGN, a cached pre-training;
  :data:`BALANCING_NAMES` is the union (the schema's enum);
* :data:`LOSSES` (``imbgraph.nodecls.balancing``): ``ce``, with class weights from
  :data:`imbgraph.losses.CLASS_WEIGHTS` (``none``, ``inverse``, ``effective_number``);
* :data:`SPLITS` (``imbgraph.nodecls.splits``): ``artificial``, ``genuine``, ``longtail``;
* :data:`SELECT` (``imbgraph.nodecls.train``): validation criteria.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

import numpy as np
import torch

from imbgraph.losses import CLASS_WEIGHTS, class_weights
from imbgraph.metrics.classification import classification_report
from imbgraph.nodecls.balancing import (
    LOSSES,
    BalancedModel,
    Batch,
    EmbedSMOTE,
    OverSampling,
    Plain,
    RawSMOTE,
)
from imbgraph.nodecls.ecgn import ECGN_BALANCING
from imbgraph.nodecls.graph import NodeGraph
from imbgraph.nodecls.graphsmote import GraphSMOTE
from imbgraph.nodecls.models import GNN, MODELS, Adjacency, build_model
from imbgraph.nodecls.splits import SPLITS, NodeSplit, oversampling_targets
from imbgraph.nodecls.train import SELECT, TrainConfig, fit, predict_proba
from imbgraph.provenance import run_settings
from imbgraph.training import default_device, seed_everything

__all__ = ["BALANCING", "BALANCING_NAMES", "CLASS_WEIGHTS", "ECGN_BALANCING", "LOSSES",
           "MODELS", "OVERSAMPLING", "SELECT", "SPLITS", "TASK", "build_batch",
           "build_method", "metrics_record", "run_method", "run_records"]

TASK = "nodecls"

log = logging.getLogger(__name__)

Factory = Callable[..., BalancedModel]

BALANCING: dict[str, Factory] = {
    "none": lambda gnn, crit: Plain(gnn, crit),
    "oversampling": lambda gnn, crit: OverSampling(gnn, crit),
    "smote": lambda gnn, crit: RawSMOTE(gnn, crit),
    "embed_smote": lambda gnn, crit: EmbedSMOTE(gnn, crit),
    "graphsmote": lambda gnn, crit, **params: GraphSMOTE(gnn, crit, **params),
}

#: every balancing name a method may use (the schema's enum)
BALANCING_NAMES = sorted([*BALANCING, *ECGN_BALANCING])

#: balancing strategies that add synthetic nodes (and so need an over-sampling ``scale``)
OVERSAMPLING = ("oversampling", "smote", "embed_smote", "graphsmote")


def _params(entry: dict, *drop: str) -> dict:
    return {k: v for k, v in entry.items() if k not in ("name", *drop)}


def build_method(method: dict, in_channels: int, num_classes: int) -> BalancedModel:
    """The :class:`BalancedModel` of a resolved method (fresh parameters from torch's global
    generator: seed first)."""
    gnn: GNN = build_model(method["model"], in_channels, num_classes)
    bal = method["balancing"]
    criterion = LOSSES[method["loss"]["name"]]
    return BALANCING[bal["name"]](gnn, criterion, **_params(bal, "scale"))


def build_batch(graph: NodeGraph, split: NodeSplit, method: dict,
                device: torch.device) -> Batch:
    """Tensors of the training graph for ``method`` (class weights and synthetic-node counts
    from the split's training class counts)."""
    y = torch.as_tensor(graph.y, device=device)
    train = torch.as_tensor(split.train, device=device)
    counts = np.bincount(graph.y[split.train], minlength=graph.num_classes)
    bal, loss = method["balancing"], method["loss"]
    if bal["name"] in OVERSAMPLING:
        new = oversampling_targets(counts, split.minority, bal["scale"])
    else:
        new = np.zeros(graph.num_classes, dtype=np.int64)
    weights = None
    if loss.get("class_weights", "none") != "none":
        w = class_weights(loss["class_weights"], counts, **loss.get("class_weight_params", {}))
        weights = torch.as_tensor(w, dtype=torch.float32, device=device)
    edge_index = torch.as_tensor(graph.edge_index, device=device)
    return Batch(x=torch.as_tensor(graph.x, device=device),
                 adj=Adjacency.from_edge_index(edge_index, graph.num_nodes, device=device),
                 y=y, train=train, new_per_class=torch.as_tensor(new, device=device),
                 class_weight=weights, edge_index=edge_index)


def _group_recall(y: np.ndarray, pred: np.ndarray, classes: list[int]) -> float:
    rec = [float((pred[y == c] == c).mean()) for c in classes if (y == c).any()]
    return float(np.mean(rec)) if rec else float("nan")


def run_method(graph: NodeGraph, split: NodeSplit, method: dict[str, Any], *, seed: int,
               device: torch.device | str | None = None, progress: bool = False,
               clusters: np.ndarray | None = None,
               pretrained=None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Train ``method`` on ``graph`` with ``split`` for one seed; score the test nodes.

    Everything random is reseeded from ``seed`` first, so a loop over seeds in one process
    gives the same numbers as one process per seed.

    Parameters
    ----------
    graph : the original graph (synthetic nodes exist only inside training steps)
    split : train / val / test node ids and the minority classes
    method : a resolved method (:func:`imbgraph.nodecls.config.resolve_method`)
    seed : the run seed
    device : default :func:`imbgraph.training.default_device`
    clusters : (n,) METIS cluster ids of the graph, for the balancing names of
        :data:`ECGN_BALANCING` that read them (``ECGN_BALANCING[name].needs_clusters``)
    pretrained : this seed's cached ECGN pre-training
        (:func:`imbgraph.nodecls.ecgn_pretrain.read_pretrain`), or None to pre-train here

    Returns
    -------
    metrics : dict, a function of (config, seed) only: ``acc``, ``balanced_acc``,
        ``macro_f1``, ``micro_f1``, ``macro_auroc``, ``n`` (test nodes), ``minority_recall``
        and ``majority_recall`` (mean recall over the split's minority / other classes),
        ``train_size`` and ``best_epoch``
    summary : dict of timings and counts (``seconds``, ``train_seconds``,
        ``pretrain_seconds``, ``epochs``, ``seconds_per_epoch``, ``synthetic_per_step``)
    """
    name = method["balancing"]["name"]
    if name in ECGN_BALANCING:
        return ECGN_BALANCING[name].run(graph, split, method, seed=seed, clusters=clusters,
                                        device=device, progress=progress,
                                        pretrained=pretrained)
    t0 = time.perf_counter()
    device = torch.device(device) if device is not None else default_device()
    seed_everything(seed)
    batch = build_batch(graph, split, method, device)
    model = build_method(method, graph.num_features, graph.num_classes).to(device)
    tr = method["train"]
    cfg = TrainConfig(**{k: tr[k] for k in TrainConfig.__dataclass_fields__ if k in tr})
    val = torch.as_tensor(split.val, device=device)
    result = fit(model, batch, val, cfg, progress=progress)
    proba = predict_proba(model, batch.x, batch.adj)[torch.as_tensor(split.test, device=device)]
    proba = proba.double().cpu().numpy()
    y_test = graph.y[split.test]
    metrics: dict[str, Any] = classification_report(y_test, proba)
    pred = proba.argmax(axis=1)
    minority = list(split.minority)
    majority = [c for c in range(graph.num_classes) if c not in split.minority]
    metrics["minority_recall"] = _group_recall(y_test, pred, minority)
    metrics["majority_recall"] = _group_recall(y_test, pred, majority)
    metrics["train_size"] = int(split.train.shape[0])
    metrics["best_epoch"] = int(result.best_epoch)
    summary = {
        "seconds": time.perf_counter() - t0,
        "train_seconds": result.seconds,
        "pretrain_seconds": result.pretrain_seconds,
        "epochs": result.epochs,
        "seconds_per_epoch": result.seconds / max(result.epochs, 1),
        "synthetic_per_step": int(batch.new_per_class.sum()),
        "device": str(device),
    }
    return metrics, summary


def metrics_record(*, dataset: str, split: str, method: str, label: str, seed: int,
                   metrics: dict[str, Any]) -> dict[str, Any]:
    """The content of a run's ``metrics.json`` (the house's common keys first)."""
    return {"task": TASK, "dataset": dataset, "split": split, "method": method,
            "method_label": label, "seed": int(seed), **metrics}


def run_records(graph: NodeGraph, split: NodeSplit, method: dict[str, Any], *, seed: int,
                dataset: str, split_name: str, method_name: str,
                clusters: np.ndarray | None = None, pretrained=None,
                data: dict[str, Any] | None = None, device: torch.device | str | None = None,
                progress: bool = True) -> tuple[dict, dict, dict]:
    """One seed of a run job: :func:`run_method`, then the contents of the run's
    ``metrics.json`` (:func:`metrics_record`: a function of config and seed only),
    ``timings.json`` (the summary) and ``settings.json``
    (:func:`imbgraph.provenance.run_settings`: the resolved method, ``data`` — what the run
    depended on besides the method — and the split's training class counts)."""
    metrics, summary = run_method(graph, split, method, seed=seed, device=device,
                                  progress=progress, clusters=clusters, pretrained=pretrained)
    log.info("%s / %s / %s seed %d: acc %.4f, macro-F1 %.4f, macro AUC-ROC %.4f "
             "(best epoch %d of %d) in %.1f s", dataset, split_name, method_name, seed,
             metrics["acc"], metrics["macro_f1"], metrics["macro_auroc"], metrics["best_epoch"],
             summary["epochs"], summary["seconds"])
    record = metrics_record(dataset=dataset, split=split_name, method=method_name,
                            label=method["label"], seed=seed, metrics=metrics)
    counts = split.counts(graph.y, graph.num_classes)
    settings = run_settings(
        task=TASK, dataset=dataset, split=split_name, method=method_name, seed=seed,
        resolved=method, **(data or {}),
        graph={"nodes": graph.num_nodes, "edges": graph.num_edges,
               "features": graph.num_features, "classes": list(graph.class_names)},
        split_counts={p: c.tolist() for p, c in counts.items()},
        minority=[graph.class_names[c] for c in split.minority])
    return record, summary, settings
