"""``tam``, an add-on: TAM, Topology-Aware Margin loss (Song, Park and Yang, "TAM:
Topology-Aware Margin Loss for Class-Imbalanced Node Classification", ICML 2022; public code
Jaeyun-Song/TAM, ``models/tam.py``).

TAM adds a margin to each training node's logits from its *neighbour label distribution*
(NLD) compared with its class's average NLD, on top of a base loss (cross-entropy,
Balanced Softmax, ReNode: a method whose row in the method table lists ``tam`` among its
``addons``). Per training step, without gradient:

1. class-wise temperatures from the training class counts n_c: ``r_c = gamma n_c / n +
   (1 - gamma)``, ``t_c = phi (r_c + 1 - max_c r_c)``; the soft labels of every node are
   ``softmax(z * t)`` (the code's ``output / (1 / t)``), a training node's replaced by its
   one-hot label;
2. NLD ``d_i``: the mean of those rows over ``{i} ∪ N(i)`` (PyG's mean aggregation with self
   loops), for the k training nodes; the connectivity matrix ``M_c``: the mean NLD of class
   c's training nodes; both clamped below at 1e-6;
3. ACM (anomalous connectivity margin): ``acm_ij = min(1, (d_i[y_i] / M_{y_i}[y_i]) *
   (M_{y_i}[j] / d_i[j]))``, 1 at j = y_i;
4. ADM (anomalous distribution-aware margin), with ``JSD`` the Jensen-Shannon divergence
   summed over classes: ``adm_ij = (JSD(d_i, M_{y_i})^2 + JSD(M_{y_i}, M_j)^2 -
   JSD(d_i, M_j)^2) / (2 JSD(M_{y_i}, M_j)^2)``, 0 at j = y_i (class-pair JSD clamped below
   at 1e-6);
5. the training logits become ``z_i + alpha log(acm_i) - beta adm_i``.

The first ``warmup`` training steps use the plain logits (the code: ``epoch > warmup``,
epochs counted from 1). Defaults are the code's: alpha (``tam_alpha``) 2.5, beta
(``tam_beta``) 0.5, phi (``temp_phi``) 1.2, gamma 0.4 (``compute_tam``'s ``temp_gamma``),
warm-up 5. Predictions use the plain logits.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from imbgraph.nodecls.adjacency import Adjacency
from imbgraph.nodecls.methods.base import BalancedModel, Batch, MethodInputs

__all__ = ["TAM", "attach", "class_temperature", "jsd", "neighbor_label_distribution",
           "tam_margins"]

_FLOOR = 1e-6  # the code's clamp of NLDs, connectivities and class-pair divergences


def class_temperature(train_counts: torch.Tensor, phi: float, gamma: float) -> torch.Tensor:
    """(C,) TAM's class-wise temperature ``phi (r_c + 1 - max r)``, ``r_c = gamma n_c / n +
    1 - gamma``; a node's soft label is ``softmax(logits * t)``."""
    ratio = train_counts.to(torch.float32) / train_counts.sum()
    ratio = ratio * gamma + (1.0 - gamma)
    return phi * (ratio + 1.0 - ratio.max())


def neighbor_label_distribution(soft: torch.Tensor, adj: Adjacency,
                                nodes: torch.Tensor) -> torch.Tensor:
    """(k, C) mean of ``soft``'s rows over each node's closed neighbourhood ``{v} ∪ N(v)``
    for ``nodes`` (k,): PyG's mean aggregation with self loops, as TAM's
    ``MeanAggregation``."""
    deg = adj.deg.to(soft.dtype)[:, None]
    total = adj.mean(soft) * deg + soft  # mean * degree = the neighbours' sum (0 when none)
    return (total / (deg + 1.0))[nodes]


