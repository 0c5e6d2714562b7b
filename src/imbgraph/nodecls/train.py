"""Full-batch training with model selection on the validation nodes.

GraphSMOTE's code trains a fixed 2010 epochs and prints test metrics along the way, with no
validation-based selection. Here every epoch is scored on the validation nodes (a fast torch
computation, :func:`val_scores`), the best epoch's weights are kept
(:class:`imbgraph.training.EarlyStopping`), training stops after ``patience`` epochs without
improvement, and the test metrics are those of the best validation epoch.

Two settings keep the selection from being won by an early spike of the validation curve
(issue 18: at lr 0.01 on raw bag-of-words features the first Adam steps act like a
class-centroid classifier that later epochs overfit, so a best-of-all-epochs rule picked
epoch 1 on every seed of a whole table row):

- ``select_from``: epochs 0 .. select_from - 1 (0-based, as ``best_epoch``) are trained but
  their checkpoints may not be selected; patience counts from the first eligible epoch.
- ``smooth``: the score of epoch t is the mean of the raw validation scores of epochs
  t - smooth + 1 .. t (a trailing moving average), and an epoch is eligible once its window
  is full (t >= smooth - 1). The weights kept are the checkpoint *at* the best smoothed
  epoch t, the last epoch of its window. Why the window's end: the trailing mean is known at
  epoch t, when the model in memory is epoch t's, so no past checkpoints are stored; a window
  of good scores that ends at t means the model has scored well for ``smooth`` epochs in a
  row and is still there, the plateau the average is meant to find; and picking the raw best
  epoch inside the window would bring back the single-epoch noise the average removes. The
  cost is a lag of (smooth - 1) / 2 epochs against a centred window, small beside patience.

``select: bat_mean`` is BAT's criterion (ZhiningLiu1998/BAT, trainer.py
``NodeClassificationTrainer.get_validation_score``: the mean of the validation accuracy,
balanced accuracy and macro-F1, scikit-learn's ``accuracy_score``,
``balanced_accuracy_score`` and ``f1_score(average="macro")``; a strictly higher score
replaces the best, as here).

Pre-training (GraphSMOTE preT / preO) runs first, for the model's ``pretrain_epochs``, on its
``pretrain_loss`` with its own Adam over its ``pretrain_parameters()``.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

import torch
import torch.nn.functional as F

from imbgraph.nodecls.adjacency import Adjacency
from imbgraph.nodecls.methods.base import BalancedModel, Batch
from imbgraph.training import EarlyStopping

log = logging.getLogger(__name__)

__all__ = ["FitResult", "REPORT", "SELECT", "TrainConfig", "fit", "predict_proba", "val_scores"]

#: validation criterion -> EarlyStopping mode
SELECT = {"macro_f1": "max", "acc": "max", "balanced_acc": "max", "loss": "min",
          "bat_mean": "max"}
#: which epoch's weights are tested: the best validation epoch's, or the last one's
REPORT = ("best", "last")


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings (paper: Adam, lr 1e-3, weight decay 5e-4).

    max_epochs : upper bound on training epochs (paper: 2010 fixed, up to 5000)
    patience : stop after this many epochs without a better validation score
    lr, weight_decay : Adam's
    select : validation criterion, a key of :data:`SELECT`
    min_epochs : never stop before this many epochs
    pretrain_lr : Adam's lr during pre-training (default: ``lr``)
    select_from : the first epoch (0-based) whose checkpoint may be selected (default 0)
    smooth : select on the trailing mean of the validation scores over this many epochs
        (default 1: the raw scores)
    report : ``"best"`` (the best validation epoch's weights, early stopping) or ``"last"``
        (GraphSMOTE's and ECGN's codes: all ``max_epochs`` run, no checkpoint restored, the
        final epoch's weights are tested)
    """

    max_epochs: int = 1000
    patience: int = 100
    lr: float = 1e-3
    weight_decay: float = 5e-4
    select: str = "macro_f1"
    min_epochs: int = 0
    pretrain_lr: float | None = None
    select_from: int = 0
    smooth: int = 1
    report: str = "best"

    def __post_init__(self) -> None:
        if self.select not in SELECT:
            raise ValueError(f"select = {self.select!r}; expected one of {sorted(SELECT)}")
        if self.report not in REPORT:
            raise ValueError(f"report = {self.report!r}; expected one of {list(REPORT)}")
        if int(self.select_from) != self.select_from or self.select_from < 0:
            raise ValueError(f"select_from = {self.select_from!r}; expected an integer >= 0")
        if int(self.smooth) != self.smooth or self.smooth < 1:
            raise ValueError(f"smooth = {self.smooth!r}; expected an integer >= 1")
        if self.first_eligible >= self.max_epochs:
            raise ValueError(f"select_from = {self.select_from}, smooth = {self.smooth}: no "
                             f"epoch of max_epochs = {self.max_epochs} may be selected (the "
                             f"first eligible is epoch {self.first_eligible}, 0-based)")

    @property
    def first_eligible(self) -> int:
        """The first epoch (0-based) whose checkpoint may be selected."""
        return max(int(self.select_from), int(self.smooth) - 1)


@dataclass
class FitResult:
    """What training did: best_epoch (0-based), epochs (run), best_score (validation),
    seconds (main loop), pretrain_seconds, loss (per epoch), val (score per epoch), smoothed
    (the selection score per epoch: ``val``'s trailing mean over ``smooth`` epochs, NaN
    before the first full window); best_score is the smoothed score of best_epoch."""

    best_epoch: int
    epochs: int
    best_score: float
    seconds: float
    pretrain_seconds: float = 0.0
    loss: list[float] = field(default_factory=list)
    val: list[float] = field(default_factory=list)
    smoothed: list[float] = field(default_factory=list)


