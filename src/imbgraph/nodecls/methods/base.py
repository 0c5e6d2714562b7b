"""The interface of a node method: what it gets (:class:`MethodInputs`), what it builds
(a :class:`BalancedModel`) and the training graph a model's loss sees (:class:`Batch`).

Every method of the family, built in or a user's own (``balancing: {name: plugin,
callable: "pkg.module:build"}``), is a callable of the :class:`BuildModel` protocol:
``build(inputs) -> BalancedModel``. The shared job (:func:`imbgraph.nodecls.job.run_method`)
seeds everything from the run seed, calls it, trains the model full batch with selection on
the validation nodes, and scores the test nodes. The few methods that change the training
graph or the loop itself (cluster features, ClusterGCN, ECGN) register a whole job body
instead (:class:`imbgraph.nodecls.methods.NodeMethod` ``own_job``), on the same inputs.

An *add-on* (TAM) adjusts the training nodes' logits of a method that reads them through
:meth:`BalancedModel.train_logits` (``none``, ``balanced_softmax``, ``renode``: the method
table's ``addons``); the job appends it to the model's ``addons`` after ``build``.

Synthetic nodes are drawn anew at every training step, as in GraphSMOTE's code, from torch's
global generator (seeded per run). How many each class gets is ``Batch.new_per_class`` (see
:func:`imbgraph.nodecls.data.splits.oversampling_targets`). Class weights, when set, weigh
the cross-entropy of real and synthetic nodes alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from imbgraph.nodecls.adjacency import Adjacency
from imbgraph.nodecls.data.graph import NodeGraph
from imbgraph.nodecls.data.splits import NodeSplit
from imbgraph.nodecls.models import GNN, build_model
from imbgraph.nodecls.smote import SmoteDraw

__all__ = ["BalancedModel", "Batch", "BuildModel", "LOSSES", "MethodInputs", "augmented_ce",
           "weighted_ce"]


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


#: ``loss.name`` -> criterion ``(logits, target, class_weight) -> scalar``
LOSSES: dict[str, Callable[..., torch.Tensor]] = {"ce": weighted_ce}


class BalancedModel(nn.Module):
    """A GNN plus a balancing strategy: what every node method builds (the contract).

    Subclasses implement :meth:`loss`; the shared job trains :meth:`parameters` with Adam on
    it, one full-graph step per epoch, and selects the epoch by :meth:`forward` on the
    validation nodes.

    * ``forward(x, adj)``: inference on a graph without synthetic nodes (validation, test);
      must return one row of logits per node and one column per class;
    * ``loss(batch)``: one training step's scalar loss on the :class:`Batch` (draw synthetic
      nodes here, from torch's global generator, so the run seed fixes them);
    * ``pretrain_epochs`` / :meth:`pretrain_loss` / :meth:`pretrain_parameters`: an optional
      stage on its own Adam before the main loop (GraphSMOTE pre*);
    * :meth:`reset_parameters`: every child that has one (the GNN, GraphSMOTE's generator)
      and every add-on;
    * :meth:`train_logits`: the training nodes' rows of the logits with the add-ons'
      adjustments (TAM's margins), for a loss that accepts add-ons.

    Args:
        gnn: the backbone (:meth:`MethodInputs.backbone`).
        criterion: ``(logits, target, class_weight) -> scalar`` (:meth:`MethodInputs.criterion`).

    Shapes:
        - **forward:** node features (N, d), :class:`Adjacency` over N nodes -> logits (N, C)
        - **loss:** :class:`Batch` -> scalar
    """

    #: epochs of pre-training on :meth:`pretrain_loss` before the main loop (GraphSMOTE pre*)
    pretrain_epochs: int = 0

    def __init__(self, gnn: GNN, criterion: Callable[..., torch.Tensor] = weighted_ce) -> None:
        super().__init__()
        self.gnn = gnn
        self.criterion = criterion
        #: modules ``(logits, batch, train_logits) -> train_logits`` applied in order by
        #: :meth:`train_logits` (TAM); attached by the job, none by default
        self.addons = nn.ModuleList()

    def reset_parameters(self) -> None:
        for child in [*self.children(), *self.addons]:
            if hasattr(child, "reset_parameters"):
                child.reset_parameters()

    def train_logits(self, logits: torch.Tensor, batch: Batch) -> torch.Tensor:
        """(k, C) rows of ``logits`` (n, C) of the training nodes ``batch.train``, each
        add-on's adjustment applied in order (none: the rows as they are)."""
        out = logits[batch.train]
        for addon in self.addons:
            out = addon(logits, batch, out)
        return out

    def forward(self, x: torch.Tensor, adj: Adjacency) -> torch.Tensor:
        return self.gnn(x, adj)

    def loss(self, batch: Batch) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} defines no loss(batch)")

    def pretrain_loss(self, batch: Batch) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} has no pre-training")

    def pretrain_parameters(self) -> list[nn.Parameter]:
        return []

    def _ce(self, logits: torch.Tensor, target: torch.Tensor, batch: Batch) -> torch.Tensor:
        return self.criterion(logits, target, batch.class_weight)


