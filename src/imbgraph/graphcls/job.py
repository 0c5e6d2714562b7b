"""The job body every graph method shares: one (collection, split, method, seed) run.

:func:`run_method` looks the kind up in :data:`imbgraph.graphcls.methods.METHODS` (or
imports a user's ``params.callable``), fills in and checks its settings, hands it the run's
:class:`~imbgraph.graphcls.methods.base.MethodInputs` (with the cached inputs it declares:
the kernel kNN table, the pre-trained embeddings), trains the learner it builds on
mini-batches with selection on the validation loss (:func:`imbgraph.graphcls.train.fit`),
and scores the test graphs. :func:`run_records` and :func:`trace_record` run it and add the
run's files (:func:`imbgraph.provenance.run_records`).

Everything random is drawn after seeding with the run seed, in one order: up-sampling and
the evaluation order (the job's numpy generator), then the method's initialisation (torch),
then mini-batch order, augmentations and mixup. A process looping over seeds therefore
gives the numbers of one process per seed.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Mapping

import numpy as np
import torch

from imbgraph import plugins, provenance
from imbgraph.errors import ConfigError
from imbgraph.graphcls.collection import GraphCollection
from imbgraph.graphcls.config import knn_spec
from imbgraph.graphcls.kernel_knn import kernel_knn
from imbgraph.graphcls.methods import METHODS, GraphMethod
from imbgraph.graphcls.methods.base import Built, MethodInputs
from imbgraph.graphcls.splits import GraphSplit, upsample
from imbgraph.graphcls.train import Learner, TrainConfig, fit, predict_log_proba
from imbgraph.losses import class_weights
from imbgraph.metrics.classification import classification_report
from imbgraph.training import default_device, seed_everything

__all__ = ["TASK", "class_weight_of", "prepare", "run_method", "run_records", "trace_record"]

TASK = "graphcls"

log = logging.getLogger(__name__)


# --- settings and inputs --------------------------------------------------------------------
def prepare(method: dict[str, Any], *, key: str = "method") -> tuple[GraphMethod, dict]:
    """The kind's table entry and ``method`` with its params' defaults filled in, after the
    kind's own checks (the config's, :func:`imbgraph.graphcls.config.check`, repeated for
    direct library calls): ConfigError naming ``key`` before any training."""
    spec = METHODS.get_spec(method["kind"], key=f"{key}.kind")
    settings = spec.resolve(method)
    params, model = settings["params"], settings["model"]
    spec.validate(params, f"{key}.params")
    spec.check_backbone(params, model, key=f"{key}.params", model_key=f"{key}.model",
                        model_ref=model["name"], hidden_key=f"{key}.model.hidden")
    return spec, settings


def class_weight_of(balance: Mapping[str, Any], counts: np.ndarray) -> torch.Tensor | None:
    """(C,) float32 loss weights of ``balance.class_weights`` (:data:`imbgraph.losses.
    CLASS_WEIGHTS`, with its ``beta``) from class counts; None for ``none``. (The node
    family's reads its ``loss:`` block; both compute :func:`imbgraph.losses.class_weights`.)"""
    name = balance.get("class_weights", "none")
    if name == "none":
        return None
    params = {k: v for k, v in balance.items() if k in ("beta",)}
    return torch.tensor(class_weights(name, counts, **params), dtype=torch.float32)


def _cached(spec: GraphMethod, settings: dict, collection: GraphCollection,
            cached: Mapping[str, Any]) -> dict[str, Any]:
    """The cached inputs the kind declares besides the PE: the kNN table (computed here when
    not given), the pre-training (when given; the pre-trained kinds run it otherwise)."""
    out: dict[str, Any] = {}
    needs = spec.needs_of(settings["params"])
    if "knn" in needs:
        kernel, k, kernel_params = knn_spec(settings)
        knn = cached.get("knn")
        if knn is None:
            knn = kernel_knn(collection, k, kernel=kernel, **kernel_params)
        want = (collection.num_graphs, min(k, collection.num_graphs - 1))
        if knn.shape != want:
            raise ValueError(f"kNN table of shape {knn.shape}; expected {want}: k = {k} "
                             f"neighbours of each of the {want[0]} graphs")
        out["knn"] = knn
    if "pretrain" in needs and cached.get("pretrain") is not None:
        out["pretrain"] = cached["pretrain"]
    return out


def _check_built(built: object, inputs: MethodInputs, where: str) -> Built:
    """A user's method must return (Learner, batcher) whose log_proba gives (B, C); probed on
    two validation graphs, in evaluation mode, without moving torch's generator."""
    if not (isinstance(built, tuple) and len(built) == 2 and isinstance(built[0], Learner)
            and callable(built[1])):
        got = (f"({', '.join(type(b).__name__ for b in built)})" if isinstance(built, tuple)
               else type(built).__name__)
        raise ConfigError(f"{where} returned {got}; expected (Learner, batcher) "
                          "(imbgraph.graphcls.methods.base.BuildMethod)")
    learner, batcher = built
    ids = inputs.split.val[:2]
    devices = [inputs.device] if inputs.device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices), torch.no_grad():
        learner.to(inputs.device).eval()
        out = learner.log_proba(batcher(ids))
    want = (ids.shape[0], inputs.num_classes)
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != want:
        got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ConfigError(f"{where}: the learner's log_proba(batcher(ids)) gave {got} for "
                          f"{want[0]} graphs; expected log-probabilities of shape {want} (one "
                          "row per graph, one column per class)")
    return learner, batcher