def jsd(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """Jensen-Shannon divergence of distributions along the last axis (broadcast):
    ``(KL(p || m) + KL(q || m)) / 2`` with ``m = (p + q) / 2`` (natural log)."""
    m = (p + q) / 2.0
    return ((F.kl_div(m.log(), p, reduction="none")
             + F.kl_div(m.log(), q, reduction="none")) / 2.0).sum(dim=-1)


@torch.no_grad()
def tam_margins(logits: torch.Tensor, adj: Adjacency, y: torch.Tensor, train: torch.Tensor,
                train_counts: torch.Tensor, *, temperature: float = 1.2,
                temperature_gamma: float = 0.4) -> tuple[torch.Tensor, torch.Tensor]:
    """TAM's ACM and ADM of the training nodes (see the module docstring).

    Parameters
    ----------
    logits : (n, C) the model's logits of every node (detached here)
    adj : the graph's :class:`Adjacency` over the n nodes
    y : (n,) labels (read at ``train``)
    train : (k,) training node ids
    train_counts : (C,) training nodes per class

    Returns
    -------
    acm : (k, C) in (0, 1], 1 at each node's own class
    adm : (k, C), 0 at each node's own class
    """
    c = logits.shape[1]
    t = class_temperature(train_counts, temperature, temperature_gamma)
    soft = torch.softmax(logits.detach() * t[None, :], dim=1)
    label = y[train]
    soft[train] = F.one_hot(label, c).to(soft.dtype)
    nld = neighbor_label_distribution(soft, adj, train)
    # connectivity: mean NLD of each class's training nodes (a class without any: zeros,
    # floored below; TAM's code would give NaN)
    conn = torch.zeros(c, c, dtype=nld.dtype, device=nld.device).index_add_(0, label, nld)
    conn = conn / torch.bincount(label, minlength=c).clamp_min(1).to(nld.dtype)[:, None]
    nld, conn = nld.clamp_min(_FLOOR), conn.clamp_min(_FLOOR)
    own = F.one_hot(label, c).bool()
    self_ratio = nld[own] / conn.diagonal()[label]                       # (k,)
    acm = (self_ratio[:, None] * (conn[label] / nld)).clamp_max(1.0)
    acm[own] = 1.0
    pair = jsd(conn[None, :, :], conn[:, None, :]).clamp_min(_FLOOR)     # (C, C)
    self_div = jsd(nld, conn[label])                                     # (k,)
    to_class = jsd(nld[:, None, :], conn[None, :, :])                    # (k, C)
    pair_sq = pair[label] ** 2
    adm = (self_div[:, None] ** 2 + pair_sq - to_class ** 2) / (2.0 * pair_sq)
    adm[own] = 0.0
    return acm, adm


class TAM(nn.Module):
    """The add-on: ``train_logits + alpha log(acm) - beta adm`` after ``warmup`` training
    steps (steps counted while the module is in training mode; reset by
    :meth:`reset_parameters`).

    Args:
        train_counts: (C,) training nodes per class (the temperatures).
        alpha, beta: weights of ACM and ADM (code: 2.5, 0.5).
        temperature: phi (code: 1.2). temperature_gamma: gamma (code: 0.4).
        warmup: plain steps first (code: 5).

    Shapes:
        - **input:** logits (n, C), :class:`Batch`, training logits (k, C)
        - **output:** adjusted training logits (k, C)
    """

    def __init__(self, train_counts: torch.Tensor, *, alpha: float = 2.5, beta: float = 0.5,
                 temperature: float = 1.2, temperature_gamma: float = 0.4,
                 warmup: int = 5) -> None:
        super().__init__()
        self.register_buffer("train_counts", torch.as_tensor(train_counts, dtype=torch.float32))
        self.alpha, self.beta = float(alpha), float(beta)
        self.temperature, self.temperature_gamma = float(temperature), float(temperature_gamma)
        self.warmup = int(warmup)
        self.steps = 0

    def reset_parameters(self) -> None:
        self.steps = 0

    def forward(self, logits: torch.Tensor, batch: Batch, out: torch.Tensor) -> torch.Tensor:
        if self.training:
            self.steps += 1
        if self.steps <= self.warmup:
            return out
        acm, adm = tam_margins(logits, batch.adj, batch.y, batch.train, self.train_counts,
                               temperature=self.temperature,
                               temperature_gamma=self.temperature_gamma)
        return out + self.alpha * acm.log() - self.beta * adm

    def extra_repr(self) -> str:
        return (f"alpha={self.alpha}, beta={self.beta}, temperature={self.temperature}, "
                f"temperature_gamma={self.temperature_gamma}, warmup={self.warmup}")


def attach(model: BalancedModel, inputs: MethodInputs, settings: dict) -> None:
    """Append TAM (``settings``: its resolved add-on block) to ``model.addons``."""
    counts = torch.as_tensor(np.asarray(inputs.train_counts()), dtype=torch.float32)
    model.addons.append(TAM(counts, **{k: v for k, v in settings.items() if k != "name"}))
