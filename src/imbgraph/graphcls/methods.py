"""Graph-classification methods by config name (``METHODS``) and the job body, :func:`run_method`.

A resolved method (:func:`imbgraph.graphcls.config.resolve_method`) is a plain dict::

    {"label": ..., "kind": <METHODS key>, "model": {"name": "gin", ...},
     "balance": {"upsample": bool, "class_weights": "none" | "inverse" | "effective_number"},
     "params": {...kind specific...}, "train": {epochs, patience, lr, ...}}

Kinds (every one on the same backbone, split and training loop):

* ``supervised``  encoder + MLP head, cross-entropy: GIN, GraphGPS, "+ up-sampling" and
  "+ re-weight" rows through ``balance``; with ``params.augment`` the loss is G2GNN's
  (mean NLL over ``views`` augmented copies + consistency to their sharpened mean).
* ``g2gnn``       the above plus propagation over the kernel kNN graph of graphs (G2GNN).
* ``infograph`` / ``graphcl``  self-supervised pre-training of the encoder, then an MLP head
  on the frozen graph embeddings.
* ``uniimb``      GIN + personalised perturbation + mixup + dynamic balanced prototypes.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from imbgraph.errors import ConfigError
from imbgraph.graphcls.augment import AUGMENTATIONS, PersonalisedPerturbation
from imbgraph.graphcls.collection import GraphBatch, GraphCollection
from imbgraph.graphcls.config import knn_spec as needs_knn  # (kernel, k, params) | None
from imbgraph.graphcls.g2gnn import gog_adjacency, kernel_knn, propagate
from imbgraph.graphcls.models import MLPHead, encoder_and_batcher
from imbgraph.graphcls.pretrain import pretrain_embeddings
from imbgraph.graphcls.prototypes import PrototypeBlock, load_counts, target_load, update_bias
from imbgraph.graphcls.splits import GraphSplit, upsample
from imbgraph.graphcls.train import Learner, TrainSettings, fit, predict_log_proba
from imbgraph.losses import class_weights
from imbgraph.metrics.classification import classification_report
from imbgraph.training import default_device, seed_everything

__all__ = ["METHODS", "run_method", "run_records", "needs_knn", "consistency_loss"]


def consistency_loss(logps: list[torch.Tensor], temp: float = 0.5) -> torch.Tensor:
    """G2GNN's consistency term: mean over views of ||p_v - sharpen(mean_v p_v)||^2 per graph,
    the sharpened mean p^(1/temp) / sum p^(1/temp) held fixed (no gradient)."""
    ps = [lp.exp() for lp in logps]
    avg = torch.stack(ps).mean(dim=0)
    sharp = avg.pow(1.0 / temp)
    sharp = (sharp / sharp.sum(dim=1, keepdim=True)).detach()
    return torch.stack([(p - sharp).pow(2).sum(dim=1).mean() for p in ps]).mean()


class _Views:
    """``views`` augmented copies of a batch by one augmentation (G2GNN's ``aug_num``)."""

    def __init__(self, augment: dict | None) -> None:
        self.cfg = augment
        if augment is not None and augment["name"] not in AUGMENTATIONS:
            raise ConfigError(f"augment.name = {augment['name']!r}; expected one of "
                              f"{sorted(AUGMENTATIONS)}")

    def __call__(self, b: GraphBatch) -> list[tuple[torch.Tensor, torch.Tensor]]:
        if self.cfg is None:
            return [(b.x, b.edge_index)]
        fn = AUGMENTATIONS[self.cfg["name"]]
        ratio, views = float(self.cfg.get("ratio", 0.1)), int(self.cfg.get("views", 2))
        return [fn(b, ratio) for _ in range(views)]


class Supervised(Learner):
    def __init__(self, encoder: nn.Module, n_classes: int, weight: torch.Tensor | None, *,
                 head_dropout: float = 0.5, augment: dict | None = None) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = MLPHead(encoder.hidden, n_classes, head_dropout)
        self.register_buffer("weight", weight)
        self.views = _Views(augment)
        self.temp = float((augment or {}).get("temp", 0.5))
        self.consistency = float((augment or {}).get("consistency", 1.0))

    def _logps(self, b: GraphBatch) -> list[torch.Tensor]:
        return [F.log_softmax(self.head(self.encoder(b, x=x, edge_index=ei)[0]), dim=1)
                for x, ei in self.views(b)]

    def loss(self, b: GraphBatch) -> torch.Tensor:
        logps = self._logps(b)
        loss = torch.stack([F.nll_loss(lp, b.y, weight=self.weight) for lp in logps]).mean()
        if len(logps) > 1 and self.consistency:
            loss = loss + self.consistency * consistency_loss(logps, self.temp)
        return loss

    def log_proba(self, b: GraphBatch) -> torch.Tensor:
        # G2GNN predicts with the mean of its augmented views' log-probabilities.
        return torch.stack(self._logps(b)).mean(dim=0)


class G2GNN(Supervised):
    """Supervised learner over the kernel kNN graph of graphs (see :mod:`.g2gnn`)."""

    def __init__(self, encoder: nn.Module, n_classes: int, weight: torch.Tensor | None, *,
                 knn: np.ndarray, prop_layers: int = 2,
                 head_dropout: float = 0.5, augment: dict | None = None) -> None:
        super().__init__(encoder, n_classes, weight, head_dropout=head_dropout, augment=augment)
        self.knn, self.prop_layers = knn, prop_layers

    def _logps(self, b: Any) -> list[torch.Tensor]:
        pb, adj, pos = b["padded"], b["adj"], b["pos"]
        out = []
        for x, ei in self.views(pb):
            h = propagate(self.encoder(pb, x=x, edge_index=ei)[0], adj, self.prop_layers)
            out.append(F.log_softmax(self.head(h[pos]), dim=1))
        return out

    def labels(self, b: Any) -> torch.Tensor:
        return b["y"]

    def loss(self, b: Any) -> torch.Tensor:
        logps = self._logps(b)
        loss = torch.stack([F.nll_loss(lp, b["y"], weight=self.weight) for lp in logps]).mean()
        if len(logps) > 1 and self.consistency:
            loss = loss + self.consistency * consistency_loss(logps, self.temp)
        return loss


class EmbeddingHead(Learner):
    """An MLP head on fixed graph embeddings (the pre-training rows); batches are id arrays."""

    def __init__(self, emb: torch.Tensor, y: torch.Tensor, n_classes: int,
                 weight: torch.Tensor | None, head_dropout: float = 0.5) -> None:
        super().__init__()
        self.register_buffer("emb", emb, persistent=False)
        self.register_buffer("y", y, persistent=False)
        self.register_buffer("weight", weight)
        self.head = MLPHead(emb.shape[1], n_classes, head_dropout)

    def labels(self, ids: torch.Tensor) -> torch.Tensor:
        return self.y[ids]

    def loss(self, ids: torch.Tensor) -> torch.Tensor:
        return F.nll_loss(self.log_proba(ids), self.y[ids], weight=self.weight)

    def log_proba(self, ids: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(self.head(self.emb[ids]), dim=1)


class UniImb(Learner):
    """GIN backbone, personalised perturbation, mixup of graph embeddings and the dynamic
    balanced prototype head (see :mod:`.prototypes`)."""

    def __init__(self, encoder: nn.Module, n_classes: int, weight: torch.Tensor | None, *,
                 n_prototypes: int = 16, heads: int = 4, top_k2: int = 8, top_k1: int = 8,
                 load: dict | None = None, bias_step: float = 1e-3, mixup_alpha: float = 1.0,
                 perturb: bool = True, perturb_eval: bool = False, ib_weight: float = 0.0,
                 dropout: float = 0.3, bias_mode: str = "per_head", batch_size: int = 32,
                 rng: np.random.Generator) -> None:
        super().__init__()
        self.encoder = encoder
        self.block = PrototypeBlock(encoder.hidden, n_classes, n_prototypes=n_prototypes,
                                    heads=heads, top_k2=top_k2, top_k1=top_k1, dropout=dropout)
        self.perturbation = PersonalisedPerturbation() if perturb else None
        self.perturb_eval = perturb_eval
        load = load or {"name": "uniform"}
        share = target_load(load["name"], n_prototypes,
                            **{k: v for k, v in load.items() if k != "name"})
        self.register_buffer("target", torch.tensor(share, dtype=torch.float32))
        self.register_buffer("bias", torch.zeros(heads, n_prototypes))
        self.register_buffer("load", torch.zeros(heads, n_prototypes, dtype=torch.int64),
                             persistent=False)
        self.register_buffer("weight", weight)
        self.bias_step, self.mixup_alpha, self.ib_weight = bias_step, mixup_alpha, ib_weight
        self.n_prototypes = n_prototypes
        if bias_mode not in BIAS_MODES:
            raise ConfigError(f"bias_mode = {bias_mode!r}; expected one of {BIAS_MODES}")
        self.bias_mode, self.top_k2, self.batch_size = bias_mode, top_k2, batch_size
        self.eval_batch_size = batch_size  # prototypes aggregate over the batch, as in training
        self.rng = rng

    def _embed(self, b: GraphBatch) -> torch.Tensor:
        if self.perturbation is not None and (self.training or self.perturb_eval):
            x, ei = self.perturbation(b)
            return self.encoder(b, x=x, edge_index=ei)[0]
        return self.encoder(b)[0]

    def loss(self, b: GraphBatch) -> torch.Tensor:
        h = self._embed(b)
        n = h.shape[0]
        if self.mixup_alpha > 0:
            lam = float(self.rng.beta(self.mixup_alpha, self.mixup_alpha))
            perm = torch.from_numpy(self.rng.permutation(n)).to(h.device)
            h = torch.cat([h, lam * h + (1 - lam) * h[perm]])  # mixed rows join the routing only
        logits, routes, soft = self.block(h, self.bias)
        counts = load_counts(routes.detach(), self.n_prototypes)
        if self.bias_mode == "official":
            self.load.copy_(counts)  # the code keeps the last batch's counts only
        else:
            self.load += counts
        loss = F.nll_loss(F.log_softmax(logits[:n], dim=1), b.y, weight=self.weight)
        if self.ib_weight:
            p = soft.mean(dim=0)                                # (heads, K) mean routing
            loss = loss + self.ib_weight * 0.5 * (p - self.target).pow(2).sum(dim=-1).mean()
        return loss

    def log_proba(self, b: GraphBatch) -> torch.Tensor:
        return F.log_softmax(self.block(self._embed(b), self.bias)[0], dim=1)

    def end_epoch(self) -> None:
        if self.bias_mode == "official" and self.load.sum() > 0:
            # main_class_imbalance.py (and Distribution/class/*.py for the other loads): one
            # bias for every head, moved by the last batch's routes summed over heads against
            # TopK_2 * 2 * batch_size * u_k (every head's routes against one head's share)
            total = self.load.sum(dim=0).to(torch.float64)
            target = self.top_k2 * 2 * self.batch_size * self.target.to(torch.float64)
            step = self.bias_step * torch.sign(total - target).to(self.bias.dtype)
            self.bias.sub_(step[None, :])
        elif self.load.sum() > 0:
            self.bias.copy_(update_bias(self.bias, self.load, self.target, self.bias_step))
        self.load.zero_()


# --- registry ---------------------------------------------------------------------------------

# UniImb's prototype bias: ``per_head`` (ours: one bias row per head, moved once per epoch by
# that epoch's routes of every batch against the target load) or ``official`` (the code's: one
# row shared by the heads, moved by the last batch's routes only).
BIAS_MODES = ("per_head", "official")
# Order of the validation / test graphs in evaluation batches: ``random`` (ours: a seeded
# permutation) or ``split`` (the code's: as the split lists them, class by class, so a
# batch-dependent head such as UniImb's prototypes sees batches of one class).
EVAL_ORDERS = ("random", "split")

METHODS: dict[str, str] = {
    "supervised": "encoder + MLP head (GIN, GraphGPS, up-sampling, re-weight, augmentation)",
    "g2gnn": "G2GNN: kernel kNN graph of graphs + augmentation consistency",
    "infograph": "InfoGraph pre-training, MLP head on frozen embeddings",
    "graphcl": "GraphCL pre-training, MLP head on frozen embeddings",
    "uniimb": "UniImb: dynamic balanced prototypes",
}


def _weights(balance: dict, counts: np.ndarray) -> torch.Tensor | None:
    name = balance.get("class_weights", "none")
    if name == "none":
        return None
    params = {k: v for k, v in balance.items() if k in ("beta",)}
    return torch.tensor(class_weights(name, counts, **params), dtype=torch.float32)


def run_method(collection: GraphCollection, pe: np.ndarray | None, split: GraphSplit,
               method: dict, *, seed: int, knn: np.ndarray | None = None,
               device: torch.device | str | None = None,
               progress: bool = True, trace: bool = False,
               embeddings: np.ndarray | None = None,
               pretrain_summary: dict | None = None) -> tuple[dict, dict]:
    """Train and test one resolved ``method`` on one split; the job body of one run.

    Everything random (mini-batch order, up-sampling, initialisation, augmentations, mixup) is
    drawn after seeding with ``seed`` here, so a process looping over seeds gives the same
    numbers as one process per seed.

    Parameters
    ----------
    collection : GraphCollection
    pe : ndarray (n_nodes, P) float32 random-walk PE (cached per dataset), or None
    split : GraphSplit of this run
    method : resolved method dict (see the module docstring)
    seed : int
    knn : ndarray (n_graphs, k) graph-of-graphs neighbours for ``g2gnn`` (cached per dataset;
        computed here when None)
    embeddings : ndarray (n_graphs, hidden) float32, for ``infograph`` / ``graphcl``: the
        frozen graph embeddings of this split and seed from
        :func:`~imbgraph.graphcls.pretrain.pretrain_embeddings` (cached per pre-training
        spec: the -up / -rw rows share it); pre-trained here when None, with the same result
    pretrain_summary : the summary that came with ``embeddings`` (its pretrain_seconds and
        pretrain_loss are recorded as this run's)
    trace : also test the model at every epoch that sets a new lowest validation loss and
        return those scores as ``summary["trace"]``: rows (epoch, val_loss, macro_f1,
        micro_f1), from which the test score at the best validation epoch of every shorter
        budget follows (the convergence figure). Testing draws from torch's generator when
        evaluation is random (UniImb's ``perturb_eval``), so a traced run's later epochs may
        differ from an untraced one's.

    Returns
    -------
    metrics : dict from :func:`imbgraph.metrics.classification.classification_report` on the
        test graphs (macro_f1, micro_f1, balanced_acc, acc, macro_auroc, n) plus train_size;
        a function of (config, seed) only
    summary : dict of timings and training traces (epochs, best epoch, seconds, ...)
    """
    t0 = time.perf_counter()
    rng = seed_everything(seed)
    device = torch.device(device) if device is not None else default_device()
    kind = method["kind"]
    if kind not in METHODS:
        raise ConfigError(f"method kind = {kind!r}; expected one of {sorted(METHODS)}")
    settings = TrainSettings(**method.get("train", {}))
    params = dict(method.get("params", {}))
    balance = method.get("balance", {})
    n_cls = collection.num_classes
    train_ids, val_ids = split.train, split.val
    if balance.get("upsample", False):
        train_ids = upsample(train_ids, collection.y, rng)
        val_ids = upsample(val_ids, collection.y, rng)
    weight = _weights(balance, np.bincount(collection.y[split.train], minlength=n_cls))
    val_weight = _weights(balance, np.bincount(collection.y[split.val], minlength=n_cls))
    # Evaluate in a seeded random order: batch-dependent heads (UniImb) must not see test
    # batches grouped by class, which is how the splits list them (eval_order: split is the
    # code's class-ordered evaluation, kept as a switch to measure what it is worth).
    eval_order = params.pop("eval_order", "random")
    if eval_order not in EVAL_ORDERS:
        raise ConfigError(f"params.eval_order = {eval_order!r}; expected one of {EVAL_ORDERS}")
    val_perm, test_perm = rng.permutation(val_ids.shape[0]), rng.permutation(split.test.shape[0])
    test_ids = split.test
    if eval_order == "random":
        val_ids, test_ids = val_ids[val_perm], test_ids[test_perm]
    encoder, graph_batch = encoder_and_batcher(dict(method["model"]), collection, pe, device)

    summary: dict[str, Any] = {}
    head_dropout = float(params.pop("head_dropout", 0.5))
    if kind in ("infograph", "graphcl"):
        # The pre-training is a function of (collection, split, spec, seed) of its own
        # (pretrain_embeddings seeds itself), cached by the pipeline; the head's draws start
        # from the seed again, so a run with cached embeddings equals one pre-training here.
        params.pop("pretrain", None)
        if embeddings is None:
            embeddings, pretrain_summary = pretrain_embeddings(collection, pe, split, method,
                                                               seed=seed, device=device)
            summary["pretrain_cached"] = False
        else:
            if embeddings.ndim != 2 or embeddings.shape[0] != collection.num_graphs:
                raise ValueError(f"embeddings of shape {embeddings.shape}; expected "
                                 f"({collection.num_graphs}, hidden): one row per graph")
            summary["pretrain_cached"] = True
        pre_summary = pretrain_summary or {}
        summary.update({k: pre_summary[k] for k in ("pretrain_loss", "pretrain_seconds")
                        if k in pre_summary})
        seed_everything(seed)  # torch only: ``rng`` (the head's draws) goes on
        emb = torch.from_numpy(np.ascontiguousarray(embeddings, dtype=np.float32)).to(device)
        learner: Learner = EmbeddingHead(emb, torch.from_numpy(collection.y).to(device), n_cls,
                                         weight, head_dropout)
        batcher: Callable = lambda ids: torch.from_numpy(ids).to(device)  # noqa: E731
    elif kind == "g2gnn":
        table = needs_knn(method)
        if knn is None:
            knn = kernel_knn(collection, table[1], kernel=table[0], **table[2])
        learner = G2GNN(encoder, n_cls, weight, knn=knn,
                        prop_layers=int(params.get("prop_layers", 2)), head_dropout=head_dropout,
                        augment=params.get("augment"))

        def batcher(ids: np.ndarray) -> dict:
            members, adj = gog_adjacency(ids, knn)
            return {"padded": graph_batch(members), "adj": (adj[0].to(device), adj[1].to(device)),
                    "pos": torch.from_numpy(np.searchsorted(members, ids)).to(device),
                    "y": torch.from_numpy(collection.y[ids]).to(device)}
    elif kind == "uniimb":
        learner = UniImb(encoder, n_cls, weight, batch_size=settings.batch_size, rng=rng,
                         **params)
        batcher = graph_batch
    else:
        learner = Supervised(encoder, n_cls, weight, head_dropout=head_dropout,
                             augment=params.get("augment"))
        batcher = graph_batch
    learner.to(device)
    bucket_sizes = collection.sizes if settings.size_buckets and kind != "uniimb" else None
    eval_bs = learner.eval_batch_size or settings.eval_batch_size

    def test_report() -> dict:
        logp, y = predict_log_proba(learner, batcher, test_ids, eval_bs, bucket_sizes,
                                    settings.attention_budget)
        return classification_report(y.numpy(), logp.exp().double().numpy())

    rows: list[list[float]] = []

    def on_best(epoch: int, val_loss: float) -> None:
        m = test_report()
        rows.append([epoch, val_loss, m["macro_f1"], m["micro_f1"]])

    res = fit(learner, batcher, train_ids, val_ids, settings, rng,
              val_weight=None if val_weight is None else val_weight.to(device),
              sizes=bucket_sizes, progress=progress, on_best=on_best if trace else None)
    metrics = test_report()
    metrics["train_size"] = int(train_ids.shape[0])
    summary.update({"epochs": res.epochs, "best_epoch": res.best_epoch,
                    "best_val_loss": res.best_val_loss, "train_seconds": res.seconds,
                    "seconds": time.perf_counter() - t0, "train_graphs": int(train_ids.shape[0]),
                    "val_graphs": int(val_ids.shape[0]), "test_graphs": int(test_ids.shape[0]),
                    "val_loss": res.val_loss, "train_loss": res.train_loss})
    if kind == "uniimb":
        summary["prototype_bias"] = learner.bias.cpu().tolist()
    if trace:
        summary["trace"] = rows
    return metrics, summary


def run_records(metrics: dict, summary: dict, *, dataset: str, split: str, method_name: str,
                method: dict, seed: int, **data_settings: Any) -> tuple[dict, dict, dict]:
    """The three files of one run: ``metrics.json`` (no timings: byte-identical across reruns),
    ``timings.json`` and ``settings.json`` (provenance). ``data_settings``: what else the run
    depended on (split protocol and parameters, PE width, node features, kNN table)."""
    from imbgraph.provenance import run_settings

    head = {"task": "graphcls", "dataset": dataset, "split": split, "method": method_name,
            "method_label": method["label"], "seed": int(seed)}
    timings = {**head, "wall_s": summary["seconds"], "train_s": summary["train_seconds"],
               "epochs": summary["epochs"], "best_epoch": summary["best_epoch"]}
    if "pretrain_seconds" in summary:
        timings["pretrain_s"] = summary["pretrain_seconds"]
    settings = run_settings(task="graphcls", dataset=dataset, split=split, method=method_name,
                            seed=seed, resolved=method, **data_settings)
    return {**head, **metrics}, timings, settings
