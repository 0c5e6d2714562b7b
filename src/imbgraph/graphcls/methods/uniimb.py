"""``uniimb``: UniImb (ICLR'26). A GIN backbone, UniImb's personalised perturbation of each
training graph, mixup of graph embeddings, and the dynamic balanced prototype head with its
aux-loss-free load balancing (:mod:`imbgraph.graphcls.prototypes`).

The prototypes aggregate over the batch, so a graph's prediction depends on its batch:
evaluation uses the training batch size, never size buckets, and the job's ``eval_order``
decides which graphs share a batch.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from imbgraph.graphcls.augment import PersonalisedPerturbation
from imbgraph.graphcls.collection import GraphBatch
from imbgraph.graphcls.methods import BIAS_MODES, METHODS
from imbgraph.graphcls.methods.base import Built, MethodInputs
from imbgraph.graphcls.prototypes import (
    PrototypeBlock,
    load_counts,
    target_load,
    update_bias,
    update_bias_official,
)
from imbgraph.graphcls.train import Learner

__all__ = ["UniImb", "build"]


class UniImb(Learner):
    """GIN backbone, personalised perturbation, mixup of graph embeddings and the dynamic
    balanced prototype head (see :mod:`imbgraph.graphcls.prototypes`).

    Args:
        encoder: the GIN encoder (:meth:`MethodInputs.backbone`).
        n_classes: C.
        weight: (C,) class weights of the NLL, or None.
        n_prototypes, heads, top_k2, top_k1, dropout: the prototype block's (K, H, K2, K1).
        load: the target load distribution ``{name, **its parameters}`` (default: uniform).
        bias_step: the bias update's step.
        mixup_alpha: Beta(alpha, alpha) of the mixup weight (0: no mixup).
        perturb: perturb training graphs; perturb_eval: evaluation graphs too (the code's).
        ib_weight: weight of the slides' information-bottleneck term (0: the code's loss).
        bias_mode: ``per_head`` or ``official`` (:data:`~imbgraph.graphcls.methods.
            BIAS_MODES`).
        batch_size: training graphs per batch (the official bias target and the evaluation
            batch size).
        rng: the run's generator (mixup draws).

    Shapes:
        - **loss:** GraphBatch of B graphs -> scalar (mixed rows join the routing only)
        - **log_proba:** GraphBatch of B graphs -> (B, C)
    """

    batch_invariant = False  # the prototypes aggregate over the batch

    def __init__(self, encoder: nn.Module, n_classes: int, weight: torch.Tensor | None, *,
                 n_prototypes: int = 16, heads: int = 4, top_k2: int = 8, top_k1: int = 8,
                 load: dict | None = None, bias_step: float = 1e-3, mixup_alpha: float = 1.0,
                 perturb: bool = True, perturb_eval: bool = False, ib_weight: float = 0.0,
                 dropout: float = 0.3, bias_mode: str = "per_head", batch_size: int = 32,
                 rng: np.random.Generator) -> None:
        super().__init__()
        self.encoder = encoder
        self.block = PrototypeBlock(encoder.hidden, n_classes, n_prototypes=n_prototypes,
                                    heads=heads, top_k2=top_k2, top_k1=top_k1, dropout=dropout)
        self.perturbation = PersonalisedPerturbation() if perturb else None
        self.perturb_eval = perturb_eval
        load = {**METHODS["uniimb"].blocks["load"], **(load or {})}
        share = target_load(load["name"], n_prototypes,
                            **{k: v for k, v in load.items() if k != "name"})
        self.register_buffer("target", torch.tensor(share, dtype=torch.float32))
        self.register_buffer("bias", torch.zeros(heads, n_prototypes))
        self.register_buffer("load", torch.zeros(heads, n_prototypes, dtype=torch.int64),
                             persistent=False)
        self.register_buffer("weight", weight)
        self.bias_step, self.mixup_alpha, self.ib_weight = bias_step, mixup_alpha, ib_weight
        self.n_prototypes = n_prototypes
        if bias_mode not in BIAS_MODES:
            raise ValueError(f"bias_mode = {bias_mode!r}; expected one of {BIAS_MODES}")
        self.bias_mode, self.top_k2, self.batch_size = bias_mode, top_k2, batch_size
        self.eval_batch_size = batch_size  # prototypes aggregate over the batch, as in training
        self.rng = rng

    def reset_parameters(self) -> None:
        super().reset_parameters()
        self.bias.zero_()
        self.load.zero_()

    def _embed(self, b: GraphBatch) -> torch.Tensor:
        if self.perturbation is not None and (self.training or self.perturb_eval):
            x, ei = self.perturbation(b)
            return self.encoder(b, x=x, edge_index=ei)[0]
        return self.encoder(b)[0]

    def loss(self, b: GraphBatch) -> torch.Tensor:
        h = self._embed(b)
        n = h.shape[0]
        if self.mixup_alpha > 0:
            lam = float(self.rng.beta(self.mixup_alpha, self.mixup_alpha))
            perm = torch.from_numpy(self.rng.permutation(n)).to(h.device)
            h = torch.cat([h, lam * h + (1 - lam) * h[perm]])  # mixed rows join the routing only
        logits, routes, soft = self.block(h, self.bias)
        counts = load_counts(routes.detach(), self.n_prototypes)
        if self.bias_mode == "official":
            self.load.copy_(counts)  # the code keeps the last batch's counts only
        else:
            self.load += counts
        loss = F.nll_loss(F.log_softmax(logits[:n], dim=1), b.y, weight=self.weight)
        if self.ib_weight:
            p = soft.mean(dim=0)                                # (heads, K) mean routing
            loss = loss + self.ib_weight * 0.5 * (p - self.target).pow(2).sum(dim=-1).mean()
        return loss

    def log_proba(self, b: GraphBatch) -> torch.Tensor:
        return F.log_softmax(self.block(self._embed(b), self.bias)[0], dim=1)

    def end_epoch(self) -> None:
        if self.load.sum() > 0:
            self.bias.copy_(
                update_bias_official(self.bias, self.load, self.target, self.top_k2,
                                     self.batch_size, self.bias_step)
                if self.bias_mode == "official"
                else update_bias(self.bias, self.load, self.target, self.bias_step))
        self.load.zero_()

    def summary(self) -> dict[str, Any]:
        return {"prototype_bias": self.bias.cpu().tolist()}


def build(inputs: MethodInputs) -> Built:
    encoder, graph_batch = inputs.backbone()
    p = inputs.params
    learner = UniImb(encoder, inputs.num_classes, inputs.class_weight,
                     n_prototypes=p["n_prototypes"], heads=p["heads"], top_k2=p["top_k2"],
                     top_k1=p["top_k1"], load=p["load"], bias_step=p["bias_step"],
                     mixup_alpha=p["mixup_alpha"], perturb=p["perturb"],
                     perturb_eval=p["perturb_eval"], ib_weight=p["ib_weight"],
                     dropout=p["dropout"], bias_mode=p["bias_mode"],
                     batch_size=inputs.train.batch_size, rng=inputs.rng)
    return learner, graph_batch
