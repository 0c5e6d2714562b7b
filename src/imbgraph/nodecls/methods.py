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
from dataclasses import replace
from typing import Any, Callable

import numpy as np
import torch

from imbgraph.losses import CLASS_WEIGHTS
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
from imbgraph.nodecls.ecgn_jobs import (
    class_weight_of,
    fit_full_batch,
    full_batch,
    run_summary,
    score_test,
    setup_run,
)
from imbgraph.nodecls.graph import NodeGraph
from imbgraph.nodecls.graphsmote import GraphSMOTE
from imbgraph.nodecls.models import GNN, MODELS, Adjacency, build_model
from imbgraph.nodecls.splits import SPLITS, NodeSplit, oversampling_targets
from imbgraph.nodecls.train import SELECT
from imbgraph.provenance import run_settings

__all__ = ["BALANCING", "BALANCING_NAMES", "CLASS_WEIGHTS", "ECGN_BALANCING", "LOSSES",
           "MODELS", "OVERSAMPLING", "SELECT", "SPLITS", "TASK", "build_batch",
           "build_method", "metrics_record", "run_method", "run_records", "synthetic_per_class"]

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


def synthetic_per_class(graph: NodeGraph, split: NodeSplit, method: dict) -> np.ndarray:
    """(C,) synthetic nodes per class per training step (zeros for a method that adds none)."""
    bal = method["balancing"]
    if bal["name"] not in OVERSAMPLING:
        return np.zeros(graph.num_classes, dtype=np.int64)
    counts = np.bincount(graph.y[split.train], minlength=graph.num_classes)
    return oversampling_targets(counts, split.minority, bal["scale"])


def build_batch(graph: NodeGraph, split: NodeSplit, method: dict,
                device: torch.device) -> Batch:
    """Tensors of the training graph for ``method`` (class weights and synthetic-node counts
    from the split's training class counts)."""
    edge_index = torch.as_tensor(graph.edge_index, device=device)
    return Batch(x=torch.as_tensor(graph.x, device=device),
                 adj=Adjacency.from_edge_index(edge_index, graph.num_nodes, device=device),
                 y=torch.as_tensor(graph.y, device=device),
                 train=torch.as_tensor(split.train, device=device),
                 new_per_class=torch.as_tensor(synthetic_per_class(graph, split, method),
                                               device=device),
                 class_weight=class_weight_of(graph, split, method, device),
                 edge_index=edge_index)


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
    run = setup_run(graph, split, method, seed, device)
    new = synthetic_per_class(graph, split, method)
    batch = replace(full_batch(run.x, run.edge_index, run, graph.num_classes),
                    new_per_class=torch.as_tensor(new, device=run.device))
    model = build_method(method, graph.num_features, graph.num_classes).to(run.device)
    result, proba = fit_full_batch(model, batch, run, progress)
    return (score_test(graph, split, proba, result.best_epoch),
            run_summary(run, result, synthetic_per_step=int(new.sum())))


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
