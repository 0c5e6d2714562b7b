"""``balanced_softmax``: Balanced Softmax (Ren et al., "Balanced Meta-Softmax for Long-Tailed
Visual Recognition", NeurIPS 2020), the loss TAM's and BAT's code use as their ``bs`` base.

The softmax of the training loss is taken over the logits shifted by the log of the training
class prior, ``z_c + log pi_c`` with ``pi_c = n_c / n`` (eq. 4: the label distribution of the
training set is folded into the softmax, so the test-time softmax of the plain logits
estimates the balanced posterior). The public code adds ``log n_c`` instead of
``log pi_c``; the two differ by ``log n`` on every logit, which no softmax sees. Predictions
use the plain logits. A class without training nodes counts as one node (``log 0`` would
send its logit to minus infinity; TAM's and BAT's splits never leave a class empty).

Takes add-ons: TAM's margins are added to the training logits first, then the prior (TAM's
``main_bs.py``: ``adjust_output`` then ``BalancedSoftmax``).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from imbgraph.nodecls.methods.base import BalancedModel, Batch, MethodInputs
from imbgraph.nodecls.models import GNN

__all__ = ["BalancedSoftmax", "build", "log_prior"]


def log_prior(train_counts: np.ndarray) -> torch.Tensor:
    """(C,) float32 ``log(n_c / n)`` of the training class counts, a class without training
    nodes counted as one node."""
    counts = np.maximum(np.asarray(train_counts, dtype=np.float64), 1.0)
    return torch.as_tensor(np.log(counts / counts.sum()), dtype=torch.float32)


class BalancedSoftmax(BalancedModel):
    """Cross-entropy on ``logits + log(prior)`` over the training nodes (class weights, when
    the loss sets them, weigh it as they weigh plain cross-entropy).

    Args:
        gnn: the backbone.
        criterion: ``(logits, target, class_weight) -> scalar``.
        log_prior: (C,) log training class prior (:func:`log_prior`).

    Shapes:
        - **forward:** (N, d), Adjacency -> logits (N, C) (plain: no prior)
        - **loss:** Batch -> scalar
    """

    def __init__(self, gnn: GNN, criterion: Callable[..., torch.Tensor],
                 log_prior: torch.Tensor) -> None:
        super().__init__(gnn, criterion)
        self.register_buffer("log_prior", log_prior)

    def loss(self, batch: Batch) -> torch.Tensor:
        logits = self.train_logits(self.gnn(batch.x, batch.adj), batch)
        return self._ce(logits + self.log_prior, batch.y[batch.train], batch)


def build(inputs: MethodInputs) -> BalancedSoftmax:
    return BalancedSoftmax(inputs.backbone(), inputs.criterion, log_prior(inputs.train_counts()))
