"""ECGN (Enhanced Cluster-aware Graph Network) and the baselines of its Table 2 that the
family's :data:`~imbgraph.nodecls.methods.BALANCING` strategies do not already cover.

Every entry of :data:`ECGN_BALANCING` is a balancing name of a ``nodecls.methods`` entry and a
job body with :func:`imbgraph.nodecls.methods.run_method`'s signature plus the METIS clusters
of the dataset (``clusters``, (n,) int ids; :mod:`imbgraph.nodecls.clusters`):

* ``cb_sampling``: class-balanced node sampling (:class:`~imbgraph.nodecls.sampling.CBSampling`);
* ``cluster_features``: "GraphSAGE (cluster features)": the one-hot cluster id appended to x;
* ``cluster_gcn``: ClusterGCN mini-batches of the same METIS clusters
  (:mod:`imbgraph.nodecls.cluster_gcn`), every node once per epoch;
* ``ecgn``: the method itself (paper Algorithm 1), with switches for its ablations:

  1. pre-training (``pretrain: true``): one network per cluster on its intra-cluster subgraph,
     all from the same initialisation, trained at once
     (:func:`~imbgraph.nodecls.ecgn_pretrain.pretrain_clusters`); each node's embedding comes
     from its cluster's network. ``pretrain: false`` keeps the raw features ("Cluster-Aware
     SMOTE only"). ``smooth: true`` averages the embeddings once over each node's neighbours
     in the whole graph, as the public code does (the paper does not; default false);
  2. cluster-aware SMOTE (``smote: true``; false: "ECGN (Without SMOTE)"):
     :mod:`imbgraph.nodecls.ecgn_smote`, once per run on the fixed embeddings;
  3. global integration: a fresh network of the method's model over the augmented graph on
     the embeddings, trained and selected on validation like every other method. The
     pre-trained weights are not transferred (ECGN); ``transfer: average | largest | best``
     initialises the global network from the mean of the trained cluster networks, the
     largest cluster's, or the one with the best validation macro-F1 on its own cluster's
     validation nodes (Table 4), parameter by parameter where the shapes agree (the first
     convolution's input width differs, d vs hidden, so it keeps its fresh initialisation);
  4. ``inference: local`` skips global integration and predicts each node with its own
     cluster's network (Table 3).

  The augmented graph (real edges plus each synthetic node's links) is used for training and
  for scoring the validation and test nodes: ECGN adds the synthetic nodes to the graph.

Jobs touch no file and reseed everything from ``seed`` first: a loop over seeds in one
process gives the numbers of one process per seed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F

from imbgraph.errors import ConfigError
from imbgraph.losses import class_weights
from imbgraph.metrics.classification import classification_report
from imbgraph.nodecls.balancing import LOSSES, BalancedModel, Batch, Plain
from imbgraph.nodecls.cluster_gcn import ClusterBatches, cluster_gcn_loader
from imbgraph.nodecls.clusters import boundary_connectivity, check_clusters
from imbgraph.nodecls.ecgn_pretrain import ClusterPretrain, pretrain_clusters
from imbgraph.nodecls.ecgn_smote import augment_graph, cluster_smote, synthetic_counts
from imbgraph.nodecls.graph import NodeGraph
from imbgraph.nodecls.models import GNN, Adjacency, build_model
from imbgraph.nodecls.sampling import CBSampling
from imbgraph.nodecls.splits import NodeSplit
from imbgraph.nodecls.train import TrainConfig, fit, predict_proba
from imbgraph.training import default_device, seed_everything

__all__ = ["ClusterMethod", "ECGN_BALANCING", "Job", "TRANSFER", "pretrain_settings",
           "run_cb_sampling", "run_cluster_features", "run_cluster_gcn", "run_ecgn",
           "run_pretrain", "stage_seed", "transfer_state"]

Job = Callable[..., tuple[dict[str, Any], dict[str, Any]]]

#: Table 4's weight-transfer strategies (``none``: ECGN's fresh global network)
TRANSFER = ("none", "average", "largest", "best")


# --- shared pieces of the job bodies ---------------------------------------------------------
@dataclass
class _Run:
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


def _setup(graph: NodeGraph, split: NodeSplit, method: dict, seed: int,
           device: torch.device | str | None) -> _Run:
    t0 = time.perf_counter()
    dev = torch.device(device) if device is not None else default_device()
    seed_everything(seed)
    loss = method["loss"]
    weight = None
    if loss.get("class_weights", "none") != "none":
        counts = np.bincount(graph.y[split.train], minlength=graph.num_classes)
        w = class_weights(loss["class_weights"], counts, **loss.get("class_weight_params", {}))
        weight = torch.as_tensor(w, dtype=torch.float32, device=dev)
    tr = method["train"]
    cfg = TrainConfig(**{k: tr[k] for k in TrainConfig.__dataclass_fields__ if k in tr})

    def t(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a, device=dev)

    return _Run(dev, t(graph.x), t(graph.y), t(graph.edge_index), t(split.train), t(split.val),
                t(split.test), weight, cfg, t0)


def _criterion(method: dict) -> Callable[..., torch.Tensor]:
    return LOSSES[method["loss"]["name"]]


def _group_recall(y: np.ndarray, pred: np.ndarray, classes: list[int]) -> float:
    rec = [float((pred[y == c] == c).mean()) for c in classes if (y == c).any()]
    return float(np.mean(rec)) if rec else float("nan")


def _report(graph: NodeGraph, split: NodeSplit, proba: torch.Tensor,
            best_epoch: int) -> dict[str, Any]:
    """The metrics of :func:`imbgraph.nodecls.methods.run_method` for test probabilities."""
    p = proba.double().cpu().numpy()
    y_test = graph.y[split.test]
    out: dict[str, Any] = classification_report(y_test, p)
    pred = p.argmax(axis=1)
    minority = list(split.minority)
    majority = [c for c in range(graph.num_classes) if c not in split.minority]
    out["minority_recall"] = _group_recall(y_test, pred, minority)
    out["majority_recall"] = _group_recall(y_test, pred, majority)
    out["train_size"] = int(split.train.shape[0])
    out["best_epoch"] = int(best_epoch)
    return out


def _summary(run: _Run, result, **extra: Any) -> dict[str, Any]:
    return {"seconds": time.perf_counter() - run.t0, "train_seconds": result.seconds,
            "pretrain_seconds": result.pretrain_seconds, "epochs": result.epochs,
            "seconds_per_epoch": result.seconds / max(result.epochs, 1),
            "synthetic_per_step": 0, "device": str(run.device), **extra}


def _num_clusters(method: dict, clusters: np.ndarray | None, n: int) -> tuple[np.ndarray, int]:
    if clusters is None:
        raise ValueError(f"balancing {method['balancing']['name']!r} needs the dataset's "
                         "METIS clusters (clusters=...)")
    bal = method["balancing"]
    c = np.asarray(clusters)
    k = int(bal["clusters"]) if bal.get("clusters") is not None else int(c.max()) + 1
    return check_clusters(c, n, k, what="clusters"), k


def _fit_full(model: BalancedModel, batch: Batch, run: _Run, progress: bool):
    result = fit(model, batch, run.val, run.cfg, progress=progress)
    return result, predict_proba(model, batch.x, batch.adj)[run.test]


def _full_batch(x: torch.Tensor, edge_index: torch.Tensor, run: _Run, num_classes: int,
                y: torch.Tensor | None = None, train: torch.Tensor | None = None) -> Batch:
    return Batch(x=x, adj=Adjacency.from_edge_index(edge_index, x.shape[0], device=run.device),
                 y=run.y if y is None else y, train=run.train if train is None else train,
                 new_per_class=torch.zeros(num_classes, dtype=torch.long, device=run.device),
                 class_weight=run.class_weight, edge_index=edge_index)


# --- baselines ------------------------------------------------------------------------------
def run_cb_sampling(graph: NodeGraph, split: NodeSplit, method: dict[str, Any], *, seed: int,
                    clusters: np.ndarray | None = None, device=None,
                    progress: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """CB-Sampling (class first, then node) with the method's model; full batch."""
    run = _setup(graph, split, method, seed, device)
    bal = method["balancing"]
    gnn = build_model(method["model"], graph.num_features, graph.num_classes)
    model = CBSampling(gnn, _criterion(method), num_samples=bal.get("num_samples")).to(run.device)
    result, proba = _fit_full(model, _full_batch(run.x, run.edge_index, run, graph.num_classes),
                              run, progress)
    return _report(graph, split, proba, result.best_epoch), _summary(run, result)