# --- the job --------------------------------------------------------------------------------
def run_method(collection: GraphCollection, pe: np.ndarray | None, split: GraphSplit,
               method: dict[str, Any], *, seed: int, device: torch.device | str | None = None,
               progress: bool = True, trace: bool = False,
               cached: Mapping[str, Any] | None = None,
               key: str = "method") -> tuple[dict[str, Any], dict[str, Any]]:
    """Train and test one resolved ``method`` on one split; the job body of one run.

    Parameters
    ----------
    collection : GraphCollection
    pe : ndarray (n_nodes, P) float32 random-walk PE (cached per dataset), or None
    split : GraphSplit of this run
    method : a resolved method (:func:`imbgraph.graphcls.config.resolve_method`)
    seed : int
    cached : the cached inputs the kind declares (``knn``: (n_graphs, k) kernel kNN table,
        cached per dataset, computed here when absent; ``pretrain``: (embeddings (n_graphs,
        hidden) float32, summary) of this split and seed from
        :func:`~imbgraph.graphcls.pretrain.pretrain_embeddings`, cached per pre-training
        spec so the -up / -rw rows share it; pre-trained here when absent, with the same
        result; its pretrain_seconds and pretrain_loss are recorded as this run's)
    trace : also test the model at every epoch that sets a new lowest validation loss and
        return those scores as ``summary["trace"]``: rows (epoch, val_loss, macro_f1,
        micro_f1), from which the test score at the best validation epoch of every shorter
        budget follows (the convergence figure). Testing draws from torch's generator when
        evaluation is random (UniImb's ``perturb_eval``), so a traced run's later epochs may
        differ from an untraced one's.
    key : the method's config key, named in errors (``graphcls.methods.<name>``)

    Returns
    -------
    metrics : dict from :func:`imbgraph.metrics.classification.classification_report` on the
        test graphs (macro_f1, micro_f1, balanced_acc, acc, macro_auroc, n) plus train_size;
        a function of (config, seed) only
    summary : dict of timings and training traces (epochs, best epoch, seconds, ...) and
        what the learner adds (:meth:`~imbgraph.graphcls.train.Learner.summary`)
    """
    t0 = time.perf_counter()
    spec, settings = prepare(method, key=key)
    params = settings["params"]
    rng = seed_everything(seed)
    device = torch.device(device) if device is not None else default_device()
    cfg = TrainConfig(**settings["train"])
    balance = settings.get("balance", {})
    n_cls = collection.num_classes
    train_ids, val_ids = split.train, split.val
    if balance.get("upsample", False):
        train_ids = upsample(train_ids, collection.y, rng)
        val_ids = upsample(val_ids, collection.y, rng)
    weight = class_weight_of(balance, np.bincount(collection.y[split.train], minlength=n_cls))
    val_weight = class_weight_of(balance, np.bincount(collection.y[split.val], minlength=n_cls))
    # Evaluate in a seeded random order: batch-dependent heads (UniImb) must not see test
    # batches grouped by class, which is how the splits list them (eval_order: split is the
    # code's class-ordered evaluation, kept as a switch to measure what it is worth).
    val_perm, test_perm = rng.permutation(val_ids.shape[0]), rng.permutation(split.test.shape[0])
    test_ids = split.test
    if params.get("eval_order", "random") == "random":
        val_ids, test_ids = val_ids[val_perm], test_ids[test_perm]

    inputs = MethodInputs(
        collection=collection, pe=pe if "pe" in spec.needs_of(params) else None, split=split,
        settings=settings, params=spec.own(params), seed=int(seed), device=device, rng=rng,
        train=cfg, class_weight=weight, cached=_cached(spec, settings, collection, cached or {}),
        progress=progress)
    ref = spec.ref(params)
    built = plugins.load_callable(ref, key=f"{key}.params.callable")(inputs)
    if spec.impl is None:
        built = _check_built(built, inputs, f"{key}.params.callable = {ref!r}")
    learner, batcher = built
    learner.to(device)
    bucket_sizes = collection.sizes if cfg.size_buckets and learner.batch_invariant else None
    eval_bs = learner.eval_batch_size or cfg.eval_batch_size

    def test_report() -> dict:
        logp, y = predict_log_proba(learner, batcher, test_ids, eval_bs, bucket_sizes,
                                    cfg.attention_budget)
        return classification_report(y.numpy(), logp.exp().double().numpy())

    rows: list[list[float]] = []

    def on_best(epoch: int, val_loss: float) -> None:
        m = test_report()
        rows.append([epoch, val_loss, m["macro_f1"], m["micro_f1"]])

    res = fit(learner, batcher, train_ids, val_ids, cfg, rng,
              val_weight=None if val_weight is None else val_weight.to(device),
              sizes=bucket_sizes, progress=progress, on_best=on_best if trace else None)
    metrics = test_report()
    metrics["train_size"] = int(train_ids.shape[0])
    summary = {"epochs": res.epochs, "best_epoch": res.best_epoch,
               "best_val_loss": res.best_val_loss, "train_seconds": res.seconds,
               "seconds": time.perf_counter() - t0, "train_graphs": int(train_ids.shape[0]),
               "val_graphs": int(val_ids.shape[0]), "test_graphs": int(test_ids.shape[0]),
               "val_loss": res.val_loss, "train_loss": res.train_loss, **learner.summary()}
    if trace:
        summary["trace"] = rows
    return metrics, summary


