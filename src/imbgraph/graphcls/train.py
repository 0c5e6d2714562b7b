"""The training loop every graph-classification method shares: seeded mini-batches, Adam,
model selection on the best validation loss (as UniImb and G2GNN select) with early stopping
after ``patience`` epochs without improvement, and batched prediction.

A method is a :class:`Learner`: an ``nn.Module`` with ``loss(batch)`` (training mode),
``log_proba(batch)`` (evaluation mode) and ``end_epoch()``. What a batch is (a
:class:`~imbgraph.graphcls.collection.GraphBatch`, or rows of pre-computed embeddings) is the
``batcher``'s business: it maps an int64 array of graph ids to whatever the learner takes.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from imbgraph.training import EarlyStopping

log = logging.getLogger(__name__)

__all__ = ["FitResult", "Learner", "STOPPING", "TrainConfig", "batches", "bucketed_batches",
           "budget_batches", "fit", "predict_log_proba", "should_stop"]


@dataclass(frozen=True)
class TrainConfig:
    """The ``training:`` settings of a graph method (each family's TrainConfig holds its own
    loop's: mini-batches of graphs and the UniImb code's stopping rule here, full-batch
    selection by a validation metric in the node family, L-GCN's SGD schedule in the face
    family).

    epochs: at most this many (UniImb / G2GNN: 1000); patience: stop after this many epochs
    without a lower validation loss; lr / weight_decay: Adam (UniImb's scripts: 1e-3 / 5e-4);
    batch_size: training graphs per step (UniImb 16-128 by dataset); eval_batch_size: graphs per
    prediction batch (methods whose output depends on the batch, UniImb's prototypes, use
    batch_size); size_buckets: form each mini-batch from graphs of similar size (a random pool
    of 32 batches is sorted by node count, cut into batches, and the batches shuffled), which
    cuts the padding of dense attention (GraphGPS pads every graph to the batch's largest) by
    an order of magnitude on PROTEINS / D&D; off by default (plain random batches);
    attention_budget: with size_buckets, a batch also stops growing before graphs x (largest
    node count)^2 exceeds this (dense attention entries per head), so a batch of D&D's largest
    graphs does not take tens of GB; None: no cap.

    Stopping (selection is always the epoch of the lowest validation loss so far):
    ``stopping: patience`` stops after ``patience`` epochs without a lower validation loss, but
    never before ``min_epochs`` epochs; ``stopping: official`` is UniImb's code: once past half
    of ``epochs`` (0-based epoch > epochs // 2), stop at the first epoch whose validation loss
    exceeds the mean of the ``window`` before it (its ``--early_stopping 200``);
    ``stopping: none`` runs every epoch (the convergence figure's runs)."""

    epochs: int = 100
    patience: int = 20
    min_epochs: int = 0
    stopping: str = "patience"
    window: int = 200
    lr: float = 1e-3
    weight_decay: float = 5e-4
    batch_size: int = 32
    eval_batch_size: int = 256
    size_buckets: bool = False
    attention_budget: int | None = None

    def __post_init__(self) -> None:
        if self.stopping not in STOPPING:
            raise ValueError(f"stopping = {self.stopping!r}; expected one of {STOPPING}")


STOPPING = ("patience", "official", "none")


def should_stop(settings: TrainConfig, epoch: int, val_loss: list[float],
                patience_over: bool) -> bool:
    """Whether training ends after 0-based ``epoch`` (see :class:`TrainConfig`);
    ``val_loss``: every epoch's validation loss so far; ``patience_over``: the early stopper's
    verdict."""
    if settings.stopping == "none":
        return False
    if settings.stopping == "official":
        # main_class_imbalance.py: `epoch > epochs // 2` and the loss above the mean of the
        # `early_stopping` losses before it (an empty window never stops)
        past = val_loss[-(settings.window + 1):-1]
        return epoch > settings.epochs // 2 and len(past) > 0 and val_loss[-1] > float(np.mean(past))
    return patience_over and epoch + 1 >= settings.min_epochs


class Learner(nn.Module):
    """What every graph method trains (the contract; subclasses define :meth:`loss` and
    :meth:`log_proba`).

    * ``loss(batch)``: one training step's scalar loss (training mode);
    * ``log_proba(batch)``: log-probabilities (B, C) of the batch's graphs (evaluation mode);
    * ``labels(batch)``: their labels (B,) (default ``batch.y``);
    * ``end_epoch()``: called after every training epoch (UniImb moves its prototype bias);
    * ``summary()``: entries the learner adds to the run's summary after training;
    * :meth:`reset_parameters`: every child that has one.

    A batch is whatever the method's batcher makes of an int64 array of graph ids (a
    :class:`~imbgraph.graphcls.collection.GraphBatch`, rows of pre-computed embeddings, ...).

    Shapes:
        - **loss:** a batch of B graphs -> scalar
        - **log_proba:** a batch of B graphs -> (B, C)
    """

    #: graphs per prediction batch; None: TrainConfig.eval_batch_size
    eval_batch_size: int | None = None
    #: whether the prediction of a graph is independent of the other graphs of its batch; only
    #: such learners get batches of graphs of similar size (``size_buckets``)
    batch_invariant: bool = True

    def reset_parameters(self) -> None:
        for child in self.children():
            if hasattr(child, "reset_parameters"):
                child.reset_parameters()

    def loss(self, batch: Any) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} defines no loss(batch)")

    def log_proba(self, batch: Any) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} defines no log_proba(batch)")

    def labels(self, batch: Any) -> torch.Tensor:
        return batch.y

    def end_epoch(self) -> None:
        """Called after every training epoch (UniImb updates its prototype bias here)."""

    def summary(self) -> dict[str, Any]:
        """Entries of the run's summary this learner adds after training (UniImb: its
        prototype bias; the pre-trained kinds: their pre-training's loss and time)."""
        return {}


@dataclass
class FitResult:
    epochs: int = 0
    best_epoch: int = -1
    best_val_loss: float = float("nan")
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    seconds: float = 0.0


def batches(ids: np.ndarray, size: int, *, drop_single: bool = False) -> list[np.ndarray]:
    """Consecutive chunks of ``size`` ids; with ``drop_single`` a last chunk of one graph is
    dropped (BatchNorm cannot normalise a batch of one)."""
    out = [ids[i:i + size] for i in range(0, ids.shape[0], size)]
    if drop_single and len(out) > 1 and out[-1].shape[0] < 2:
        out.pop()
    return out


def budget_batches(ids: np.ndarray, sizes: np.ndarray, size: int,
                   budget: int | None) -> list[np.ndarray]:
    """Consecutive chunks of at most ``size`` ids (sorted by size) that also keep
    len(chunk) x max(sizes[chunk])^2 <= ``budget`` (a chunk has at least one id)."""
    if budget is None:
        return batches(ids, size)
    out, lo = [], 0
    n2 = sizes[ids].astype(np.float64) ** 2
    while lo < ids.shape[0]:  # one step per batch
        hi = lo + 1
        while (hi < ids.shape[0] and hi - lo < size
               and (hi + 1 - lo) * n2[lo:hi + 1].max() <= budget):
            hi += 1
        out.append(ids[lo:hi])
        lo = hi
    return out


def bucketed_batches(order: np.ndarray, sizes: np.ndarray, size: int,
                     rng: np.random.Generator, pool: int = 32,
                     budget: int | None = None) -> list[np.ndarray]:
    """Mini-batches of graphs of similar size from the random ``order``: every pool of
    ``pool`` x ``size`` consecutive ids is sorted by node count and cut into batches (of at most
    ``budget`` attention entries, see :func:`budget_batches`); the batches are then shuffled."""
    out = []
    for lo in range(0, order.shape[0], pool * size):
        chunk = order[lo:lo + pool * size]
        chunk = chunk[np.argsort(sizes[chunk], kind="stable")]
        out += budget_batches(chunk, sizes, size, budget)
    return [out[i] for i in rng.permutation(len(out))]


@torch.no_grad()
def predict_log_proba(learner: Learner, batcher: Callable[[np.ndarray], Any], ids: np.ndarray,
                      batch_size: int, sizes: np.ndarray | None = None,
                      budget: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(log-probabilities (n, C), labels (n,)) of graphs ``ids`` in evaluation mode, in the
    order of ``ids``. With ``sizes`` the graphs are batched in order of size (only for
    learners whose prediction of a graph does not depend on its batch)."""
    learner.eval()
    order = np.arange(ids.shape[0]) if sizes is None else np.argsort(sizes[ids], kind="stable")
    outs, ys = [], []
    chunks = (batches(ids[order], batch_size) if sizes is None
              else budget_batches(ids[order], sizes, batch_size, budget))
    for chunk in chunks:
        b = batcher(chunk)
        outs.append(learner.log_proba(b).cpu())
        ys.append(learner.labels(b).cpu())
    back = torch.from_numpy(np.argsort(order, kind="stable"))
    return torch.cat(outs)[back], torch.cat(ys)[back]


def _val_loss(logp: torch.Tensor, y: torch.Tensor, weight: torch.Tensor | None) -> float:
    # predictions come back on the CPU; the class weights may live on the training device
    return float(F.nll_loss(logp, y, weight=None if weight is None else weight.to(logp.device)))


def fit(learner: Learner, batcher: Callable[[np.ndarray], Any], train_ids: np.ndarray,
        val_ids: np.ndarray, settings: TrainConfig, rng: np.random.Generator, *,
        val_weight: torch.Tensor | None = None, sizes: np.ndarray | None = None,
        progress: bool = True, on_best: Callable[[int, float], None] | None = None) -> FitResult:
    """Train ``learner`` on ``train_ids``, keep the weights of the epoch with the lowest
    validation NLL (``val_weight``: per-class weights of that loss) and load them back.
    ``sizes`` (node count per graph) is needed when ``settings.size_buckets`` is on.
    ``progress``: log one INFO line per epoch (a pipeline job's log shows how far it got).
    ``on_best(epoch, val_loss)``: called with the learner as it is whenever an epoch sets a new
    lowest validation loss (the convergence trace tests it then: the test score at the best validation
    epoch of every shorter budget, from one run)."""
    bucket = settings.size_buckets and sizes is not None
    opt = torch.optim.Adam([p for p in learner.parameters() if p.requires_grad],
                           lr=settings.lr, weight_decay=settings.weight_decay)
    stopper = EarlyStopping(settings.patience, mode="min")
    eval_bs = learner.eval_batch_size or settings.eval_batch_size
    res = FitResult()
    t0 = time.perf_counter()
    for epoch in range(settings.epochs):
        learner.train()
        order = train_ids[rng.permutation(train_ids.shape[0])]
        total, seen = 0.0, 0
        chunks = (bucketed_batches(order, sizes, settings.batch_size, rng,
                                   budget=settings.attention_budget) if bucket
                  else batches(order, settings.batch_size, drop_single=True))
        for chunk in chunks:
            loss = learner.loss(batcher(chunk))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * chunk.shape[0]
            seen += chunk.shape[0]
        learner.end_epoch()
        logp, y = predict_log_proba(learner, batcher, val_ids, eval_bs,
                                    sizes if bucket else None, settings.attention_budget)
        vloss = _val_loss(logp, y, val_weight)
        res.train_loss.append(total / max(seen, 1))
        res.val_loss.append(vloss)
        res.epochs = epoch + 1
        if progress:
            log.info("epoch %d/%d: train loss %.4f, val loss %.4f", epoch + 1, settings.epochs,
                     res.train_loss[-1], vloss)
        patience_over = stopper.step(vloss, learner, epoch)
        if on_best is not None and stopper.best_epoch == epoch:
            on_best(epoch, vloss)
        if should_stop(settings, epoch, res.val_loss, patience_over):
            break
    stopper.restore(learner)
    res.best_epoch, res.best_val_loss = stopper.best_epoch, stopper.best_score
    res.seconds = time.perf_counter() - t0
    return res
