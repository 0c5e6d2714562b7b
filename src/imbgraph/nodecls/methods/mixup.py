"""``mixup``: node Mixup, the "MIX" baseline of IceBerg's table (Li et al., "IceBerg: Debiased
Self-Training for Class-Imbalanced Node Classification", WWW 2025; public code
ZhixunLEE/IceBerg, ``trainer.py`` ``Trainer.mixup`` with ``baselines/gens.py``). The same step
is the warm-up of GraphENS (:mod:`.graphens`) and GraphSHA (:mod:`.graphsha`), whose codes
IceBerg's is taken from; the pieces the three share live here.

One training step (``Trainer.mixup``):

1. pairs (:func:`sample_pairs`, GraphENS's ``sampling_idx_individual_dst``): every class c
   gets ``max_k n_k - n_c`` synthetic nodes (the training classes become balanced); each one's
   *source* is drawn uniformly, with replacement, from class c's training nodes, its *target*
   from all training nodes, a node of class k with probability proportional to
   ``log(n_k) / n_k`` (a class of one node is never a target); pairs sorted by source id;
2. features: ``lam x_src + (1 - lam) x_dst`` with ``lam ~ Beta(2, 2)`` per synthetic node
   (``saliency_mixup`` without a saliency map);
3. label: the source's, as is (the codes mix no labels);
4. edges (``duplicate_neighbor``): every in-edge of the source is copied into the synthetic
   node, one way only (neighbour -> synthetic node): synthetic nodes receive messages and
   send none, so the real nodes' outputs are those of the plain graph;
5. loss: the method's criterion over the training and the synthetic nodes (class weights,
   when the loss sets them, weigh both alike).

This is not GraphMixup (Wu et al.) nor a soft-label mixup: IceBerg's "MIX" row is the code
above. The synthetic rows are appended after the first layer's linear map (the map commutes
with the mixing; :class:`MixDraw`), as the over-sampling methods append theirs.

Takes add-ons (TAM): IceBerg's ``Trainer`` applies TAM's ``adjust_output`` on the augmented
graph, the synthetic nodes counted as training nodes (TAM's ``main_ens.py`` likewise for
GraphENS); :func:`mixed_loss` gives the add-ons that graph.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
import torch

from imbgraph.nodecls.adjacency import Adjacency
from imbgraph.nodecls.methods.base import BalancedModel, Batch, MethodInputs
from imbgraph.nodecls.models import GNN

__all__ = ["MixDraw", "MixedBalancedModel", "Mixup", "build", "copy_in_edges",
           "gumbel_topk", "mixed_loss", "sample_pairs", "synthetic_into"]


@dataclass
class MixDraw:
    """Synthetic nodes of one step, each a mix of a source and a target node (m of them).

    src, dst : (m,) int64 node ids
    lam : (m, 1) weight of the source's features
    label : (m,) int64 class of each synthetic node (its source's)
    x : (n, d) the raw features (read by the feature mask)
    mask_idx : (m, K) int64 features taken whole from the source (GraphENS's saliency mask),
        or None
    mask_valid : (m, K) bool, which entries of ``mask_idx`` count (distinct features)
    on_grad : called with the gradient of the real rows of the first layer's input (or of
        its projection) and the layer's maps, when given (GraphENS's saliency)

    The GNN calls :meth:`append` on its first layer's input: the raw features (narrow input,
    ``weights`` None) or their projection ``x W^T`` (wide input, ``weights`` = W's).
    """

    src: torch.Tensor
    dst: torch.Tensor
    lam: torch.Tensor
    label: torch.Tensor
    x: torch.Tensor | None = None
    mask_idx: torch.Tensor | None = None
    mask_valid: torch.Tensor | None = None
    on_grad: Callable[[torch.Tensor, torch.Tensor | None], None] | None = None

    def __len__(self) -> int:
        return int(self.src.shape[0])

    def _masked(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(rows, features, (1 - lam)(x_src - x_dst) there) of the valid mask entries."""
        r, k = torch.nonzero(self.mask_valid, as_tuple=True)
        f = self.mask_idx[r, k]
        diff = self.x[self.src[r], f] - self.x[self.dst[r], f]
        return r, f, (1.0 - self.lam[r, 0]).to(diff.dtype) * diff

    def rows(self, h: torch.Tensor) -> torch.Tensor:
        """(m, d) mixed rows of ``h`` (the raw features): ``lam h_src + (1 - lam) h_dst``,
        the masked features the source's."""
        lam = self.lam.to(h.dtype)
        out = lam * h[self.src] + (1.0 - lam) * h[self.dst]
        if self.mask_idx is not None:
            r, f, v = self._masked()
            out = out.index_put((r, f), v.to(out.dtype), accumulate=True)
        return out

    def append(self, h: torch.Tensor, weights: list[torch.Tensor] | None) -> torch.Tensor:
        lam = self.lam.to(h.dtype)
        mixed = lam * h[self.src] + (1.0 - lam) * h[self.dst]
        if self.mask_idx is not None:
            r, f, v = self._masked()
            if weights is None:
                mixed = mixed.index_put((r, f), v.to(mixed.dtype), accumulate=True)
            else:  # the masked features' share, through the layer's map: sum_f v W[:, f]
                w = torch.cat(weights) if len(weights) > 1 else weights[0]
                corr = torch.zeros_like(mixed).index_add(0, r, v.to(h.dtype)[:, None] * w.t()[f])
                mixed = mixed + corr
        real = h
        if self.on_grad is not None and torch.is_grad_enabled():
            # a separate node for the real rows: its gradient is the loss's through them only
            # (the codes' saliency: the gradient of new_x[:n], new_x a leaf)
            real = h.clone() if h.requires_grad else h.detach().requires_grad_()
            w = None
            if weights is not None:
                w = (torch.cat(weights) if len(weights) > 1 else weights[0]).detach().clone()
            real.register_hook(lambda g, w=w: self.on_grad(g, w))
        return torch.cat([real, mixed])


@torch.no_grad()
def sample_pairs(y: torch.Tensor, train: torch.Tensor,
                 counts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """GraphENS's ``sampling_idx_individual_dst``: (src, dst) (m,) node ids with
    ``max(counts) - counts[c]`` sources of every class c (uniform with replacement over its
    training nodes) and targets over all training nodes, a node of class k with probability
    ``log(n_k) / n_k``; sorted by source (stable)."""
    device = train.device
    need = (counts.max() - counts).tolist()
    y_train = y[train]
    srcs, pool, weight = [], [], []
    for c, m in enumerate(need):
        nodes = train[y_train == c]
        k = nodes.shape[0]
        if k == 0:
            continue
        pool.append(nodes)
        weight.append(torch.full((k,), float(np.log(k) / k), device=device))
        if m > 0:
            srcs.append(nodes[torch.randint(k, (int(m),), device=device)])
    if not srcs:
        empty = torch.zeros(0, dtype=torch.long, device=device)
        return empty, empty
    src = torch.cat(srcs)
    prob = torch.cat(weight)
    if float(prob.sum()) <= 0:  # every class has one node: no target has weight (the code
        raise ValueError("GraphENS pairs: every class has a single training node, so no "
                         "target has probability log(n_k) / n_k > 0")
    dst = torch.cat(pool)[torch.multinomial(prob, src.shape[0], replacement=True)]
    src, order = torch.sort(src, stable=True)
    return src, dst[order]


def copy_in_edges(adj: Adjacency, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``duplicate_neighbor``'s edges: (synthetic position j, real node u) for every
    in-neighbour u of ``src[j]``."""
    return adj.neighbors(src)


def synthetic_into(adj: Adjacency, m: int, j: torch.Tensor, u: torch.Tensor) -> Adjacency:
    """``adj`` with m appended nodes and the edges u -> n + j (into the synthetic nodes
    only, as the codes' ``inv_edge_index``)."""
    return adj.augment(adj.num_nodes + m, u, adj.num_nodes + j, both=False)


def gumbel_topk(group: torch.Tensor, weight: torch.Tensor, k: torch.Tensor,
                num_groups: int) -> torch.Tensor:
    """Sampling without replacement: for each group g, ``k[g]`` of its items drawn one after
    another with probability proportional to ``weight`` among those left (torch.multinomial
    without replacement), as the ``k[g]`` largest ``log w + Gumbel`` keys. ``group`` (E,)
    sorted or not, ``weight`` (E,) > 0. Returns a bool mask (E,) of the drawn items (all of a
    group's items when it has at most ``k[g]``)."""
    if group.numel() == 0:
        return torch.zeros(0, dtype=torch.bool, device=group.device)
    u = torch.rand(weight.shape[0], device=weight.device).clamp_min(1e-20)
    key = weight.log() - torch.log(-torch.log(u))
    order = torch.argsort(key, descending=True)
    order = order[torch.argsort(group[order], stable=True)]
    g = group[order]
    start = torch.cumsum(torch.bincount(g, minlength=num_groups), 0)
    first = start - torch.bincount(g, minlength=num_groups)
    rank = torch.arange(g.shape[0], device=g.device) - first[g]
    keep = torch.zeros_like(group, dtype=torch.bool)
    keep[order] = rank < k[g]
    return keep


class _WithSynthetic:
    """The augmented :class:`Adjacency` as TAM's neighbour label distribution reads it: its
    ``deg`` is every row's in-degree (synthetic nodes' included; an Adjacency's ``deg``
    covers its real rows only); everything else is the Adjacency's."""

    def __init__(self, adj: Adjacency) -> None:
        self._adj = adj
        self.deg = adj.degree()

    def __getattr__(self, name: str):
        return getattr(self._adj, name)


def mixed_loss(model: BalancedModel, logits: torch.Tensor, batch: Batch, adj: Adjacency,
               label: torch.Tensor) -> torch.Tensor:
    """The criterion over the training nodes and the m synthetic nodes appended to
    ``logits`` (n + m, C) with labels ``label`` (m,); with add-ons (TAM), their adjustment of
    those rows on the augmented graph ``adj``, the synthetic nodes counted as training nodes
    (TAM's ``main_ens.py``, IceBerg's ``adjust_output`` on ``new_edge_index``)."""
    n, m = batch.num_nodes, label.shape[0]
    nodes = torch.cat([batch.train, n + torch.arange(m, device=label.device)])
    y = torch.cat([batch.y, label])
    if len(model.addons):
        aug = replace(batch, adj=_WithSynthetic(adj), y=y, train=nodes)
        rows = model.train_logits(logits, aug)
    else:
        rows = logits[nodes]
    return model._ce(rows, y[nodes], batch)


class MixedBalancedModel(BalancedModel):
    """What Mixup, GraphENS and GraphSHA share: a step counter (reset with the parameters),
    the training counts, and the real nodes' logits of the last training step.

    Shapes:
        - **forward:** (N, d), Adjacency -> logits (N, C)
        - **loss:** Batch -> scalar (training and synthetic nodes)
    """

    def __init__(self, gnn: GNN, criterion, train_counts: torch.Tensor) -> None:
        super().__init__(gnn, criterion)
        self.register_buffer("train_counts", torch.as_tensor(train_counts, dtype=torch.long))
        self.steps = 0
        self.prev_logits: torch.Tensor | None = None
        self.last_draw: MixDraw | None = None
        self.last_adj: Adjacency | None = None

    def reset_parameters(self) -> None:
        super().reset_parameters()
        self.steps, self.prev_logits = 0, None

    def mixup_draw(self, batch: Batch, a: float = 2.0,
                   b: float = 2.0) -> tuple[MixDraw, Adjacency]:
        """The Mixup step's draw and graph (GraphENS's and GraphSHA's warm-up)."""
        src, dst = sample_pairs(batch.y, batch.train, self.train_counts)
        lam = torch.distributions.Beta(a, b).sample((src.shape[0],)).unsqueeze(1)
        draw = MixDraw(src, dst, lam.to(batch.x.device), batch.y[src], x=batch.x)
        j, u = copy_in_edges(batch.adj, src)
        return draw, synthetic_into(batch.adj, len(draw), j, u)

    def draw(self, batch: Batch) -> tuple[MixDraw, Adjacency]:
        raise NotImplementedError

    def loss(self, batch: Batch) -> torch.Tensor:
        if self.training:
            self.steps += 1
        draw, adj = self.draw(batch)
        logits = self.gnn(batch.x, adj, synthetic=draw)
        self.prev_logits = logits[: batch.num_nodes].detach()
        self.last_draw, self.last_adj = draw, adj
        return mixed_loss(self, logits, batch, adj, draw.label)


class Mixup(MixedBalancedModel):
    """IceBerg's "MIX": balanced Mixup of training nodes with copied in-edges (module
    docstring).

    Shapes:
        - **forward:** (N, d), Adjacency -> logits (N, C)
        - **loss:** Batch -> scalar (training and synthetic nodes)
    """

    def draw(self, batch: Batch) -> tuple[MixDraw, Adjacency]:
        return self.mixup_draw(batch)


def build(inputs: MethodInputs) -> Mixup:
    return Mixup(inputs.backbone(), inputs.criterion,
                 torch.as_tensor(inputs.train_counts(), dtype=torch.long))
