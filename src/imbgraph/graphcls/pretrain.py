"""Self-supervised pre-training of a graph encoder (``PRETRAINERS``), the "InfoGraph" and
"GraphCL" rows of UniImb's tables: the encoder is trained without labels, frozen, and a
classifier is trained on its graph embeddings (with up-sampling or re-weighting as the row says).

* ``infograph`` (Sun et al., ICLR 2020): maximise the Jensen-Shannon MI estimate between every
  node embedding and the embedding of its own graph, against the other graphs of the batch.
  Node and graph embeddings pass through their own 3-layer feed-forward nets with a linear
  shortcut (InfoGraph's FF). Simplification: the node embedding is the encoder's last layer,
  not the concatenation of all layers.
* ``graphcl`` (You et al., NeurIPS 2020): two augmented views of every graph (each view one
  augmentation drawn from ``augmentations``, ratio ``ratio``), a 2-layer projection head, and the
  NT-Xent loss at temperature ``tau`` (GraphCL's form: the other view's copies of the other
  graphs are the negatives).
"""

from __future__ import annotations

import logging
import math
import time
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from imbgraph.graphcls.augment import AUGMENTATIONS
from imbgraph.graphcls.collection import GraphBatch
from imbgraph.graphcls.train import batches

__all__ = ["PRETRAINERS", "InfoGraphLoss", "GraphCLLoss", "pretrain_encoder", "jsd_mi_loss",
           "nt_xent"]


class _FF(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.block = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim), nn.ReLU(),
                                   nn.Linear(dim, dim), nn.ReLU())
        self.shortcut = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(x) + self.shortcut(x)


def jsd_mi_loss(local: torch.Tensor, global_: torch.Tensor, batch: torch.Tensor) -> torch.Tensor:
    """InfoGraph's negative JSD MI estimate. local (n, d) node codes, global_ (B, d) graph codes,
    batch (n,) graph of each node: node i and graph batch[i] are the positive pair, node i and
    every other graph of the batch a negative pair."""
    scores = local @ global_.T                                            # (n, B)
    pos = torch.zeros_like(scores, dtype=torch.bool)
    pos[torch.arange(local.shape[0], device=local.device), batch] = True
    log2 = math.log(2.0)
    e_pos = (log2 - F.softplus(-scores))[pos].mean()
    neg = ~pos
    e_neg = (F.softplus(-scores) + scores - log2)[neg].mean() if neg.any() else scores.sum() * 0
    return e_neg - e_pos


def nt_xent(z1: torch.Tensor, z2: torch.Tensor, tau: float) -> torch.Tensor:
    """GraphCL's NT-Xent: -log(exp(s_ii / tau) / sum_{j != i} exp(s_ij / tau)) averaged over
    graphs i, with s the cosine similarity between view-1 and view-2 codes (B, d)."""
    z1, z2 = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    sim = torch.exp(z1 @ z2.T / tau)
    pos = sim.diagonal()
    neg = sim.sum(dim=1) - pos
    return -torch.log(pos / neg.clamp_min(1e-12)).mean()


class InfoGraphLoss(nn.Module):
    def __init__(self, dim: int) -> None:
        super().__init__()
        self.local, self.glob = _FF(dim), _FF(dim)

    def forward(self, encoder: nn.Module, b: GraphBatch) -> torch.Tensor:
        g, h = encoder(b)
        return jsd_mi_loss(self.local(h), self.glob(g), b.batch)


class GraphCLLoss(nn.Module):
    def __init__(self, dim: int, *, augmentations: tuple[str, ...] = ("mask_node", "remove_edge"),
                 ratio: float = 0.2, tau: float = 0.2) -> None:
        super().__init__()
        for a in augmentations:
            if a not in AUGMENTATIONS:
                raise ValueError(f"augmentation {a!r}; expected one of {sorted(AUGMENTATIONS)}")
        self.augmentations, self.ratio, self.tau = tuple(augmentations), ratio, tau
        self.proj = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))

    def _view(self, encoder: nn.Module, b: GraphBatch) -> torch.Tensor:
        name = self.augmentations[int(torch.randint(len(self.augmentations), ()))]
        x, ei = AUGMENTATIONS[name](b, self.ratio)
        return self.proj(encoder(b, x=x, edge_index=ei)[0])

    def forward(self, encoder: nn.Module, b: GraphBatch) -> torch.Tensor:
        return nt_xent(self._view(encoder, b), self._view(encoder, b), self.tau)


PRETRAINERS: dict[str, Callable[..., nn.Module]] = {"infograph": InfoGraphLoss,
                                                    "graphcl": GraphCLLoss}


def pretrain_encoder(encoder: nn.Module, objective: nn.Module,
                     batcher: Callable[[np.ndarray], GraphBatch], ids: np.ndarray, *,
                     epochs: int, lr: float, batch_size: int, rng: np.random.Generator,
                     weight_decay: float = 0.0) -> dict:
    """Train ``encoder`` (with ``objective``'s own heads) on graphs ``ids`` without labels for
    ``epochs`` epochs; returns a summary (losses per epoch, seconds)."""
    params = list(encoder.parameters()) + list(objective.parameters())
    opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    losses, t0 = [], time.perf_counter()
    encoder.train()
    objective.train()
    for epoch in range(epochs):
        order = ids[rng.permutation(ids.shape[0])]
        total, seen = 0.0, 0
        for chunk in batches(order, batch_size, drop_single=True):
            loss = objective(encoder, batcher(chunk))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * chunk.shape[0]
            seen += chunk.shape[0]
        # the mean over the graphs trained on (a trailing single graph is dropped)
        losses.append(total / max(seen, 1))
        logging.getLogger(__name__).info("pre-training epoch %d/%d: loss %.4f", epoch + 1,
                                         epochs, losses[-1])
    return {"pretrain_loss": losses, "pretrain_seconds": time.perf_counter() - t0}
