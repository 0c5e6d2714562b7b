"""The interface of a graph method: what it gets (:class:`MethodInputs`) and what it returns
(a :class:`~imbgraph.graphcls.train.Learner` and a batcher, :data:`Built`).

Every kind of the family, built in or a user's own (``kind: plugin, params: {callable:
"pkg.module:build"}``), is a callable of the :class:`BuildMethod` protocol:
``build(inputs) -> (learner, batcher)``. The shared job (:func:`imbgraph.graphcls.job.
run_method`) seeds everything from the run seed, draws the up-sampling and the evaluation
order, calls it, trains the learner on mini-batches of the batcher with selection on the
validation loss, and scores the test graphs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import numpy as np
import torch
from torch import nn

from imbgraph.graphcls.collection import GraphBatch, GraphCollection
from imbgraph.graphcls.models import encoder_and_batcher
from imbgraph.graphcls.splits import GraphSplit
from imbgraph.graphcls.train import Learner, TrainConfig

__all__ = ["Batcher", "Built", "BuildMethod", "MethodInputs"]

#: graph ids (int64 array) -> what the learner's ``loss`` / ``log_proba`` take
Batcher = Callable[[np.ndarray], Any]
#: what a method builds: the learner and its batcher
Built = tuple[Learner, Batcher]


@dataclass(frozen=True)
class MethodInputs:
    """What a graph method gets, built in or a user's own: one (collection, split, seed) run.

    collection : the dataset's graphs (:class:`GraphCollection`)
    pe : (n_nodes, P) float32 random-walk PE, or None (pe_dim 0, or a method without ``pe``
        in its needs)
    split : train / val / test graph ids (:class:`GraphSplit`; the job up-samples its own
        copies of the training and validation ids when ``balance.upsample`` is set)
    settings : the resolved method (:func:`imbgraph.graphcls.config.resolve_method`):
        ``label``, ``kind``, ``model``, ``balance``, ``params`` (defaults filled in), ``train``
    params : the kind's settings (``settings["params"]``; a plugin's without ``callable`` and
        ``needs``)
    seed : the run seed (torch is seeded with it)
    device : where the job trains
    rng : the run's numpy generator (draw training randomness from it, e.g. mixup, so the
        seed fixes it)
    train : the training settings (:class:`TrainConfig`)
    class_weight : (C,) float32 loss weights of ``balance.class_weights`` from the training
        class counts, or None
    cached : the cached inputs the method declares besides the PE (``"knn"``: (G, k) int64
        kernel kNN table; ``"pretrain"``: (embeddings (G, hidden) float32, summary) of the
        split and seed, absent to pre-train in the job)
    progress : log training progress
    """

    collection: GraphCollection
    pe: np.ndarray | None
    split: GraphSplit
    settings: dict[str, Any]
    params: dict[str, Any]
    seed: int
    device: torch.device
    rng: np.random.Generator
    train: TrainConfig
    class_weight: torch.Tensor | None = None
    cached: dict[str, Any] = field(default_factory=dict)
    progress: bool = False

    @property
    def num_classes(self) -> int:
        return self.collection.num_classes

    def backbone(self) -> tuple[nn.Module, Callable[[np.ndarray], GraphBatch]]:
        """A fresh encoder of the method's ``model`` (from torch's seeded generator) and the
        batcher of its input: graph ids -> :class:`GraphBatch` on the device (with the PE and,
        for UniImb's Laplacian branch, each node's graph's statistics). The encoder maps a
        batch to (graph embeddings (B, hidden), node embeddings (n, hidden))."""
        return encoder_and_batcher(dict(self.settings["model"]), self.collection, self.pe,
                                   self.device)

    def train_counts(self) -> np.ndarray:
        """(C,) int64 training graphs per class (before up-sampling)."""
        return np.bincount(self.collection.y[self.split.train], minlength=self.num_classes)


class BuildMethod(Protocol):
    """A graph method: ``build(inputs) -> (learner, batcher)``.

    Called once per run seed, after the job's own draws, with the run's
    :class:`MethodInputs`; build the encoder with ``inputs.backbone()`` (first, so that its
    initialisation is the first draw of torch's generator), read the method's settings from
    ``inputs.params``, and return a :class:`~imbgraph.graphcls.train.Learner` (on any device:
    the job moves it) and a batcher (graph ids -> the learner's batch, on ``inputs.device``).
    The job trains it on mini-batches of the training graphs and scores the test graphs with
    its ``log_proba``.
    """

    def __call__(self, inputs: MethodInputs) -> Built: ...
