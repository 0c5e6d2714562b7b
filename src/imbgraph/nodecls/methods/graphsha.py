"""``graphsha``: GraphSHA (Li, Wang, Xiong and Lai, "GraphSHA: Synthesizing Harder Samples for
Class-Imbalanced Node Classification", KDD 2023; public code wenzhilics/GraphSHA, ``main.py``
with ``gens.py`` and ``neighbor_dist.py``).

GraphSHA synthesises *hard* minority nodes that sit on the border towards a neighbouring
class, and links them so that they receive messages from the minority side only (SemiMixup).
After the warm-up (the code's ``epoch > warmup`` with epochs counted from 0: the first
``warmup + 1`` steps) a step is (``sampling_node_source``, ``neighbor_sampling``):

1. amounts: class c gets ``int(goal - n_c)`` synthetic nodes when positive, ``goal`` the mean
   training class size (``target: mean``, the code's default) or the largest (``max``);
2. with ``p = softmax(z / tau)`` of the previous step's logits of the training nodes, the
   *anchor* (source) of each synthetic node of class c is drawn with replacement from class
   c's training nodes with probability proportional to its hardness ``1 - p_c`` (+1e-12);
   the *neighbouring class* from the anchor's ``p`` with its own class zeroed (+1e-12;
   ``mask_own_class``, the code's default, else not zeroed); the *auxiliary* node (target)
   from that class's training nodes with probability proportional to ``p_c`` (+1e-12), their
   confidence in the anchor's class;
3. SemiMixup features ``lam x_anchor + (1 - lam) x_aux`` with ``lam ~ Beta(beta_a, beta_b)``
   (the code: Beta(1, 100)); label: the anchor's class;
4. SemiMixup edges: from the anchor's PPR-based 1-hop subgraph only: a degree is drawn from
   the degree histogram of all nodes and capped at the anchor's degree, and that many nodes
   without replacement with probability proportional to their PPR weight
   (:func:`~.mixup.gumbel_topk`), each linked into the synthetic node only (it receives
   messages from the anchor's side and sends none);
5. loss: the criterion over training and synthetic nodes.

Warm-up steps are :mod:`.mixup`'s step (Beta(2, 2), every class up to the largest, the
source's in-edges copied). PPR (the code's ``get_PPR_adj``, GDC): ``alpha (I - (1 - alpha)
D^-1/2 (A + I) D^-1/2)^-1`` with alpha 0.05, top-k 128 (:func:`imbgraph.nodecls.ppr.
ppr_columns`, only the anchors' columns, sparse; ``ppr_max_mb`` bounds its memory and a run
that would need more stops at start-up naming the method's key). Defaults are the code's:
``tau`` 2, ``warmup`` 5, ``target`` mean, ``mask_own_class`` true, Beta(1, 100), PPR alpha 0.05
and k 128.

Differences: the code builds the dense N x N PPR matrix, keeps each *column's* 128 largest
entries, normalises the columns and reads the anchor's *row*; that row needs every column
(an N x N computation), so here the anchor's own top-128 PPR entries are used (its column,
which by the symmetry of the PPR matrix is its row before sparsification), with weights the
PPR values themselves (no column normalisation). The code's ``+ 1e-12`` on every node lets
a draw leave the top-k only once the capped degree exceeds the entries left; here the degree
is capped at the anchor's non-zero top-k entries as well.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from imbgraph.nodecls.adjacency import Adjacency
from imbgraph.nodecls.methods.base import Batch, MethodInputs
from imbgraph.nodecls.methods.graphens import degree_histogram
from imbgraph.nodecls.methods.mixup import (
    MixDraw,
    MixedBalancedModel,
    gumbel_topk,
    synthetic_into,
)
from imbgraph.nodecls.models import GNN
from imbgraph.nodecls.ppr import ppr_columns

__all__ = ["GraphSHA", "PPRNeighbourhoods", "TARGETS", "anchor_nodes", "build", "hard_pairs",
           "ppr_neighbors", "synthesis_counts"]

#: how many nodes a class is raised towards: the mean training class size or the largest
TARGETS = ("mean", "max")


def synthesis_counts(counts: np.ndarray, target: str = "mean") -> np.ndarray:
    """(C,) synthetic nodes per class: ``int(goal - n_c)`` where positive, else 0."""
    counts = np.asarray(counts, dtype=np.int64)
    goal = counts.max() if target == "max" else counts.sum() / counts.shape[0]
    return np.array([max(int(goal - c), 0) for c in counts], dtype=np.int64)


def anchor_nodes(train: np.ndarray, y: np.ndarray, num_classes: int,
                 target: str = "mean") -> np.ndarray:
    """The training nodes that can be anchors: those of the classes that get synthetic
    nodes (their PPR columns are all GraphSHA reads), sorted."""
    train = np.asarray(train, dtype=np.int64)
    counts = np.bincount(np.asarray(y)[train], minlength=num_classes)
    grow = synthesis_counts(counts, target) > 0
    return np.sort(train[grow[np.asarray(y)[train]]])


class PPRNeighbourhoods:
    """The anchors' top-k PPR entries as torch tensors: for anchor ``a``, nodes
    ``nodes[ptr[c]:ptr[c + 1]]`` with weights ``vals[...]``, ``c = col[a]`` (non-zero entries
    only)."""

    def __init__(self, anchors: np.ndarray, ppr, n: int) -> None:
        m = sp.csc_matrix(ppr)
        m.eliminate_zeros()
        m.sort_indices()
        col = np.full(n, -1, dtype=np.int64)
        col[np.asarray(anchors, dtype=np.int64)] = np.arange(len(anchors))
        self.col = torch.as_tensor(col)
        self.ptr = torch.as_tensor(m.indptr.astype(np.int64))
        self.nodes = torch.as_tensor(m.indices.astype(np.int64))
        self.vals = torch.as_tensor(m.data, dtype=torch.float64)

    def to(self, device) -> "PPRNeighbourhoods":
        for k in ("col", "ptr", "nodes", "vals"):
            setattr(self, k, getattr(self, k).to(device))
        return self

    def of(self, anchors: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(position j in ``anchors``, node, PPR weight) of each anchor's entries."""
        c = self.col[anchors]
        if bool((c < 0).any()):
            raise ValueError("GraphSHA: an anchor without PPR entries (not a training node "
                             "of a class that gets synthetic nodes)")
        start, stop = self.ptr[c], self.ptr[c + 1]
        counts = stop - start
        owner = torch.repeat_interleave(torch.arange(anchors.shape[0], device=anchors.device),
                                        counts)
        first = torch.cumsum(counts, 0) - counts
        idx = start[owner] + torch.arange(owner.shape[0], device=anchors.device) - first[owner]
        return owner, self.nodes[idx], self.vals[idx]


