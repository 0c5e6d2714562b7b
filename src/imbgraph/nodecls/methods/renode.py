"""``renode``: ReNode (Chen et al., "Topology-Imbalance Learning for Semi-Supervised Node
Classification", NeurIPS 2021; public code victorchen96/ReNode, ``transductive/``).

A training node whose personalised-PageRank (PPR) influence overlaps the influence of
*other* classes' training nodes sits near a class boundary (topology imbalance); ReNode
down-weights it. With ``Pi`` the PPR matrix (:mod:`imbgraph.nodecls.ppr`: restart
probability alpha, GCN-normalised adjacency with self loops):

1. class influence ``g_c(u) = mean_{w in train_c} Pi[w, u]`` (the code's ``gpr``);
2. conflict (Totoro) of training node v of class y_v: ``T_v = sum_u Pi[v, u]
   sum_{c != y_v} g_c(u)`` (``rn_matrix``);
3. rank the training nodes by T ascending (rank 0: least conflict; ties by node id, as
   Python's stable sort in the code), and weigh node v by cosine annealing of its rank
   ``r_v`` over the L training nodes: ``w_v = w_min + (w_max - w_min) (1 + cos(r_v pi /
   (L - 1))) / 2`` with ``w_min = base_weight`` (0.5) and ``w_max = base_weight +
   scale_weight`` (1.5);
4. loss ``sum_v w_v l_v / L`` with ``l_v`` the per-node cross-entropy, class-weighted when
   the method's loss sets ``class_weights`` (ReNode's "re-weight": w_c = mean class size /
   n_c, our ``inverse``; the paper's and TAM's/BAT's ReNode baseline combine the two). The
   sum is divided by the node count, not by the weights' sum (the code's reduction).

Only the L training columns of ``Pi`` are computed (``Pi`` is symmetric, so rows = columns):
``g = Pi[:, train] M`` with M the (L, C) class-mean matrix and ``T = (Pi[:, train]^T (g 1 1^T
- g))[v, y_v]``, an N x L computation instead of the code's dense N x N inverse. Totoro
values equal to 9 significant digits count as ties (ordered by node id), so the ranking does
not depend on the last bits of the PPR (the code's float32 inverse has no better).
Takes add-ons (TAM on ReNode: TAM's ``main_renode.py``).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from imbgraph.nodecls.methods.base import BalancedModel, Batch, MethodInputs
from imbgraph.nodecls.models import GNN
from imbgraph.nodecls.ppr import ppr_columns

__all__ = ["ReNode", "build", "conflict", "rank_weights", "renode_weights"]

_TIE_DIGITS = 9  # Totoro values equal to this many significant digits are ties


def conflict(ppr_train, y_train: np.ndarray, num_classes: int) -> np.ndarray:
    """(L,) Totoro conflict of each training node.

    ppr_train : (n, L) ``Pi[:, train]``, dense or scipy sparse (top-k)
    y_train : (L,) their labels
    """
    y_train = np.asarray(y_train, dtype=np.int64)
    counts = np.bincount(y_train, minlength=num_classes).astype(np.float64)
    mean = np.zeros((y_train.shape[0], num_classes))
    mean[np.arange(y_train.shape[0]), y_train] = 1.0 / np.maximum(counts, 1.0)[y_train]
    gpr = np.asarray(ppr_train @ mean)                           # (n, C) class influence
    others = gpr.sum(axis=1, keepdims=True) - gpr                # influence of other classes
    rn = np.asarray(ppr_train.T @ others) if sp.issparse(ppr_train) else ppr_train.T @ others
    return rn[np.arange(y_train.shape[0]), y_train]


def rank_weights(values: np.ndarray, base_weight: float, scale_weight: float) -> np.ndarray:
    """(L,) ReNode's cosine-annealed weights of ``values`` ranked ascending (ties, to
    :data:`_TIE_DIGITS` significant digits, by position): rank 0 gets ``base_weight +
    scale_weight``, rank L - 1 ``base_weight``."""
    values = np.asarray(values, dtype=np.float64)
    m = values.shape[0]
    if m == 0:
        return np.zeros(0)
    ref = float(np.abs(values).max()) or 1.0
    key = np.round(values / ref, _TIE_DIGITS)
    rank = np.empty(m, dtype=np.int64)
    rank[np.argsort(key, kind="stable")] = np.arange(m)
    span = max(m - 1, 1)
    return base_weight + 0.5 * scale_weight * (1.0 + np.cos(rank * math.pi / span))


def renode_weights(adj, train: np.ndarray, y: np.ndarray, num_classes: int, *,
                   base_weight: float = 0.5, scale_weight: float = 1.0,
                   ppr_alpha: float = 0.15, ppr_tol: float = 1e-10,
                   ppr_topk: int | None = None, ppr_max_mb: float = 2048,
                   key: str = "renode") -> np.ndarray:
    """(L,) ReNode weights of the training nodes ``train`` (in that order) of a graph with
    symmetric adjacency ``adj`` (n, n) and labels ``y`` (n,); PPR settings as
    :func:`imbgraph.nodecls.ppr.ppr_columns` (a memory overrun: ConfigError naming ``key``)."""
    train = np.asarray(train, dtype=np.int64)
    ppr = ppr_columns(adj, train, alpha=ppr_alpha, tol=ppr_tol, topk=ppr_topk,
                      max_mb=ppr_max_mb, key=key)
    t = conflict(ppr, np.asarray(y)[train], num_classes)
    return rank_weights(t, base_weight, scale_weight)


class ReNode(BalancedModel):
    """Cross-entropy of each training node weighted by its ReNode weight (and by its class
    weight when the loss sets class weights), summed and divided by the node count.

    Args:
        gnn: the backbone.
        node_weight: (k,) weights of the training nodes, in ``batch.train`` order.

    Shapes:
        - **forward:** (N, d), Adjacency -> logits (N, C)
        - **loss:** Batch -> scalar
    """

    def __init__(self, gnn: GNN, node_weight: torch.Tensor) -> None:
        super().__init__(gnn)
        self.register_buffer("node_weight", node_weight)

    def loss(self, batch: Batch) -> torch.Tensor:
        logits = self.train_logits(self.gnn(batch.x, batch.adj), batch)
        ce = F.cross_entropy(logits, batch.y[batch.train], weight=batch.class_weight,
                             reduction="none")
        w = self.node_weight
        if ce.shape[0] > w.shape[0]:  # BAT's virtual training nodes weigh 1, as in its code
            w = torch.cat([w, w.new_ones(ce.shape[0] - w.shape[0])])
        return (ce * w).sum() / max(ce.shape[0], 1)


def build(inputs: MethodInputs) -> ReNode:
    p, graph = inputs.params, inputs.graph
    w = renode_weights(graph.adjacency(), inputs.split.train, graph.y, graph.num_classes,
                       base_weight=float(p["base_weight"]), scale_weight=float(p["scale_weight"]),
                       ppr_alpha=float(p["ppr_alpha"]), ppr_tol=float(p["ppr_tol"]),
                       ppr_topk=None if p.get("ppr_topk") is None else int(p["ppr_topk"]),
                       ppr_max_mb=float(p["ppr_max_mb"]), key=f"{inputs.key}.balancing")
    return ReNode(inputs.backbone(), torch.as_tensor(w, dtype=torch.float32))
