"""Losses for imbalanced binary / multi-class classification, looked up by config name.

* ``ce``    — cross-entropy (L-GCN).
* ``cb``    — class-balanced CE as DIGL uses it for linkage: mean CE over positives and mean
  CE over negatives, averaged, so each class weighs one half whatever its count.
* ``focal`` — focal loss (Lin et al.) with alpha for positives / 1 - alpha for negatives and
  the modulating factor (1 - p_t)^gamma detached, as in DIGL's released code
  (alpha_pos = 0.75, gamma = 2).
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def ce_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits, target)


def cb_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean of the per-class mean CE over the classes present in ``target``."""
    per = F.cross_entropy(logits, target, reduction="none")
    n_cls = logits.shape[1]
    sums = torch.zeros(n_cls, dtype=per.dtype, device=per.device).index_add_(0, target, per)
    counts = torch.bincount(target, minlength=n_cls)
    present = counts > 0
    return (sums[present] / counts[present]).mean()


def focal_loss(
    logits: torch.Tensor, target: torch.Tensor, *, alpha: float = 0.75, gamma: float = 2.0
) -> torch.Tensor:
    """Binary focal loss; ``alpha`` weighs class 1 (positive links), ``1 - alpha`` class 0."""
    logp = F.log_softmax(logits, dim=1).gather(1, target[:, None]).squeeze(1)
    modulating = (1 - logp.exp()).pow(gamma).detach()
    weight = torch.where(target == 1, alpha, 1 - alpha).to(logp.dtype)
    return -(weight * modulating * logp).mean()


LOSSES: dict[str, Callable[..., torch.Tensor]] = {"ce": ce_loss, "cb": cb_loss, "focal": focal_loss}


def get_loss(name: str, **params: float) -> Loss:
    """Resolve a loss by config name, binding its hyperparameters."""
    if name not in LOSSES:
        raise KeyError(f"loss = {name!r}; expected one of {sorted(LOSSES)}")
    fn = LOSSES[name]
    return lambda logits, target: fn(logits, target, **params)
