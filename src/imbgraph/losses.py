"""Losses for imbalanced binary / multi-class classification, looked up by config name.

* ``ce``    — cross-entropy (L-GCN).
* ``cb``    — class-balanced CE as DIGL uses it for linkage: mean CE over positives and mean
  CE over negatives, averaged, so each class weighs one half whatever its count.
* ``focal`` — focal loss (Lin et al.) with alpha for positives / 1 - alpha for negatives and
  the modulating factor (1 - p_t)^gamma detached, as in DIGL's released code
  (alpha_pos = 0.75, gamma = 2).

Per-class weights for multi-class node and graph classification (``CLASS_WEIGHTS``):
``inverse`` frequency (re-weighting) and the ``effective_number`` of Cui et al. (CVPR 2019).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
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


def inverse_frequency_weights(counts) -> np.ndarray:
    """w_c = n / (C' * n_c) for the C' classes with n_c > 0 (0 for absent classes), so a
    class's total weight is the same for every present class and the mean sample weight is 1.

    Example: counts [30, 10] give [2/3, 2].
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or (counts < 0).any():
        raise ValueError(f"counts must be a 1D array of non-negative class sizes: {counts}")
    present = counts > 0
    w = np.zeros_like(counts)
    w[present] = counts.sum() / (present.sum() * counts[present])
    return w


def effective_number_weights(counts, beta: float) -> np.ndarray:
    """Class-balanced weights of Cui et al. (CVPR 2019): w_c = (1 - beta) / (1 - beta^n_c),
    normalised so the present classes' weights sum to their number (0 for absent classes).
    beta -> 0 gives equal weights, beta -> 1 inverse frequency.
    """
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"beta = {beta!r}; expected 0 <= beta < 1")
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or (counts < 0).any():
        raise ValueError(f"counts must be a 1D array of non-negative class sizes: {counts}")
    present = counts > 0
    w = np.zeros_like(counts)
    w[present] = (1.0 - beta) / (1.0 - np.power(beta, counts[present]))
    w[present] *= present.sum() / w[present].sum()
    return w


CLASS_WEIGHTS: dict[str, Callable[..., np.ndarray]] = {
    "none": lambda counts: np.where(np.asarray(counts) > 0, 1.0, 0.0),
    "inverse": inverse_frequency_weights,
    "effective_number": effective_number_weights,
}


def class_weights(name: str, counts, **params: float) -> np.ndarray:
    """Per-class loss weights by config name (``none``, ``inverse``, ``effective_number``)."""
    if name not in CLASS_WEIGHTS:
        raise KeyError(f"class weights = {name!r}; expected one of {sorted(CLASS_WEIGHTS)}")
    return CLASS_WEIGHTS[name](counts, **params)
