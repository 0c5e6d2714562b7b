"""``graphens``: GraphENS (Park, Song and Yang, "GraphENS: Neighbor-Aware Ego Network Synthesis
for Class-Imbalanced Node Classification", ICLR 2022; public code JoonHyung-Park/GraphENS,
``main_semi.py`` / ``main_lt.py`` with ``models/gens.py``).

Every step synthesises ego networks that balance the training classes: each class c gets
``max_k n_k - n_c`` synthetic nodes (so training plus synthetic nodes count ``max_k n_k`` per
class; :func:`~.mixup.sample_pairs`, the code's ``sampling_idx_individual_dst``: a source of
class c uniformly from its training nodes, a target among all training nodes with
probability ``log(n_k) / n_k`` for a node of class k), labelled with the source's class.
After the warm-up (the code's ``epoch > warmup``, epochs counted from 1: the first
``warmup`` steps) a step is:

1. *neighbour sampling* (``neighbor_sampling``): the previous step's logits of the real
   nodes, averaged over each node's closed neighbourhood (``MeanAggregation``: self loop
   added) and softened, ``p = softmax(z / pred_temp)``; ``kl = KL(p_src || p_dst)``
   (``get_dist_kl``, clamped at 0); the synthetic node's neighbour distribution is
   ``s A_src + (1 - s) A_dst`` with ``s = 1 / (1 + exp(-kl))`` (``softmax([0, -kl])``) and
   ``A_v`` uniform over v's in-neighbours; its degree is drawn from the degree histogram of
   all nodes and capped at the source's degree; that many neighbours are drawn without
   replacement (:func:`~.mixup.gumbel_topk`), each linked into the synthetic node only;
2. *saliency-based mixing* (``saliency_mixup``): ``lam ~ Beta(2, 2)``, features ``lam x_src
   + (1 - lam) x_dst`` except ``K' = max(int(sigmoid(kl / 3) K), 1)`` features,
   ``K = int(d keep_prob)``, which are the source's: drawn without replacement with
   probability proportional to ``|saliency_dst| + 1e-10`` (normalised per row), the
   saliency being the gradient of the previous step's loss with respect to the input
   features of the real nodes (the code's backward hook on the first layer);
3. loss: the criterion over training and synthetic nodes (TAM, as an add-on, on the
   augmented graph: TAM's ``main_ens.py``).

Warm-up steps are :mod:`.mixup`'s step (source's in-edges copied, no saliency mask).
Defaults are the code's: ``keep_prob`` 0.01, ``pred_temp`` 2, ``warmup`` 1 (BAT's and TAM's
copies of the code use 5, IceBerg's script 10).

Differences, none of which changes the distribution of what is drawn: the code's dense
N x N neighbour distribution (``get_ins_neighbor_dist``) is the sparse adjacency here, and the
code's ``multinomial(dist + 1e-12, max_degree)`` over all N nodes is a draw over the union
of the source's and the target's in-neighbours, which holds at least the source's degree
(the 1e-12 floor only matters past that). Where ``d keep_prob < 1`` (K = 0) the code fails
(``mask_idx[:, 0]`` of an empty draw); here no feature is masked (plain mixing). The
saliency is ``(dL/d(x W^T)) W`` of the real rows, the gradient the code's hook reads,
computed only for the targets' rows.
"""

from __future__ import annotations

import torch

from imbgraph.nodecls.adjacency import Adjacency
from imbgraph.nodecls.methods.base import Batch, MethodInputs
from imbgraph.nodecls.methods.mixup import (
    MixDraw,
    MixedBalancedModel,
    gumbel_topk,
    sample_pairs,
    synthetic_into,
)
from imbgraph.nodecls.methods.tam import neighbor_label_distribution
from imbgraph.nodecls.models import GNN

__all__ = ["GraphENS", "build", "ego_neighbors", "neighbor_kl", "saliency_mask"]


@torch.no_grad()
def neighbor_kl(prev_logits: torch.Tensor, adj: Adjacency, src: torch.Tensor,
                dst: torch.Tensor, temperature: float) -> torch.Tensor:
    """(m, 1) ``KL(p_src || p_dst)`` clamped at 0, with ``p = softmax(mean over the closed
    neighbourhood of the logits / temperature)`` (the code's ``get_dist_kl`` after
    ``MeanAggregation``)."""
    nodes = torch.cat([src, dst])
    p = torch.softmax(neighbor_label_distribution(prev_logits, adj, nodes) / temperature, 1)
    ps, pd = p[: src.shape[0]], p[src.shape[0]:]
    kl = (ps * (ps.log() - pd.log())).sum(1, keepdim=True)
    return kl.clamp_min(0.0)


