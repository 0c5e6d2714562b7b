"""The job body every node method shares: one (graph, split, method, seed) run.

:func:`run_method` looks the method up in :data:`imbgraph.nodecls.methods.METHODS` (or
imports a user's ``callable``), completes and checks its settings, hands it its cached
inputs (METIS clusters, ECGN's pre-training) as :class:`~imbgraph.nodecls.methods.base.
MethodInputs`, and then either trains the :class:`~imbgraph.nodecls.methods.base.
BalancedModel` it builds (:func:`train_model`: full batch, selection on validation) or runs
the method's own job body, which uses the same pieces (:func:`setup_run`,
:func:`full_batch`, :func:`fit_full_batch`, :func:`score_test`, :func:`run_summary`).
:func:`run_records` adds the run's three files (:func:`imbgraph.provenance.run_records`);
:func:`job_records` runs every seed of a job, tuning the method's lr and weight decay on
validation first when its ``train.tune`` asks (:mod:`imbgraph.nodecls.tuning`).

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
from imbgraph.nodecls.models import MAX_ATTENTION, attention_size
from imbgraph.nodecls.train import TrainConfig, fit, predict_proba
from imbgraph.nodecls.tuning import run_tuned
from imbgraph.training import default_device, seed_everything

__all__ = ["JobRun", "TASK", "build_batch", "check_attention", "class_weight_of",
           "fit_full_batch", "full_batch", "group_recall", "job_records", "peak_memory", "prepare",
           "run_method", "run_records", "run_summary", "score_test", "setup_run",
           "synthetic_per_class", "train_model", "weighted_f1", "without_removed"]

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
        ``class_acc`` (per class id: its test accuracy, None without test nodes),
        ``perf_std`` (BAT's PerfStd: their standard deviation), ``train_size``,
        ``best_epoch`` and ``weighted_f1`` (:func:`weighted_f1`)
    summary : dict of timings and counts (``seconds``, ``train_seconds``,
        ``pretrain_seconds``, ``epochs``, ``seconds_per_epoch``, ``synthetic_per_step``,
        ``device``, ``val_score``: the selection score of the selected epoch, which tuning
        compares; and what the method adds)
    """
    spec, settings = prepare(method, key=key)
    bal = settings["balancing"]
    graph = without_removed(graph, split)
    given = _cached(spec, settings, cached or {}, graph.num_nodes)  # fills in k
    inputs = MethodInputs(
        graph=graph, split=split, settings=settings, params=_params(spec, bal), seed=int(seed),
        device=torch.device(device) if device is not None else default_device(),
        cached=given, progress=progress, key=key)
    impl = plugins.load_callable(spec.ref(bal), key=f"{key}.balancing.callable")
    if spec.own_job:
        return impl(inputs)
    return train_model(inputs, impl, spec, key=key)


def without_removed(graph: NodeGraph, split: NodeSplit) -> NodeGraph:
    """``graph`` without the edges of the split's removed nodes (GraphENS's long tail trains
    and tests on ``edge_index[:, train_edge_mask]``: the removed nodes stay, isolated, in no
    part of the split); ``graph`` itself when none is removed."""
    if not split.removed.size:
        return graph
    gone = np.zeros(graph.num_nodes, dtype=bool)
    gone[split.removed] = True
    ei = graph.edge_index
    return replace(graph, edge_index=ei[:, ~gone[ei[0]] & ~gone[ei[1]]])


def train_model(inputs: MethodInputs, build: BuildModel, spec: NodeMethod, *,
                key: str = "method") -> tuple[dict[str, Any], dict[str, Any]]:
    """The shared job of a :class:`~imbgraph.nodecls.methods.base.BuildModel`: seed, build,
    train full batch with selection on the validation nodes, score the test nodes."""
    graph, split = inputs.graph, inputs.split
    check_attention(inputs.settings["model"], graph.num_nodes, graph.num_edges, key=key)
    run = setup_run(inputs)
    new = synthetic_per_class(graph, split, inputs.settings)
    batch = replace(full_batch(run.x, run.edge_index, run, graph.num_classes),
                    new_per_class=torch.as_tensor(new, device=run.device))
    model = build(inputs)
    if spec.impl is None:
        _check_model(model, batch, graph.num_classes, key, spec.ref(inputs.settings["balancing"]))
    for i, block in enumerate(inputs.settings.get("addons", [])):
        addon = ADDONS[block["name"]]
        attach = plugins.load_callable(addon.impl, key=f"{key}.addons[{i}]")
        if getattr(addon, "kind", "logits") == "graph":  # BAT: the model, wrapped
            model = attach(model, inputs, block)
        else:
            attach(model, inputs, block)
    result, proba = fit_full_batch(model.to(run.device), batch, run, inputs.progress)
    return (score_test(graph, split, proba, result.best_epoch),
            run_summary(run, result, synthetic_per_step=int(new.sum())))