def run_cluster_features(graph: NodeGraph, split: NodeSplit, method: dict[str, Any], *,
                         seed: int, clusters: np.ndarray | None = None, device=None,
                         progress: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """"GraphSAGE (Cluster Features)": the one-hot cluster id appended to the features."""
    c, k = _num_clusters(method, clusters, graph.num_nodes)
    run = _setup(graph, split, method, seed, device)
    onehot = F.one_hot(torch.as_tensor(c, device=run.device), k).to(run.x.dtype)
    x = torch.cat([run.x, onehot], dim=1)
    gnn = build_model(method["model"], x.shape[1], graph.num_classes)
    model = Plain(gnn, _criterion(method)).to(run.device)
    result, proba = _fit_full(model, _full_batch(x, run.edge_index, run, graph.num_classes),
                              run, progress)
    return _report(graph, split, proba, result.best_epoch), _summary(run, result, clusters=k)


def run_cluster_gcn(graph: NodeGraph, split: NodeSplit, method: dict[str, Any], *, seed: int,
                    clusters: np.ndarray | None = None, device=None,
                    progress: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
    """ClusterGCN: one optimiser step per batch of ``clusters_per_batch`` METIS clusters
    (their induced subgraph), every node once per epoch; validation and test on the whole
    graph."""
    c, k = _num_clusters(method, clusters, graph.num_nodes)
    run = _setup(graph, split, method, seed, device)
    q = int(method["balancing"].get("clusters_per_batch", 1))
    batches = ClusterBatches(run.edge_index, c, k, clusters_per_batch=q, device=run.device)
    loader = cluster_gcn_loader(batches, run.x, run.y, run.train, run.class_weight,
                                graph.num_classes)
    gnn = build_model(method["model"], graph.num_features, graph.num_classes)
    model = Plain(gnn, _criterion(method)).to(run.device)
    adj = Adjacency.from_edge_index(run.edge_index, graph.num_nodes, device=run.device)
    result = fit(model, loader, run.val, run.cfg, eval_graph=(run.x, adj), y=run.y,
                 progress=progress)
    proba = predict_proba(model, run.x, adj)[run.test]
    return (_report(graph, split, proba, result.best_epoch),
            _summary(run, result, clusters=k, batches_per_epoch=-(-k // q)))


# --- ECGN -----------------------------------------------------------------------------------
def transfer_state(pre: ClusterPretrain, strategy: str) -> dict[str, torch.Tensor]:
    """Table 4: the template-named parameters of the cluster networks to start the global
    network from: ``average`` (mean over the clusters that had training nodes), ``largest``
    (most nodes; ties: lowest id), ``best`` (highest validation macro-F1 on its own
    cluster's validation nodes; ties: lowest id; no cluster with validation nodes: largest)."""
    trained = pre.trained
    if not bool(trained.any()):
        raise ValueError("weight transfer: no cluster had a training node")
    if strategy == "average":
        return pre.cluster_state(trained)
    sizes = torch.where(trained, pre.sizes, torch.full_like(pre.sizes, -1))
    largest = int(torch.argmax(sizes))  # argmax returns the first maximum
    if strategy == "largest":
        return pre.cluster_state(largest)
    if strategy == "best":
        score = torch.nan_to_num(pre.val_score, nan=float("-inf"))
        if not bool(torch.isfinite(score).any()):
            return pre.cluster_state(largest)
        return pre.cluster_state(int(torch.argmax(score)))
    raise ValueError(f"transfer = {strategy!r}; expected one of {list(TRANSFER)}")


def _load_matching(gnn: GNN, state: dict[str, torch.Tensor]) -> list[str]:
    """Copy into ``gnn`` every layer (a convolution ``encoder.i`` / ``classifier.i``, or the
    head ``lin``) whose parameters all match ``state`` by name and shape; a layer with any
    mismatch keeps its fresh initialisation whole. Returns the parameter names copied."""

    def layer(name: str) -> str:
        parts = name.split(".")
        return ".".join(parts[:2]) if parts[0] in ("encoder", "classifier") else parts[0]

    params = dict(gnn.named_parameters())
    ok: dict[str, bool] = {}
    for name, p in params.items():
        src = state.get(name)
        ok[layer(name)] = ok.get(layer(name), True) and src is not None and src.shape == p.shape
    copied = [name for name in params if ok[layer(name)]]
    with torch.no_grad():
        for name in copied:
            params[name].copy_(state[name])
    return copied


def _smooth(h: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
    """Each row replaced by the mean of its neighbours' rows (isolated nodes keep theirs)."""
    adj = Adjacency.from_edge_index(edge_index, h.shape[0], device=h.device)
    return torch.where((adj.deg > 0)[:, None], adj.mean(h), h)


def pretrain_settings(method: dict[str, Any]) -> dict[str, Any]:
    """The part of a resolved ECGN method that determines its pre-training (model, epochs,
    patience, Adam's lr and weight decay, k): methods with equal settings share one cached
    pre-training per (dataset, split, seed)."""
    bal = {**ECGN_BALANCING["ecgn"].defaults, **method["balancing"]}
    return {"model": method["model"], "clusters": bal.get("clusters"),
            "pretrain_epochs": int(bal["pretrain_epochs"]),
            "pretrain_patience": int(bal["pretrain_patience"]),
            "lr": float(method["train"]["lr"]),
            "weight_decay": float(method["train"]["weight_decay"])}


def run_pretrain(graph: NodeGraph, split: NodeSplit, method: dict[str, Any], *, seed: int,
                 clusters: np.ndarray, device=None) -> ClusterPretrain:
    """ECGN's pre-training stage for one seed (cacheable: it depends on
    :func:`pretrain_settings` only). Reseeds from ``seed``."""
    c, k = _num_clusters(method, clusters, graph.num_nodes)
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


def stage_seed(seed: int) -> int:
    """Seed of the stages after pre-training (SMOTE draw, global network), derived from the
    run seed, so that a cached pre-training gives the numbers of an in-process one."""
    return int(np.random.SeedSequence([int(seed), 1]).generate_state(1)[0])


def run_ecgn(graph: NodeGraph, split: NodeSplit, method: dict[str, Any], *, seed: int,
             clusters: np.ndarray | None = None, device=None, progress: bool = False,
             pretrained: ClusterPretrain | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """ECGN and its ablations (module docstring); ``method["balancing"]`` holds
    ``clusters`` (k), ``pretrain``, ``pretrain_epochs``, ``pretrain_patience``, ``smooth``,
    ``smote``, ``target`` or ``scale``, ``max_fraction``, ``seed_fraction``, ``transfer``,
    ``inference`` (defaults: :data:`ECGN_BALANCING` ``["ecgn"].defaults``).

    ``pretrained``: this seed's :func:`run_pretrain` result when a pipeline step cached it
    (computed here otherwise; the numbers are the same either way).
    """
    bal = {**ECGN_BALANCING["ecgn"].defaults, **method["balancing"]}
    c, k = _num_clusters(method, clusters, graph.num_nodes)
    run = _setup(graph, split, method, seed, device)
    n, num_classes = graph.num_nodes, graph.num_classes
    extra: dict[str, Any] = {"clusters": k}
    h, pre = run.x, None
    if bal["pretrain"]:
        pre = pretrained
        if pre is None:
            pre = run_pretrain(graph, split, method, seed=seed, clusters=c, device=run.device)
        elif pre.k != k or pre.embeddings.shape[0] != n:
            raise ValueError(f"pre-training of {pre.k} clusters and "
                             f"{pre.embeddings.shape[0]} nodes given for a run with {k} "
                             f"clusters and {n} nodes")
        h = pre.embeddings.to(run.device)
        extra.update(pretrain_seconds=pre.seconds, pretrain_epochs=pre.epochs,
                     cluster_best_epoch=pre.best_epoch.tolist(),
                     cluster_val_macro_f1=[None if v != v else float(v)
                                           for v in pre.val_score.tolist()])
        if bal["smooth"]:
            h = _smooth(h, run.edge_index)
    seed_everything(stage_seed(seed))
    if bal["inference"] == "local":
        if pre is None:
            raise ConfigError("balancing.inference = 'local' needs pretrain: true (direct "
                              "inference from the cluster networks)")
        proba = torch.softmax(pre.logits.to(run.device), dim=1)[run.test]
        summary = {"seconds": time.perf_counter() - run.t0, "train_seconds": 0.0,
                   "epochs": 0, "seconds_per_epoch": 0.0, "synthetic_per_step": 0,
                   "device": str(run.device), **extra}
        return _report(graph, split, proba, int(pre.best_epoch.max())), summary
    x, edges, y, train = h, graph.edge_index, run.y, run.train
    m = 0
    if bal["smote"]:
        counts = np.bincount(graph.y[split.train], minlength=num_classes)
        new = synthetic_counts(counts, split.minority, target=bal.get("target"),
                               scale=bal.get("scale"), max_fraction=bal.get("max_fraction"),
                               key="balancing")
        conn = boundary_connectivity(graph.edge_index, c)
        draw = cluster_smote(h, graph.y, split.train, conn, new,
                             seed_fraction=float(bal["seed_fraction"]))
        m = len(draw)
        if m:
            x = torch.cat([h, draw.features(h)])
            edges = augment_graph(graph.edge_index, draw.seed.cpu().numpy(), n)
            y = torch.cat([run.y, draw.label])
            train = torch.cat([run.train, n + torch.arange(m, device=run.device)])
    edge_t = torch.as_tensor(edges, device=run.device)
    gnn = build_model(method["model"], x.shape[1], num_classes)
    if bal["transfer"] != "none":
        if pre is None:
            raise ConfigError("balancing.transfer needs pretrain: true (weights of the "
                              "cluster networks)")
        extra["transferred"] = _load_matching(gnn, transfer_state(pre, bal["transfer"]))
    model = Plain(gnn, _criterion(method)).to(run.device)
    batch = _full_batch(x.detach(), edge_t, run, num_classes, y=y, train=train)
    result, proba = _fit_full(model, batch, run, progress)
    return (_report(graph, split, proba, result.best_epoch),
            _summary(run, result, synthetic_nodes=m, **extra))


# --- the registry ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ClusterMethod:
    """One balancing name of :data:`ECGN_BALANCING`.

    run : the job body (``run(graph, split, method, *, seed, clusters, device, progress)``)
    needs_clusters : whether the job reads the dataset's METIS clusters
    defaults : balancing settings filled in when absent (the resolved method carries them)
    """

    run: Job
    needs_clusters: bool
    defaults: dict[str, Any] = field(default_factory=dict)


#: balancing name -> :class:`ClusterMethod` (the family's registry additions for ECGN)
ECGN_BALANCING: dict[str, ClusterMethod] = {
    "cb_sampling": ClusterMethod(run_cb_sampling, False, {}),
    "cluster_features": ClusterMethod(run_cluster_features, True, {}),
    "cluster_gcn": ClusterMethod(run_cluster_gcn, True, {"clusters_per_batch": 1}),
    "ecgn": ClusterMethod(run_ecgn, True, {
        "pretrain": True, "pretrain_epochs": 200, "pretrain_patience": 40, "smooth": False,
        "smote": True, "max_fraction": 0.5, "seed_fraction": 0.5, "transfer": "none",
        "inference": "global"}),
}