def val_scores(logits: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
    """Accuracy, balanced accuracy, macro F1 (scikit-learn's definitions: F1 averaged over the
    classes present in ``y`` or the prediction, recall over those in ``y``), mean CE and
    ``bat_mean``, the mean of the first three (BAT's selection score)."""
    c = logits.shape[1]
    pred = logits.argmax(dim=1)
    conf = torch.bincount(y * c + pred, minlength=c * c).reshape(c, c).to(torch.float64)
    tp = conf.diag()
    support, predicted = conf.sum(1), conf.sum(0)
    f1_den = support + predicted
    f1 = torch.where(f1_den > 0, 2 * tp / f1_den.clamp_min(1), torch.zeros_like(tp))
    present = f1_den > 0
    recall = tp[support > 0] / support[support > 0]
    out = {"acc": float(tp.sum() / conf.sum()),
           "balanced_acc": float(recall.mean()),
           "macro_f1": float(f1[present].mean()),
           "loss": float(F.cross_entropy(logits, y))}
    out["bat_mean"] = (out["acc"] + out["balanced_acc"] + out["macro_f1"]) / 3
    return out


@torch.no_grad()
def predict_proba(model: BalancedModel, x: torch.Tensor, adj: Adjacency) -> torch.Tensor:
    """(n, C) softmax probabilities of ``model`` in eval mode."""
    model.eval()
    return torch.softmax(model(x, adj), dim=1)


def _pretrain(model: BalancedModel, batch: Batch, cfg: TrainConfig) -> float:
    params = model.pretrain_parameters()
    opt = torch.optim.Adam(params, lr=cfg.pretrain_lr or cfg.lr, weight_decay=cfg.weight_decay)
    t0 = time.perf_counter()
    for _ in range(model.pretrain_epochs):
        model.train()
        opt.zero_grad()
        model.pretrain_loss(batch).backward()
        opt.step()
    return time.perf_counter() - t0


def fit(model: BalancedModel, batch: Batch | Callable[[int], Iterable[Batch]],
        val: torch.Tensor, cfg: TrainConfig, *, eval_graph: tuple[torch.Tensor, Adjacency]
        | None = None, y: torch.Tensor | None = None, progress: bool = False) -> FitResult:
    """Train ``model`` and leave the best validation epoch's weights in it (``cfg.report``
    ``"last"``: the final epoch's, after all ``cfg.max_epochs``).

    Parameters
    ----------
    model : the balancing strategy with its GNN
    batch : the training graph, or a function epoch -> batches (mini-batch training, one
        optimiser step per batch; ClusterGCN-style callers)
    val : (v,) validation node ids of the evaluation graph
    cfg : :class:`TrainConfig`
    eval_graph : (x, adj) evaluated each epoch (default: the batch's own)
    y : labels of the evaluation graph (default: the batch's)
    """
    full = isinstance(batch, Batch)
    if eval_graph is None or y is None:
        if not full:
            raise ValueError("fit: mini-batch training needs eval_graph and y")
        eval_graph, y = eval_graph or (batch.x, batch.adj), batch.y if y is None else y
    pre_s = _pretrain(model, batch, cfg) if model.pretrain_epochs and full else 0.0
    if model.pretrain_epochs and not full:
        raise ValueError("fit: pre-training needs a full-graph batch")
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    stopper = EarlyStopping(cfg.patience, SELECT[cfg.select])
    last = cfg.report == "last"
    y_val = y[val]
    losses, scores, smoothed = [], [], []
    first, window = cfg.first_eligible, int(cfg.smooth)
    t0 = time.perf_counter()
    epoch = -1
    for epoch in range(cfg.max_epochs):
        model.train()
        total = 0.0
        for b in ([batch] if full else batch(epoch)):
            opt.zero_grad()
            loss = model.loss(b)
            loss.backward()
            opt.step()
            total += float(loss.detach())
        model.eval()
        with torch.no_grad():
            score = val_scores(model(*eval_graph)[val], y_val)[cfg.select]
        losses.append(total)
        scores.append(score)
        # the trailing mean in float64 over the list, so that smooth = 1 is the raw score
        mean = (math.fsum(scores[-window:]) / window if epoch + 1 >= window
                else float("nan"))
        smoothed.append(mean)
        if progress and epoch % 50 == 0:
            log.info("epoch %d loss %.4f val %s %.4f", epoch, total, cfg.select, score)
        if last:  # the codes' protocol: every epoch runs, nothing is kept aside
            continue
        if epoch < first:  # trained, not eligible; patience starts at the first eligible
            continue
        if stopper.step(mean, model, epoch) and epoch + 1 >= cfg.min_epochs:
            break
    if last:
        return FitResult(best_epoch=epoch, epochs=epoch + 1,
                         best_score=scores[-1] if scores else float("nan"),
                         seconds=time.perf_counter() - t0, pretrain_seconds=pre_s,
                         loss=losses, val=scores, smoothed=smoothed)
    stopper.restore(model)
    return FitResult(best_epoch=stopper.best_epoch, epochs=epoch + 1,
                     best_score=stopper.best_score, seconds=time.perf_counter() - t0,
                     pretrain_seconds=pre_s, loss=losses, val=scores, smoothed=smoothed)
