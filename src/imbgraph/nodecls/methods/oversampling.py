"""``oversampling`` and ``smote``: synthetic minority nodes on the input graph, drawn anew at
every step, each linked to every real neighbour of the node it is made from.

* ``oversampling`` (:class:`OverSampling`): minority training nodes duplicated with their
  edges (GraphSMOTE 5.1.2);
* ``smote`` (:class:`RawSMOTE`): SMOTE on the raw features (nearest same-class training
  node, :mod:`imbgraph.nodecls.smote`), the synthetic node taking its base node's edges.

Both pass the draw to the GNN, which interpolates the rows after its first linear map
(:meth:`~imbgraph.nodecls.models.GNN.forward`: the map commutes with the interpolation).
"""

from __future__ import annotations

import torch

from imbgraph.nodecls.adjacency import Adjacency
from imbgraph.nodecls.methods.base import (
    BalancedModel,
    Batch,
    MethodInputs,
    augmented_ce,
    weighted_ce,
)
from imbgraph.nodecls.models import GNN
from imbgraph.nodecls.smote import class_partners, draw_smote

__all__ = ["OverSampling", "RawSMOTE", "build_oversampling", "build_smote", "copy_edges"]


def copy_edges(adj: Adjacency, base: torch.Tensor) -> Adjacency:
    """``adj`` with one appended node per entry of ``base`` (m,), each linked (both
    directions, weight 1) to every real neighbour of its base node."""
    owner, nbr = adj.neighbors(base)
    return adj.augment(adj.num_nodes + base.shape[0], nbr, adj.num_nodes + owner)


class OverSampling(BalancedModel):
    """Duplicate minority training nodes with their edges (appended as new nodes).

    Shapes:
        - **forward:** (N, d), Adjacency -> logits (N, C)
        - **loss:** Batch -> scalar (training and synthetic nodes)
    """

    def loss(self, batch: Batch) -> torch.Tensor:
        draw = draw_smote(None, batch.y, batch.train, batch.new_per_class, interpolate=False)
        logits = self.gnn(batch.x, copy_edges(batch.adj, draw.base), synthetic=draw)
        return augmented_ce(self, logits, batch, draw)


class RawSMOTE(BalancedModel):
    """SMOTE on the input features; a synthetic node copies its base node's edges.

    Shapes:
        - **forward:** (N, d), Adjacency -> logits (N, C)
        - **loss:** Batch -> scalar (training and synthetic nodes)
    """

    def __init__(self, gnn: GNN, criterion=weighted_ce) -> None:
        super().__init__(gnn, criterion)
        self._partners: dict[int, torch.Tensor] = {}
        self._for: tuple[torch.Tensor, torch.Tensor] | None = None

    def loss(self, batch: Batch) -> torch.Tensor:
        # Raw features never change: find the nearest same-class neighbours once per batch.
        if self._for is None or self._for[0] is not batch.x or self._for[1] is not batch.train:
            classes = torch.nonzero(batch.new_per_class > 0).flatten().tolist()
            self._partners = class_partners(batch.x, batch.y, batch.train, classes)
            self._for = (batch.x, batch.train)
        draw = draw_smote(batch.x, batch.y, batch.train, batch.new_per_class,
                          partners=self._partners)
        logits = self.gnn(batch.x, copy_edges(batch.adj, draw.base), synthetic=draw)
        return augmented_ce(self, logits, batch, draw)


def build_oversampling(inputs: MethodInputs) -> OverSampling:
    return OverSampling(inputs.backbone(), inputs.criterion)


def build_smote(inputs: MethodInputs) -> RawSMOTE:
    return RawSMOTE(inputs.backbone(), inputs.criterion)
