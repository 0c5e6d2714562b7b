"""``infograph`` and ``graphcl``: self-supervised pre-training of the encoder
(:mod:`imbgraph.graphcls.pretrain`), then an MLP head on the frozen graph embeddings, with
up-sampling or re-weighting as the row's ``balance`` says.

The pre-training is a function of (collection, split, pre-training spec, seed) of its own
(:func:`~imbgraph.graphcls.pretrain.pretrain_embeddings` seeds itself), cached by the
pipeline once per spec so the -up / -rw rows share it; the head's draws start from the seed
again, so a run with cached embeddings equals one that pre-trains here.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from imbgraph.graphcls.methods.base import Built, MethodInputs
from imbgraph.graphcls.models import MLPHead
from imbgraph.graphcls.pretrain import pretrain_embeddings
from imbgraph.graphcls.train import Learner
from imbgraph.training import seed_everything

__all__ = ["EmbeddingHead", "build"]


class EmbeddingHead(Learner):
    """An MLP head on fixed graph embeddings; batches are graph id tensors.

    Args:
        emb: (G, hidden) float32 embeddings of every graph.
        y: (G,) int64 labels.
        n_classes: C.
        weight: (C,) class weights of the NLL, or None.
        head_dropout: dropout of the head (default: 0.5).

    Shapes:
        - **loss:** (B,) graph ids -> scalar
        - **log_proba:** (B,) graph ids -> (B, C)
    """

    def __init__(self, emb: torch.Tensor, y: torch.Tensor, n_classes: int,
                 weight: torch.Tensor | None, head_dropout: float = 0.5) -> None:
        super().__init__()
        self.register_buffer("emb", emb, persistent=False)
        self.register_buffer("y", y, persistent=False)
        self.register_buffer("weight", weight)
        self.head = MLPHead(emb.shape[1], n_classes, head_dropout)
        self.pretrain_summary: dict[str, Any] = {}

    def labels(self, ids: torch.Tensor) -> torch.Tensor:
        return self.y[ids]

    def loss(self, ids: torch.Tensor) -> torch.Tensor:
        return F.nll_loss(self.log_proba(ids), self.y[ids], weight=self.weight)

    def log_proba(self, ids: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(self.head(self.emb[ids]), dim=1)

    def summary(self) -> dict[str, Any]:
        return dict(self.pretrain_summary)


def build(inputs: MethodInputs) -> Built:
    coll, dev = inputs.collection, inputs.device
    cached = inputs.cached.get("pretrain")
    if cached is None:
        embeddings, pre = pretrain_embeddings(coll, inputs.pe, inputs.split, inputs.settings,
                                              seed=inputs.seed, device=dev)
    else:
        embeddings, pre = cached
        if embeddings.ndim != 2 or embeddings.shape[0] != coll.num_graphs:
            raise ValueError(f"embeddings of shape {embeddings.shape}; expected "
                             f"({coll.num_graphs}, hidden): one row per graph")
    seed_everything(inputs.seed)  # torch only: the job's generator (inputs.rng) goes on
    emb = torch.from_numpy(np.ascontiguousarray(embeddings, dtype=np.float32)).to(dev)
    head = EmbeddingHead(emb, torch.from_numpy(coll.y).to(dev), inputs.num_classes,
                         inputs.class_weight, float(inputs.params["head_dropout"]))
    pre = pre or {}
    head.pretrain_summary = {"pretrain_cached": cached is not None,
                             **{k: pre[k] for k in ("pretrain_loss", "pretrain_seconds")
                                if k in pre}}
    return head, lambda ids: torch.from_numpy(ids).to(dev)
