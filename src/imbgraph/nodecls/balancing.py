"""Balancing strategies: how a method turns one imbalanced training graph into a loss.

A strategy is a :class:`BalancedModel`, an ``nn.Module`` that owns the GNN (and any extra
parameters, such as GraphSMOTE's edge generator). ``forward(x, adj)`` is inference on a graph
without synthetic nodes (what validation and test use); ``loss(batch)`` is one training
step's loss on the :class:`Batch`. Synthetic nodes are drawn anew at every step, as in
GraphSMOTE's code, from torch's global generator (seeded per run).

* ``none`` (:class:`Plain`): the loss on the training nodes. "Origin", and "Re-weight" with
  inverse-frequency class weights in the loss;
* ``oversampling`` (:class:`OverSampling`): minority training nodes duplicated with their
  edges (paper 5.1.2);
* ``smote`` (:class:`RawSMOTE`): SMOTE on the raw features, the synthetic node taking the
  edges of the node it is made from (both pass the draw to the GNN, which interpolates the
  rows after its first linear map: :meth:`~imbgraph.nodecls.models.GNN.forward`);
* ``embed_smote`` (:class:`EmbedSMOTE`): SMOTE on the last graph convolution's output, fed
  straight to the linear head (no edges needed);
* ``graphsmote``: :mod:`imbgraph.nodecls.graphsmote`.

How many synthetic nodes each class gets is ``Batch.new_per_class`` (see
:func:`imbgraph.nodecls.splits.oversampling_targets`). Class weights, when set, weigh the
cross-entropy of real and synthetic nodes alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from imbgraph.nodecls.models import GNN, Adjacency
from imbgraph.nodecls.smote import SmoteDraw, class_partners, draw_smote, interpolate

__all__ = ["BalancedModel", "Batch", "EmbedSMOTE", "LOSSES", "OverSampling", "Plain",
           "RawSMOTE", "copy_edges", "weighted_ce"]


@dataclass
class Batch:
    """One training graph, every tensor on the training device.

    x : (n, d) float32 features
    adj : :class:`Adjacency` of the graph
    y : (n,) int64 labels (only training entries are read by a loss)
    train : (k,) int64 training node ids
    new_per_class : (C,) int64 synthetic nodes to add per class per step
    class_weight : (C,) float32 loss weights, or None
    edge_index : (2, E) int64 real edges (both directions), for edge losses
    """

    x: torch.Tensor
    adj: Adjacency
    y: torch.Tensor
    train: torch.Tensor
    new_per_class: torch.Tensor
    class_weight: torch.Tensor | None
    edge_index: torch.Tensor

    @property
    def num_nodes(self) -> int:
        return int(self.x.shape[0])


def weighted_ce(logits: torch.Tensor, target: torch.Tensor,
                weight: torch.Tensor | None) -> torch.Tensor:
    """Cross-entropy, class-weighted when ``weight`` is given (mean over the weights)."""
    return F.cross_entropy(logits, target, weight=weight)


LOSSES: dict[str, Callable[..., torch.Tensor]] = {"ce": weighted_ce}


class BalancedModel(nn.Module):
    """Base class: a GNN plus a balancing strategy (see the module docstring)."""

    #: epochs of pre-training on :meth:`pretrain_loss` before the main loop (GraphSMOTE pre*)
    pretrain_epochs: int = 0

    def __init__(self, gnn: GNN, criterion: Callable[..., torch.Tensor] = weighted_ce) -> None:
        super().__init__()
        self.gnn = gnn
        self.criterion = criterion

    def forward(self, x: torch.Tensor, adj: Adjacency) -> torch.Tensor:
        return self.gnn(x, adj)

    def loss(self, batch: Batch) -> torch.Tensor:
        raise NotImplementedError

    def pretrain_loss(self, batch: Batch) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no pre-training")

    def pretrain_parameters(self) -> list[nn.Parameter]:
        return []

    def _ce(self, logits: torch.Tensor, target: torch.Tensor, batch: Batch) -> torch.Tensor:
        return self.criterion(logits, target, batch.class_weight)


class Plain(BalancedModel):
    """No re-sampling: the loss over the training nodes ("Origin", "Re-weight")."""

    def loss(self, batch: Batch) -> torch.Tensor:
        logits = self.gnn(batch.x, batch.adj)
        return self._ce(logits[batch.train], batch.y[batch.train], batch)


def copy_edges(adj: Adjacency, base: torch.Tensor) -> Adjacency:
    """``adj`` with one appended node per entry of ``base`` (m,), each linked (both
    directions, weight 1) to every real neighbour of its base node."""
    owner, nbr = adj.neighbors(base)
    return adj.augment(adj.num_nodes + base.shape[0], nbr, adj.num_nodes + owner)


def _augmented_ce(model: BalancedModel, logits: torch.Tensor, batch: Batch,
                  draw: SmoteDraw) -> torch.Tensor:
    n = batch.num_nodes
    nodes = torch.cat([batch.train, n + torch.arange(len(draw), device=batch.y.device)])
    target = torch.cat([batch.y[batch.train], draw.label])
    return model._ce(logits[nodes], target, batch)


class OverSampling(BalancedModel):
    """Duplicate minority training nodes with their edges (appended as new nodes)."""

    def loss(self, batch: Batch) -> torch.Tensor:
        draw = draw_smote(None, batch.y, batch.train, batch.new_per_class, interpolate=False)
        logits = self.gnn(batch.x, copy_edges(batch.adj, draw.base), synthetic=draw)
        return _augmented_ce(self, logits, batch, draw)


class RawSMOTE(BalancedModel):
    """SMOTE on the input features; a synthetic node copies its base node's edges."""

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
        return _augmented_ce(self, logits, batch, draw)


class EmbedSMOTE(BalancedModel):
    """SMOTE on the last graph convolution's output (Ando & Huang 2017's Embed-SMOTE, as the
    GraphSMOTE paper sets it), the synthetic rows going straight to the linear head."""

    def loss(self, batch: Batch) -> torch.Tensor:
        h = self.gnn.embed(self.gnn.encode(batch.x, batch.adj), batch.adj)
        draw = draw_smote(h, batch.y, batch.train, batch.new_per_class)
        logits = self.gnn.head(torch.cat([h, interpolate(h, draw)]))
        return _augmented_ce(self, logits, batch, draw)
