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

:func:`pretrain_embeddings` is the whole pre-training of one run: seeded by itself, it returns
the frozen encoder's embedding of every graph, a function of (collection, split, pre-training
spec, seed) only. The pipeline caches it once per (dataset, split, spec, seed)
(``pretrain_graphcls``), so the rows that differ only in the head's balance (-up, -rw) share it;
:mod:`imbgraph.graphcls.methods.pretrained` computes it inline when not given.
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
from imbgraph.graphcls.collection import GraphBatch, GraphCollection
from imbgraph.graphcls.methods import METHODS
from imbgraph.graphcls.models import encoder_and_batcher
from imbgraph.graphcls.splits import GraphSplit
from imbgraph.graphcls.train import batches
from imbgraph.training import default_device, seed_everything

__all__ = ["PRETRAINERS", "InfoGraphLoss", "GraphCLLoss", "pretrain_encoder", "jsd_mi_loss",
           "nt_xent", "pretrain_embeddings"]


def _reset_children(module: nn.Module) -> None:
    for m in module.modules():
        if m is not module and isinstance(m, nn.Linear):
            m.reset_parameters()


class _FF(nn.Module):
    """InfoGraph's FF: three Linear-ReLU layers plus a linear shortcut.

    Shapes: (n, dim) -> (n, dim).
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.block = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim), nn.ReLU(),
                                   nn.Linear(dim, dim), nn.ReLU())
        self.shortcut = nn.Linear(dim, dim)

    def reset_parameters(self) -> None:
        _reset_children(self)

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
    """InfoGraph's objective on an encoder's node and graph embeddings, through their own
    feed-forward nets (:func:`jsd_mi_loss`).

    Shapes: (encoder, GraphBatch) -> scalar.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.local, self.glob = _FF(dim), _FF(dim)

    def reset_parameters(self) -> None:
        self.local.reset_parameters()
        self.glob.reset_parameters()

    def forward(self, encoder: nn.Module, b: GraphBatch) -> torch.Tensor:
        g, h = encoder(b)
        return jsd_mi_loss(self.local(h), self.glob(g), b.batch)


class GraphCLLoss(nn.Module):
    """GraphCL's objective: two augmented views of the batch through the encoder and a
    2-layer projection head, NT-Xent at temperature ``tau`` (:func:`nt_xent`).

    Shapes: (encoder, GraphBatch) -> scalar.
    """

    def __init__(self, dim: int, *, augmentations: tuple[str, ...] = ("mask_node", "remove_edge"),
                 ratio: float = 0.2, tau: float = 0.2) -> None:
        super().__init__()
        for a in augmentations:
            if a not in AUGMENTATIONS:
                raise ValueError(f"augmentation {a!r}; expected one of {sorted(AUGMENTATIONS)}")
        self.augmentations, self.ratio, self.tau = tuple(augmentations), ratio, tau
        self.proj = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))

    def reset_parameters(self) -> None:
        _reset_children(self)

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


def pretrain_embeddings(collection: GraphCollection, pe: np.ndarray | None, split: GraphSplit,
                        method: dict, *, seed: int, device: torch.device | str | None = None
                        ) -> tuple[np.ndarray, dict]:
    """Pre-train the encoder of an ``infograph`` / ``graphcl`` method on ``split``'s graphs
    (``params.pretrain.graphs``: ``trainval``, the default, or ``all``) and embed every graph
    of ``collection`` with it, frozen.

    Seeds torch and its own numpy generator with ``seed`` first, so the result is a function
    of (collection, pe, split, ``method``'s kind, model and ``params.pretrain``, seed) only:
    ``method`` may be a resolved method or its
    :func:`~imbgraph.graphcls.config.pretrain_spec` (the rest is not read).

    Returns
    -------
    emb : ndarray (n_graphs, hidden) float32, the graph embeddings (row i: graph i)
    summary : dict with pretrain_loss (per epoch), pretrain_seconds (the training loop),
        pretrain_graphs (how many graphs it trained on) and seconds (all of it)
    """
    t0 = time.perf_counter()
    rng = seed_everything(seed)
    device = torch.device(device) if device is not None else default_device()
    kind = method["kind"]
    if kind not in PRETRAINERS:
        raise ValueError(f"method kind = {kind!r} has no pre-training; expected one of "
                         f"{sorted(PRETRAINERS)}")
    encoder, graph_batch = encoder_and_batcher(dict(method["model"]), collection, pe, device)
    # the kind's declared defaults (the method table's ``pretrain`` block) filled in
    pre = dict(METHODS[kind].settings(method.get("params", {}))["pretrain"])
    pool = pre.pop("graphs")
    pre_ids = (np.arange(collection.num_graphs) if pool == "all"
               else np.unique(np.concatenate([split.train, split.val])))
    epochs, lr = int(pre.pop("epochs")), float(pre.pop("lr"))
    batch_size = int(pre.pop("batch_size"))
    objective = PRETRAINERS[kind](encoder.hidden, **pre)
    encoder.to(device)
    objective.to(device)
    summary = pretrain_encoder(encoder, objective, graph_batch, pre_ids, epochs=epochs, lr=lr,
                               batch_size=batch_size, rng=rng)
    encoder.eval()
    with torch.no_grad():
        every = np.arange(collection.num_graphs)
        emb = torch.cat([encoder(graph_batch(c))[0] for c in
                         np.array_split(every, max(1, every.shape[0] // 512))])
    summary.update({"pretrain_graphs": int(pre_ids.shape[0]),
                    "seconds": time.perf_counter() - t0})
    return emb.detach().cpu().numpy().astype(np.float32, copy=False), summary
