"""``none``: no re-sampling, the criterion over the training nodes. GraphSMOTE's "Origin",
and "Re-weight" with inverse-frequency class weights in the loss (``loss.class_weights``). Takes
add-ons (TAM on cross-entropy)."""

from __future__ import annotations

import torch

from imbgraph.nodecls.methods.base import BalancedModel, Batch, MethodInputs

__all__ = ["Plain", "build"]


class Plain(BalancedModel):
    """No re-sampling: the loss over the training nodes ("Origin", "Re-weight").

    Shapes:
        - **forward:** (N, d), Adjacency -> logits (N, C)
        - **loss:** Batch -> scalar
    """

    def loss(self, batch: Batch) -> torch.Tensor:
        logits = self.gnn(batch.x, batch.adj)
        return self._ce(self.train_logits(logits, batch), batch.y[batch.train], batch)


def build(inputs: MethodInputs) -> Plain:
    return Plain(inputs.backbone(), inputs.criterion)