@torch.no_grad()
def ego_neighbors(adj: Adjacency, src: torch.Tensor, dst: torch.Tensor, kl: torch.Tensor,
                  degree_hist: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The synthetic nodes' neighbours (the code's ``neighbor_sampling``): (position j,
    real node u) pairs, at most one per (j, u), ``deg_j = min(d ~ degree_hist, deg(src_j))``
    of them per synthetic node, drawn without replacement from ``s A_src + (1 - s) A_dst``,
    ``s = sigmoid(kl)``."""
    m, n, dev = src.shape[0], adj.n, src.device
    s = torch.sigmoid(kl.flatten())
    deg = adj.deg.to(torch.float64)
    o1, u1 = adj.neighbors(src)
    o2, u2 = adj.neighbors(dst)
    w = torch.cat([s[o1].double() / deg[src][o1], (1 - s[o2]).double() / deg[dst][o2]])
    key, inv = torch.unique(torch.cat([o1, o2]) * n + torch.cat([u1, u2]), return_inverse=True)
    weight = torch.zeros(key.shape[0], dtype=torch.float64, device=dev).index_add(0, inv, w)
    draw = torch.multinomial(degree_hist.double(), m, replacement=True) if m else \
        torch.zeros(0, dtype=torch.long, device=dev)
    k = torch.minimum(draw, adj.deg[src].long())
    j = key // n
    keep = gumbel_topk(j, weight, k, m)
    return j[keep], (key % n)[keep]


@torch.no_grad()
def saliency_mask(saliency: torch.Tensor, kl: torch.Tensor,
                  keep_prob: float) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The features each synthetic node takes from its source (``saliency_mixup``):
    ``mask_idx`` (m, K), K = int(d keep_prob) features drawn without replacement with
    probability proportional to ``|saliency| + 1e-10`` (row-normalised), and ``mask_valid``
    (m, K): the first ``max(int(sigmoid(kl / 3) K), 1)`` of them (the code points the rest at
    the first). None when K = 0.

    saliency : (m, d) the targets' saliency rows
    kl : (m, 1) ``KL(p_src || p_dst)``
    """
    d = saliency.shape[1]
    k = int(d * keep_prob)
    if k == 0:
        return None
    prob = saliency.abs() + 1e-10
    prob = prob / prob.sum(1, keepdim=True)
    idx = torch.multinomial(prob, k)
    keep = (torch.sigmoid(kl / 3.0) * k).long().flatten()
    valid = torch.arange(k, device=idx.device)[None, :] < keep[:, None]
    valid[:, 0] = True
    return idx, valid


class GraphENS(MixedBalancedModel):
    """GraphENS (see the module docstring).

    Args:
        gnn: the backbone.
        criterion: ``(logits, target, class_weight) -> scalar``.
        train_counts: (C,) training nodes per class.
        degree_hist: (D + 1,) how many nodes have each in-degree 0..D.
        keep_prob: K / d (code: 0.01). pred_temp: the softmax temperature (code: 2).
        warmup: Mixup steps first (code: 1).

    Shapes:
        - **forward:** (N, d), Adjacency -> logits (N, C)
        - **loss:** Batch -> scalar (training and synthetic nodes)
    """

    def __init__(self, gnn: GNN, criterion, train_counts: torch.Tensor,
                 degree_hist: torch.Tensor, *, keep_prob: float = 0.01,
                 pred_temp: float = 2.0, warmup: int = 1) -> None:
        super().__init__(gnn, criterion, train_counts)
        self.register_buffer("degree_hist", torch.as_tensor(degree_hist))
        self.keep_prob, self.pred_temp, self.warmup = float(keep_prob), float(pred_temp), \
            int(warmup)
        self._grad: tuple[torch.Tensor, torch.Tensor, torch.Tensor | None] | None = None

    def reset_parameters(self) -> None:
        super().reset_parameters()
        self._grad = None

    def _grad_keeper(self, train: torch.Tensor):
        """The hook of one step: keep the gradient rows of that step's training nodes, the
        only possible targets: the split's, plus BAT's virtual nodes n + c when BAT rewrites
        the graph (their ids and classes are the same at every step)."""
        ids = torch.sort(train).values

        def keep(g: torch.Tensor, w: torch.Tensor | None) -> None:
            self._grad = (ids, g[ids].detach(), w)
        return keep

    def saliency(self, nodes: torch.Tensor) -> torch.Tensor | None:
        """(m, d) the last step's loss gradient in the input features of ``nodes``
        (training nodes), or None before the first backward pass. A node that was not a
        training node of the last step (a BAT virtual node after a plain step) gets a zero
        row: no saliency, a uniform feature draw."""
        if self._grad is None:
            return None
        ids, g, w = self._grad
        pos = torch.searchsorted(ids, nodes).clamp_max(ids.shape[0] - 1)
        found = (ids[pos] == nodes).to(g.dtype)[:, None]
        rows = g[pos] * found
        return rows if w is None else rows @ w

    def draw(self, batch: Batch) -> tuple[MixDraw, Adjacency]:
        if self.steps <= self.warmup or self.prev_logits is None:
            draw, adj = self.mixup_draw(batch)
            draw.on_grad = self._grad_keeper(batch.train)
            return draw, adj
        src, dst = sample_pairs(batch.y, batch.train, self.train_counts)
        lam = torch.distributions.Beta(2.0, 2.0).sample((src.shape[0],)).unsqueeze(1)
        kl = neighbor_kl(self.prev_logits, batch.adj, src, dst, self.pred_temp)
        j, u = ego_neighbors(batch.adj, src, dst, kl, self.degree_hist)
        adj = synthetic_into(batch.adj, src.shape[0], j, u)
        sal = self.saliency(dst)
        mask = saliency_mask(sal, kl, self.keep_prob) if sal is not None else None
        draw = MixDraw(src, dst, lam.to(batch.x.device), batch.y[src], x=batch.x,
                       mask_idx=None if mask is None else mask[0],
                       mask_valid=None if mask is None else mask[1],
                       on_grad=self._grad_keeper(batch.train))
        return draw, adj


def degree_histogram(graph) -> torch.Tensor:
    """(D + 1,) float nodes per in-degree (the code's ``degree_dist`` over all nodes)."""
    deg = torch.bincount(torch.as_tensor(graph.edge_index[1]), minlength=graph.num_nodes)
    return torch.bincount(deg).to(torch.float32)


def build(inputs: MethodInputs) -> GraphENS:
    p = inputs.params
    return GraphENS(inputs.backbone(), inputs.criterion,
                    torch.as_tensor(inputs.train_counts(), dtype=torch.long),
                    degree_histogram(inputs.graph),
                    keep_prob=float(p["keep_prob"]), pred_temp=float(p["pred_temp"]),
                    warmup=int(p["warmup"]))
