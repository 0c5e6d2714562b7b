"""The job body every node method shares: one (graph, split, method, seed) run.

:func:`run_method` looks the method up in :data:`imbgraph.nodecls.methods.METHODS` (or
imports a user's ``callable``), completes and checks its settings, hands it its cached
inputs (METIS clusters, ECGN's pre-training) as :class:`~imbgraph.nodecls.methods.base.
MethodInputs`, and then either trains the :class:`~imbgraph.nodecls.methods.base.
BalancedModel` it builds (:func:`train_model`: full batch, selection on validation) or runs
the method's own job body, which uses the same pieces (:func:`setup_run`,
:func:`full_batch`, :func:`fit_full_batch`, :func:`score_test`, :func:`run_summary`).
:func:`run_records` adds the run's three files (:func:`imbgraph.provenance.run_records`).

Jobs touch no file and reseed everything from the run seed first, so a loop over seeds in
one process gives the numbers of one process per seed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import numpy as np
import torch
from sklearn.metrics import f1_score

from imbgraph import plugins, provenance
from imbgraph.errors import ConfigError
from imbgraph.losses import class_weights
from imbgraph.metrics.classification import classification_report
from imbgraph.nodecls.adjacency import Adjacency
from imbgraph.nodecls.data.graph import NodeGraph
from imbgraph.nodecls.data.splits import NodeSplit, oversampling_targets
from imbgraph.nodecls.methods import ADDONS, METHODS, NodeMethod, resolve_addons
from imbgraph.nodecls.methods.base import BalancedModel, Batch, BuildModel, MethodInputs
from imbgraph.nodecls.methods.ecgn.clusters import check_clusters
from imbgraph.nodecls.train import TrainConfig, fit, predict_proba
from imbgraph.training import default_device, seed_everything

__all__ = ["JobRun", "TASK", "build_batch", "class_weight_of", "fit_full_batch", "full_batch",
           "group_recall", "prepare", "run_method", "run_records", "run_summary",
           "score_test", "setup_run", "synthetic_per_class", "train_model", "weighted_f1"]

TASK = "nodecls"

log = logging.getLogger(__name__)


# --- settings and inputs --------------------------------------------------------------------
def prepare(method: dict[str, Any], *, key: str = "method") -> tuple[NodeMethod, dict]:
    """The method's registry entry and ``method`` with its balancing defaults filled in,
    after the method's own checks (the config's, :mod:`imbgraph.nodecls.config`, repeated
    for direct library calls): ConfigError naming ``key`` before any training. Add-ons
    (``addons``) get their defaults too (:func:`~imbgraph.nodecls.methods.resolve_addons`)."""
    bal = method["balancing"]
    spec = METHODS.get_spec(bal["name"], key=f"{key}.balancing.name")
    full = spec.settings(bal)
    spec.validate(full, f"{key}.balancing")
    if spec.takes_split_scale(full):
        raise ConfigError(f"{key}.balancing has no over-sampling amount (scale) of its own; "
                          "resolve the method on its split first "
                          "(imbgraph.nodecls.config.resolve_method)")
    out = {**method, "balancing": full}
    if method.get("addons"):
        out["addons"] = resolve_addons(method, key)
    return spec, out


def _cached(spec: NodeMethod, settings: dict, cached: Mapping[str, Any],
            num_nodes: int) -> dict[str, Any]:
    """The cached inputs the method declares, checked (clusters against k and n; k filled
    in from the ids when the settings lack it)."""
    bal = settings["balancing"]
    out: dict[str, Any] = {}
    for need in spec.needs_of(bal):
        value = cached.get(need)
        if need == "clusters":
            if value is None:
                raise ValueError(f"balancing {bal['name']!r} needs the dataset's METIS "
                                 "clusters (cached['clusters'])")
            c = np.asarray(value)
            k = int(bal["clusters"]) if bal.get("clusters") is not None else int(c.max()) + 1
            out[need] = check_clusters(c, num_nodes, k, what="clusters")
            bal["clusters"] = k
        elif value is not None:  # ECGN's pre-training: computed in the job when not cached
            out[need] = value
    return out


def _params(spec: NodeMethod, bal: dict) -> dict[str, Any]:
    if spec.impl is None:  # a user's method: its own params block
        return dict(bal.get("params", {}))
    return {k: v for k, v in bal.items() if k != "name"}


# --- the job --------------------------------------------------------------------------------
def run_method(graph: NodeGraph, split: NodeSplit, method: dict[str, Any], *, seed: int,
               device: torch.device | str | None = None, progress: bool = False,
               cached: Mapping[str, Any] | None = None,
               key: str = "method") -> tuple[dict[str, Any], dict[str, Any]]:
    """Train ``method`` on ``graph`` with ``split`` for one seed; score the test nodes.

    Parameters
    ----------
    graph : the original graph (synthetic nodes exist only inside training steps)
    split : train / val / test node ids and the minority classes
    method : a resolved method (:func:`imbgraph.nodecls.config.resolve_method`)
    seed : the run seed (everything random is reseeded from it first)
    device : default :func:`imbgraph.training.default_device`
    cached : the cached inputs the method declares (``clusters``: (n,) METIS ids;
        ``pretrain``: this seed's ECGN pre-training,
        :func:`imbgraph.nodecls.methods.ecgn.pretrain.read_pretrain`, or absent to
        pre-train here)
    key : the method's config key, named in errors (``nodecls.methods.<name>``)

    Returns
    -------
    metrics : dict, a function of (config, seed) only: ``acc``, ``balanced_acc``,
        ``macro_f1``, ``micro_f1``, ``macro_auroc``, ``n`` (test nodes), ``minority_recall``
        and ``majority_recall`` (mean recall over the split's minority / other classes),
        ``train_size``, ``best_epoch`` and ``weighted_f1`` (:func:`weighted_f1`)
    summary : dict of timings and counts (``seconds``, ``train_seconds``,
        ``pretrain_seconds``, ``epochs``, ``seconds_per_epoch``, ``synthetic_per_step``,
        ``device``, and what the method adds)
    """
    spec, settings = prepare(method, key=key)
    bal = settings["balancing"]
    given = _cached(spec, settings, cached or {}, graph.num_nodes)  # fills in k
    inputs = MethodInputs(
        graph=graph, split=split, settings=settings, params=_params(spec, bal), seed=int(seed),
        device=torch.device(device) if device is not None else default_device(),
        cached=given, progress=progress, key=key)
    impl = plugins.load_callable(spec.ref(bal), key=f"{key}.balancing.callable")
    if spec.own_job:
        return impl(inputs)
    return train_model(inputs, impl, spec, key=key)


def train_model(inputs: MethodInputs, build: BuildModel, spec: NodeMethod, *,
                key: str = "method") -> tuple[dict[str, Any], dict[str, Any]]:
    """The shared job of a :class:`~imbgraph.nodecls.methods.base.BuildModel`: seed, build,
    train full batch with selection on the validation nodes, score the test nodes."""
    graph, split = inputs.graph, inputs.split
    run = setup_run(inputs)
    new = synthetic_per_class(graph, split, inputs.settings)
    batch = replace(full_batch(run.x, run.edge_index, run, graph.num_classes),
                    new_per_class=torch.as_tensor(new, device=run.device))
    model = build(inputs)
    if spec.impl is None:
        _check_model(model, batch, graph.num_classes, key, spec.ref(inputs.settings["balancing"]))
    for i, block in enumerate(inputs.settings.get("addons", [])):
        attach = plugins.load_callable(ADDONS[block["name"]].impl, key=f"{key}.addons[{i}]")
        attach(model, inputs, block)
    result, proba = fit_full_batch(model.to(run.device), batch, run, inputs.progress)
    return (score_test(graph, split, proba, result.best_epoch),
            run_summary(run, result, synthetic_per_step=int(new.sum())))


def _check_model(model: object, batch: Batch, num_classes: int, key: str, ref: str) -> None:
    """A user's method must return a BalancedModel whose forward gives (n, C) logits."""
    where = f"{key}.balancing.callable = {ref!r}"
    if not isinstance(model, BalancedModel):
        raise ConfigError(f"{where} returned {type(model).__name__}; expected a BalancedModel "
                          "(imbgraph.nodecls.methods.base: forward(x, adj) -> logits, "
                          "loss(batch) -> scalar)")
    model.to(batch.x.device).eval()
    with torch.no_grad():
        out = model(batch.x, batch.adj)
    want = (batch.num_nodes, num_classes)
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != want:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ConfigError(f"{where}: the model's forward(x, adj) gave {got}; expected logits "
                          f"of shape {want} (one row per node, one column per class)")


# --- pieces of every job --------------------------------------------------------------------
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


def setup_run(inputs: MethodInputs) -> JobRun:
    """Seed everything from the run seed; the graph, split, class weights and TrainConfig
    on the job's device."""
    t0 = time.perf_counter()
    dev, graph, split, method = inputs.device, inputs.graph, inputs.split, inputs.settings
    seed_everything(inputs.seed)
    weight = class_weight_of(graph, split, method, dev)
    tr = method["train"]
    cfg = TrainConfig(**{k: tr[k] for k in TrainConfig.__dataclass_fields__ if k in tr})

    def t(a: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(a, device=dev)

    return JobRun(dev, t(graph.x), t(graph.y), t(graph.edge_index), t(split.train),
                  t(split.val), t(split.test), weight, cfg, t0)


def synthetic_per_class(graph: NodeGraph, split: NodeSplit, method: dict) -> np.ndarray:
    """(C,) synthetic nodes per class per training step (zeros for a method that adds none
    by an over-sampling scale)."""
    bal = method["balancing"]
    if bal["name"] not in METHODS or not METHODS[bal["name"]].adds_nodes:
        return np.zeros(graph.num_classes, dtype=np.int64)
    counts = np.bincount(graph.y[split.train], minlength=graph.num_classes)
    return oversampling_targets(counts, split.minority, bal["scale"])


def full_batch(x: torch.Tensor, edge_index: torch.Tensor, run: JobRun, num_classes: int,
               y: torch.Tensor | None = None, train: torch.Tensor | None = None) -> Batch:
    """A :class:`Batch` of the whole graph ``(x, edge_index)`` without per-step synthetic
    nodes (labels and training ids default to the job's)."""
    return Batch(x=x, adj=Adjacency.from_edge_index(edge_index, x.shape[0], device=run.device),
                 y=run.y if y is None else y, train=run.train if train is None else train,
                 new_per_class=torch.zeros(num_classes, dtype=torch.long, device=run.device),
                 class_weight=run.class_weight, edge_index=edge_index)


def build_batch(graph: NodeGraph, split: NodeSplit, method: dict,
                device: torch.device | str) -> Batch:
    """Tensors of the training graph for ``method`` (class weights and synthetic-node counts
    from the split's training class counts), outside a job (tests, benchmarks)."""
    edge_index = torch.as_tensor(graph.edge_index, device=device)
    return Batch(x=torch.as_tensor(graph.x, device=device),
                 adj=Adjacency.from_edge_index(edge_index, graph.num_nodes, device=device),
                 y=torch.as_tensor(graph.y, device=device),
                 train=torch.as_tensor(split.train, device=device),
                 new_per_class=torch.as_tensor(synthetic_per_class(graph, split, method),
                                               device=device),
                 class_weight=class_weight_of(graph, split, method, torch.device(device)),
                 edge_index=edge_index)


def fit_full_batch(model: BalancedModel, batch: Batch, run: JobRun, progress: bool):
    """Train on one full batch (validation on it too); test probabilities (t, C)."""
    result = fit(model, batch, run.val, run.cfg, progress=progress)
    return result, predict_proba(model, batch.x, batch.adj)[run.test]


def group_recall(y: np.ndarray, pred: np.ndarray, classes: list[int]) -> float:
    """Mean recall over ``classes`` (those absent from ``y`` skipped; NaN when none is
    present)."""
    rec = [float((pred[y == c] == c).mean()) for c in classes if (y == c).any()]
    return float(np.mean(rec)) if rec else float("nan")


def weighted_f1(y: np.ndarray, pred: np.ndarray) -> float:
    """F1 per class weighted by the class's support in ``y`` (scikit-learn's
    ``f1_score(average="weighted")``; ECGN's Amazon Computers cells are this)."""
    return float(f1_score(y, pred, average="weighted", zero_division=0))


def score_test(graph: NodeGraph, split: NodeSplit, proba: torch.Tensor,
               best_epoch: int) -> dict[str, Any]:
    """The metrics of every job (see :func:`run_method`) for the test nodes'
    probabilities (t, C)."""
    p = proba.double().cpu().numpy()
    y_test = graph.y[split.test]
    out: dict[str, Any] = classification_report(y_test, p)
    pred = p.argmax(axis=1)
    out["weighted_f1"] = weighted_f1(y_test, pred)
    minority = list(split.minority)
    majority = [c for c in range(graph.num_classes) if c not in split.minority]
    out["minority_recall"] = group_recall(y_test, pred, minority)
    out["majority_recall"] = group_recall(y_test, pred, majority)
    out["train_size"] = int(split.train.shape[0])
    out["best_epoch"] = int(best_epoch)
    return out


def run_summary(run: JobRun, result, **extra: Any) -> dict[str, Any]:
    """timings.json content: the summary keys of every job (see :func:`run_method`;
    ``synthetic_per_step`` 0 unless ``extra`` gives it) plus ``extra``."""
    return {"seconds": time.perf_counter() - run.t0, "train_seconds": result.seconds,
            "pretrain_seconds": result.pretrain_seconds, "epochs": result.epochs,
            "seconds_per_epoch": result.seconds / max(result.epochs, 1),
            "synthetic_per_step": 0, "device": str(run.device), **extra}


# --- the run's files --------------------------------------------------------------------------
def run_records(graph: NodeGraph, split: NodeSplit, method: dict[str, Any], *, seed: int,
                dataset: str, split_name: str, method_name: str,
                cached: Mapping[str, Any] | None = None, data: dict[str, Any] | None = None,
                device: torch.device | str | None = None,
                progress: bool = True) -> tuple[dict, dict, dict]:
    """One seed of a run job: :func:`run_method`, then the contents of the run's
    ``metrics.json``, ``timings.json`` and ``settings.json``
    (:func:`imbgraph.provenance.run_records`; ``data``: what the run depended on besides
    the method; the graph's size, the split's training class counts and, for a user's
    method, which code ran: :func:`imbgraph.plugins.provenance`)."""
    key = f"nodecls.methods.{method_name}"
    metrics, summary = run_method(graph, split, method, seed=seed, device=device,
                                  progress=progress, cached=cached, key=key)
    log.info("%s / %s / %s seed %d: acc %.4f, macro-F1 %.4f, macro AUC-ROC %.4f "
             "(best epoch %d of %d) in %.1f s", dataset, split_name, method_name, seed,
             metrics["acc"], metrics["macro_f1"], metrics["macro_auroc"], metrics["best_epoch"],
             summary["epochs"], summary["seconds"])
    counts = split.counts(graph.y, graph.num_classes)
    extra = dict(data or {})
    spec = METHODS[method["balancing"]["name"]]
    if spec.impl is None:  # a user's method: which code ran
        extra["plugin"] = plugins.provenance(spec.ref(method["balancing"]),
                                             key=f"{key}.balancing.callable")
    return provenance.run_records(
        task=TASK, dataset=dataset, split=split_name, method=method_name,
        label=method["label"], seed=seed, metrics=metrics, timings=summary, resolved=method,
        **extra, graph={"nodes": graph.num_nodes, "edges": graph.num_edges,
                        "features": graph.num_features, "classes": list(graph.class_names)},
        split_counts={p: c.tolist() for p, c in counts.items()},
        minority=[graph.class_names[c] for c in split.minority])