def augmented_ce(model: BalancedModel, logits: torch.Tensor, batch: Batch,
                 draw: SmoteDraw) -> torch.Tensor:
    """The model's criterion over the training nodes and the ``draw``'s synthetic nodes,
    whose logits follow the n real rows of ``logits`` (n + m, C)."""
    n = batch.num_nodes
    nodes = torch.cat([batch.train, n + torch.arange(len(draw), device=batch.y.device)])
    target = torch.cat([batch.y[batch.train], draw.label])
    return model._ce(logits[nodes], target, batch)


@dataclass(frozen=True)
class MethodInputs:
    """What a node method gets, built in or a user's own: one (graph, split, seed) run.

    graph : the original graph (:class:`NodeGraph`; features, both-direction edges, labels)
    split : train / val / test node ids and the minority classes (:class:`NodeSplit`)
    settings : the resolved method (:func:`imbgraph.nodecls.config.resolve_method`):
        ``label``, ``model``, ``balancing`` (its name and every setting, defaults filled in),
        ``loss``, ``train``
    params : the method's own settings (``balancing`` without ``name``; for a plugin, its
        ``params:`` block)
    seed : the run seed (torch, numpy and Python are already seeded with it)
    device : where the job trains
    cached : the cached inputs the method declares (``"clusters"``: (n,) int64 METIS ids in
        [0, ``settings["balancing"]["clusters"]``); ``"pretrain"``: ECGN's cluster networks)
    progress : log training progress
    key : the method's config key (``nodecls.methods.<name>``), for errors a method raises
        while it builds (ReNode's PPR memory bound)
    """

    graph: NodeGraph
    split: NodeSplit
    settings: dict[str, Any]
    params: dict[str, Any]
    seed: int
    device: torch.device
    cached: dict[str, Any] = field(default_factory=dict)
    progress: bool = False
    key: str = "method"

    @property
    def criterion(self) -> Callable[..., torch.Tensor]:
        """The method's loss function (:data:`LOSSES`)."""
        return LOSSES[self.settings["loss"]["name"]]

    def backbone(self, in_channels: int | None = None) -> GNN:
        """A fresh GNN of the method's ``model`` settings (from torch's seeded generator):
        ``in_channels`` (default: the graph's features) in, one logit per class out."""
        return build_model(self.settings["model"], self.graph.num_features
                           if in_channels is None else in_channels, self.graph.num_classes)

    def train_counts(self) -> np.ndarray:
        """(C,) int64 training nodes per class."""
        return np.bincount(self.graph.y[self.split.train], minlength=self.graph.num_classes)


class BuildModel(Protocol):
    """A node method: ``build(inputs) -> BalancedModel``.

    Called once per run seed, after seeding, with the run's :class:`MethodInputs`; build the
    backbone with ``inputs.backbone()`` and the loss with ``inputs.criterion``, read the
    method's settings from ``inputs.params``, and return a :class:`BalancedModel` (on any
    device: the job moves it). The job trains it on a :class:`Batch` of the whole graph and
    scores the test nodes with its ``forward``.
    """

    def __call__(self, inputs: MethodInputs) -> BalancedModel: ...
