"""``cb_sampling``: class-balanced node sampling ("CB-Sampling", ECGN's baseline after Cui et al.'s
class-balanced sampling): every training step draws its loss nodes by first choosing a class
uniformly, then a training node of that class uniformly, with replacement.

Drawing node v with probability 1 / (C' n_{y_v}) (C' = classes with training nodes) is exactly
"class first, then node" and is what PyG's ``ImbalancedSampler`` does (a
``WeightedRandomSampler`` with weights 1 / class count); here the draw is one
``torch.multinomial`` from torch's global generator (seeded per run), so the full-batch GNN
forward stays one call and no loader is needed.
"""

from __future__ import annotations

import torch

from imbgraph.nodecls.methods.base import BalancedModel, Batch, MethodInputs, weighted_ce
from imbgraph.nodecls.models import GNN

__all__ = ["CBSampling", "build", "class_balanced_sample", "class_balanced_weights"]


def class_balanced_weights(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(k,) float64 sampling probabilities of ``labels`` (k,): 1 / (C' n_c) for a node of
    class c, C' the number of classes present; they sum to 1."""
    counts = torch.bincount(labels, minlength=num_classes).to(torch.float64)
    present = int((counts > 0).sum())
    return 1.0 / (present * counts[labels])


def class_balanced_sample(labels: torch.Tensor, num_classes: int, num_samples: int, *,
                          generator: torch.Generator | None = None) -> torch.Tensor:
    """(num_samples,) int64 positions into ``labels`` drawn class first, then node (with
    replacement). ``labels`` must be non-empty."""
    if labels.numel() == 0:
        raise ValueError("class-balanced sampling needs at least one labelled node")
    w = class_balanced_weights(labels, num_classes)
    return torch.multinomial(w, int(num_samples), replacement=True, generator=generator)


class CBSampling(BalancedModel):
    """Cross-entropy over class-balanced draws of the training nodes (see the module
    docstring). ``num_samples`` draws per step (default: as many as there are training
    nodes, so an epoch sees as many loss terms as plain training).

    Shapes:
        - **forward:** (N, d), Adjacency -> logits (N, C)
        - **loss:** Batch -> scalar (mean over the draws)
    """

    def __init__(self, gnn: GNN, criterion=weighted_ce, *,
                 num_samples: int | None = None) -> None:
        super().__init__(gnn, criterion)
        if num_samples is not None and int(num_samples) < 1:
            raise ValueError(f"num_samples = {num_samples!r}; expected >= 1")
        self.num_samples = None if num_samples is None else int(num_samples)

    def loss(self, batch: Batch) -> torch.Tensor:
        logits = self.gnn(batch.x, batch.adj)
        y_train = batch.y[batch.train]
        pos = class_balanced_sample(y_train, logits.shape[1],
                                    self.num_samples or batch.train.shape[0])
        nodes = batch.train[pos]
        return self._ce(logits[nodes], batch.y[nodes], batch)


def build(inputs: MethodInputs) -> CBSampling:
    return CBSampling(inputs.backbone(), inputs.criterion,
                      num_samples=inputs.params.get("num_samples"))