def check_attention(model: dict, num_nodes: int, num_edges: int, *, key: str) -> None:
    """ConfigError naming ``key``'s model and its ``max_attention`` when a GAT model's
    edges (with self loops) x heads exceed it (:func:`imbgraph.nodecls.models.attention_size`)
    on a graph of ``num_nodes`` nodes and ``num_edges`` directed edges."""
    size = attention_size(model, num_nodes, num_edges)
    limit = int(model.get("max_attention") or MAX_ATTENTION)
    if size > limit:
        raise ConfigError(
            f"{key}.model (GAT, {model.get('heads', 4)} heads): ({num_edges} edges + "
            f"{num_nodes} self loops) x heads = {size:,} attention entries per layer exceeds "
            f"max_attention = {limit:,}; raise the model's max_attention if the memory "
            "(about that many x hidden / heads floats per layer) fits, or use gcn / sage")


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
    # BAT's PerfStd: the (population) std of the per-class accuracy of the test classes
    class_acc = [float((pred[y_test == c] == c).mean()) if (y_test == c).any() else None
                 for c in range(graph.num_classes)]
    present = [a for a in class_acc if a is not None]
    out["class_acc"] = class_acc
    out["perf_std"] = float(np.std(present)) if present else float("nan")
    out["train_size"] = int(split.train.shape[0])
    out["best_epoch"] = int(best_epoch)
    return out


def run_summary(run: JobRun, result, **extra: Any) -> dict[str, Any]:
    """timings.json content: the summary keys of every job (see :func:`run_method`;
    ``synthetic_per_step`` 0 unless ``extra`` gives it) plus ``extra``."""
    return {"seconds": time.perf_counter() - run.t0, "train_seconds": result.seconds,
            "pretrain_seconds": result.pretrain_seconds, "epochs": result.epochs,
            "seconds_per_epoch": result.seconds / max(result.epochs, 1),
            "synthetic_per_step": 0, "device": str(run.device),
            "val_score": result.best_score, **extra}


# --- the run's files --------------------------------------------------------------------------
def peak_memory() -> dict[str, float]:
    """``peak_rss_mb``: the job process's peak resident memory so far (getrusage; the whole
    job's, which trains its seeds one after another), and with CUDA ``peak_cuda_mb``: the
    largest tensor memory allocated since the seed began (the leaderboard's cost columns)."""
    import resource
    import sys

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    out = {"peak_rss_mb": rss / (2**20 if sys.platform == "darwin" else 2**10)}
    if torch.cuda.is_available():
        out["peak_cuda_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return out


def run_records(graph: NodeGraph, split: NodeSplit, method: dict[str, Any], *, seed: int,
                dataset: str, split_name: str, method_name: str,
                cached: Mapping[str, Any] | None = None, data: dict[str, Any] | None = None,
                device: torch.device | str | None = None, progress: bool = True,
                result: tuple[dict, dict] | None = None,
                tuning: dict | None = None) -> tuple[dict, dict, dict]:
    """One seed of a run job: :func:`run_method` (or its ``result``, already run), then the
    contents of the run's ``metrics.json``, ``timings.json`` and ``settings.json``
    (:func:`imbgraph.provenance.run_records`; ``data``: what the run depended on besides
    the method; the graph's size, the split's training class counts and, for a user's
    method, which code ran: :func:`imbgraph.plugins.provenance`; ``tuning``: the job's
    tuning record, :func:`imbgraph.nodecls.tuning.run_tuned`)."""
    key = f"nodecls.methods.{method_name}"
    if result is None:
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()
        result = run_method(graph, split, method, seed=seed, device=device,
                            progress=progress, cached=cached, key=key)
    metrics, summary = result
    summary = {**summary, **peak_memory()}
    log.info("%s / %s / %s seed %d: acc %.4f, macro-F1 %.4f, macro AUC-ROC %.4f "
             "(best epoch %d of %d) in %.1f s", dataset, split_name, method_name, seed,
             metrics["acc"], metrics["macro_f1"], metrics["macro_auroc"], metrics["best_epoch"],
             summary["epochs"], summary["seconds"])
    counts = split.counts(graph.y, graph.num_classes)
    extra = dict(data or {})
    if tuning is not None:
        extra["tuning"] = tuning
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


def job_records(graph: NodeGraph, splits: list[NodeSplit], method: dict[str, Any], *,
                seeds: list[int], dataset: str, split_name: str, method_name: str,
                cached: list[Mapping[str, Any]] | None = None,
                data: dict[str, Any] | None = None, device: torch.device | str | None = None,
                progress: bool = True) -> list[tuple[dict, dict, dict]]:
    """Every seed of a run job (``splits[i]`` and ``cached[i]``: seed ``seeds[i]``'s):
    the records of :func:`run_records`, in seed order. A method with ``train.tune`` is tuned
    first (:func:`imbgraph.nodecls.tuning.run_tuned`): every seed reports the chosen grid
    point, its ``settings.json`` holds the chosen method and the tuning record."""
    key = f"nodecls.methods.{method_name}"
    cached = list(cached) if cached is not None else [{} for _ in seeds]
    if not len(splits) == len(cached) == len(seeds):
        raise ValueError(f"{len(seeds)} seeds, {len(splits)} splits and {len(cached)} "
                         "cached inputs given; expected one of each per seed")
    of = {int(s): (sp, c) for s, sp, c in zip(seeds, splits, cached)}

    def one(m: dict, seed: int) -> tuple[dict, dict]:
        return run_method(graph, of[seed][0], m, seed=seed, device=device, progress=progress,
                          cached=of[seed][1], key=key)

    label = f"{dataset} / {split_name} / {method_name}"
    results, record, chosen = run_tuned(method, [int(s) for s in seeds], one, label=label)
    return [run_records(graph, of[s][0], chosen, seed=s, dataset=dataset,
                        split_name=split_name, method_name=method_name, cached=of[s][1],
                        data=data, device=device, progress=progress, result=results[s],
                        tuning=record) for s in of]