# --- the run's files --------------------------------------------------------------------------
def _records(metrics: dict, summary: dict, collection: GraphCollection, split: GraphSplit,
             method: dict, *, seed: int, dataset: str, split_name: str, method_name: str,
             data: Mapping[str, Any] | None) -> tuple[dict, dict, dict]:
    key = f"graphcls.methods.{method_name}"
    spec, settings = prepare(method, key=key)
    extra = dict(data or {})
    if spec.impl is None:  # a user's method: which code ran
        extra["plugin"] = plugins.provenance(spec.ref(settings["params"]),
                                             key=f"{key}.params.callable")
    timings = {"wall_s": summary["seconds"], "train_s": summary["train_seconds"],
               "epochs": summary["epochs"], "best_epoch": summary["best_epoch"]}
    if "pretrain_seconds" in summary:
        timings["pretrain_s"] = summary["pretrain_seconds"]
    head = provenance.run_head(task=TASK, dataset=dataset, split=split_name,
                               method=method_name, label=method["label"], seed=seed)
    return provenance.run_records(
        task=TASK, dataset=dataset, split=split_name, method=method_name,
        label=method["label"], seed=seed, metrics=metrics, timings={**head, **timings},
        resolved=settings, node_features=collection.features, split_info=split.info, **extra)


def run_records(collection: GraphCollection, pe: np.ndarray | None, split: GraphSplit,
                method: dict[str, Any], *, seed: int, dataset: str, split_name: str,
                method_name: str, cached: Mapping[str, Any] | None = None,
                data: Mapping[str, Any] | None = None, device: torch.device | str | None = None,
                progress: bool = True) -> tuple[dict, dict, dict]:
    """One seed of a run job: :func:`run_method`, then the contents of the run's
    ``metrics.json`` (no timings: byte-identical across reruns), ``timings.json`` (the
    house's keys, wall_s, train_s, epochs, best_epoch, pretrain_s) and ``settings.json``
    (:func:`imbgraph.provenance.run_records`: the method with every default filled in;
    ``data``: what else the run depended on, split protocol and parameters, PE width, kNN
    table; the collection's node features, the split's counts and, for a user's method,
    which code ran: :func:`imbgraph.plugins.provenance`)."""
    metrics, summary = run_method(collection, pe, split, method, seed=seed, device=device,
                                  progress=progress, cached=cached,
                                  key=f"graphcls.methods.{method_name}")
    log.info("%s / %s / %s seed %d: macro-F1 %.4f, micro-F1 %.4f (%d epochs, best %d) in "
             "%.1f s", dataset, split_name, method_name, seed, metrics["macro_f1"],
             metrics["micro_f1"], summary["epochs"], summary["best_epoch"] + 1,
             summary["seconds"])
    return _records(metrics, summary, collection, split, method, seed=seed, dataset=dataset,
                    split_name=split_name, method_name=method_name, data=data)


def trace_record(collection: GraphCollection, pe: np.ndarray | None, split: GraphSplit,
                 method: dict[str, Any], *, seed: int, dataset: str, split_name: str,
                 method_name: str, cached: Mapping[str, Any] | None = None,
                 data: Mapping[str, Any] | None = None,
                 device: torch.device | str | None = None) -> dict[str, Any]:
    """One traced run of a convergence figure (:func:`run_method` with ``trace``): the test
    scores at every new best validation epoch (``rows``), the loss curves, and the run's
    timings and settings (:func:`run_records`'s)."""
    from imbgraph.graphcls.convergence import TRACE_COLUMNS  # the reader's (polars: not at import)

    metrics, summary = run_method(collection, pe, split, method, seed=seed, device=device,
                                  trace=True, cached=cached,
                                  key=f"graphcls.methods.{method_name}")
    _, timings, settings = _records(metrics, summary, collection, split, method, seed=seed,
                                    dataset=dataset, split_name=split_name,
                                    method_name=method_name, data=data)
    log.info("seed %d: %d epochs, %d new bests, last at epoch %d (macro-F1 %.4f) in %.1f s",
             seed, summary["epochs"], len(summary["trace"]), summary["best_epoch"] + 1,
             metrics["macro_f1"], summary["seconds"])
    return {"method": method_name, "dataset": dataset, "split": split_name, "seed": int(seed),
            "epochs": summary["epochs"], "columns": list(TRACE_COLUMNS),
            "rows": summary["trace"], "val_loss": summary["val_loss"],
            "train_loss": summary["train_loss"], "timings": timings, "settings": settings}