@torch.no_grad()
def hard_pairs(prev_train: torch.Tensor, y_train: torch.Tensor, train: torch.Tensor,
               counts: torch.Tensor, *, tau: float = 2.0, target: str = "mean",
               mask_own_class: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """The code's ``sampling_node_source``: (anchor, auxiliary) (m,) node ids.

    prev_train : (L, C) the previous step's logits of the training nodes ``train`` (L,)
    y_train : (L,) their labels
    counts : (C,) training nodes per class
    """
    p = torch.softmax(prev_train / tau, dim=1)
    need = synthesis_counts(counts.cpu().numpy(), target)
    srcs, dsts = [], []
    for c in np.flatnonzero(need):
        num = int(need[c])
        members = torch.nonzero(y_train == int(c)).flatten()
        hard = 1.0 - p[members, int(c)]
        anchor = members[torch.multinomial(hard + 1e-12, num, replacement=True)]
        conf = p[anchor].clone()
        if mask_own_class:
            conf[:, int(c)] = 0.0
        ncls = torch.multinomial(conf + 1e-12, 1).flatten()
        w = (p[:, int(c)] + 1e-12)[None, :] * (y_train[None, :] == ncls[:, None]).to(p.dtype)
        aux = torch.multinomial(w, 1).flatten()
        srcs.append(train[anchor])
        dsts.append(train[aux])
    if not srcs:
        empty = torch.zeros(0, dtype=torch.long, device=train.device)
        return empty, empty
    return torch.cat(srcs), torch.cat(dsts)


@torch.no_grad()
def ppr_neighbors(ppr: PPRNeighbourhoods, adj: Adjacency, src: torch.Tensor,
                  degree_hist: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The synthetic nodes' neighbours (the code's ``neighbor_sampling`` on the PPR graph):
    (position j, real node u) pairs, ``min(d ~ degree_hist, deg(src_j))`` (at most the
    anchor's entries) per synthetic node, drawn without replacement in proportion to the
    anchor's PPR weights."""
    m = src.shape[0]
    j, u, w = ppr.of(src)
    draw = torch.multinomial(degree_hist.double(), m, replacement=True) if m else \
        torch.zeros(0, dtype=torch.long, device=src.device)
    k = torch.minimum(draw, adj.deg[src].long())
    keep = gumbel_topk(j, w, k, m)
    return j[keep], u[keep]


class GraphSHA(MixedBalancedModel):
    """GraphSHA (see the module docstring).

    Args:
        gnn: the backbone.
        criterion: ``(logits, target, class_weight) -> scalar``.
        train_counts: (C,) training nodes per class.
        degree_hist: (D + 1,) how many nodes have each in-degree 0..D.
        ppr: the anchors' top-k PPR entries.
        tau: softmax temperature of the hardness (code: 2). warmup: the code's 5 (its
            epochs count from 0: warmup + 1 Mixup steps). target: ``mean`` or ``max``.
        mask_own_class: zero the anchor's class when drawing the neighbouring class.
        beta_a, beta_b: lam ~ Beta(beta_a, beta_b), the anchor's share (code: 1, 100).

    Shapes:
        - **forward:** (N, d), Adjacency -> logits (N, C)
        - **loss:** Batch -> scalar (training and synthetic nodes)
    """

    def __init__(self, gnn: GNN, criterion, train_counts: torch.Tensor,
                 degree_hist: torch.Tensor, ppr: PPRNeighbourhoods, *, tau: float = 2.0,
                 warmup: int = 5, target: str = "mean", mask_own_class: bool = True,
                 beta_a: float = 1.0, beta_b: float = 100.0) -> None:
        super().__init__(gnn, criterion, train_counts)
        if target not in TARGETS:
            raise ValueError(f"target = {target!r}; expected one of {TARGETS}")
        self.register_buffer("degree_hist", torch.as_tensor(degree_hist))
        self.ppr = ppr
        self.tau, self.warmup, self.target = float(tau), int(warmup), target
        self.mask_own_class = bool(mask_own_class)
        self.beta_a, self.beta_b = float(beta_a), float(beta_b)

    def draw(self, batch: Batch) -> tuple[MixDraw, Adjacency]:
        if self.steps - 1 <= self.warmup or self.prev_logits is None:
            return self.mixup_draw(batch)
        if self.ppr.ptr.device != batch.x.device:
            self.ppr.to(batch.x.device)
        train = batch.train
        src, dst = hard_pairs(self.prev_logits[train], batch.y[train], train,
                              self.train_counts, tau=self.tau, target=self.target,
                              mask_own_class=self.mask_own_class)
        lam = torch.distributions.Beta(self.beta_a, self.beta_b).sample((src.shape[0],))
        j, u = ppr_neighbors(self.ppr, batch.adj, src, self.degree_hist)
        adj = synthetic_into(batch.adj, src.shape[0], j, u)
        return MixDraw(src, dst, lam.unsqueeze(1).to(batch.x.device), batch.y[src],
                       x=batch.x), adj


def build(inputs: MethodInputs) -> GraphSHA:
    p, graph, split = inputs.params, inputs.graph, inputs.split
    target = str(p["target"])
    anchors = anchor_nodes(split.train, graph.y, graph.num_classes, target)
    topk = None if p.get("ppr_topk") is None else int(p["ppr_topk"])
    cols = ppr_columns(graph.adjacency(), anchors, alpha=float(p["ppr_alpha"]),
                       tol=float(p["ppr_tol"]), topk=topk, max_mb=float(p["ppr_max_mb"]),
                       key=f"{inputs.key}.balancing")
    return GraphSHA(inputs.backbone(), inputs.criterion,
                    torch.as_tensor(inputs.train_counts(), dtype=torch.long),
                    degree_histogram(graph), PPRNeighbourhoods(anchors, cols, graph.num_nodes),
                    tau=float(p["tau"]), warmup=int(p["warmup"]), target=target,
                    mask_own_class=bool(p["mask_own_class"]), beta_a=float(p["beta_a"]),
                    beta_b=float(p["beta_b"]))
