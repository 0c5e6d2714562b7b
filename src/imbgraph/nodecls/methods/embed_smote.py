"""``embed_smote``: SMOTE on the last graph convolution's output (Ando & Huang 2017's
Embed-SMOTE, as the GraphSMOTE paper sets it), the synthetic rows going straight to the
linear head (no edges needed)."""

from __future__ import annotations

import torch

from imbgraph.nodecls.methods.base import BalancedModel, Batch, MethodInputs, augmented_ce
from imbgraph.nodecls.smote import draw_smote, interpolate

__all__ = ["EmbedSMOTE", "build"]


class EmbedSMOTE(BalancedModel):
    """SMOTE in the embedding space of the classifier block's output.

    Shapes:
        - **forward:** (N, d), Adjacency -> logits (N, C)
        - **loss:** Batch -> scalar (training and synthetic nodes)
    """

    def loss(self, batch: Batch) -> torch.Tensor:
        h = self.gnn.embed(self.gnn.encode(batch.x, batch.adj), batch.adj)
        draw = draw_smote(h, batch.y, batch.train, batch.new_per_class)
        logits = self.gnn.head(torch.cat([h, interpolate(h, draw)]))
        return augmented_ce(self, logits, batch, draw)


def build(inputs: MethodInputs) -> EmbedSMOTE:
    return EmbedSMOTE(inputs.backbone(), inputs.criterion)
