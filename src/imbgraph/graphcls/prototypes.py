"""UniImb's dynamic balanced prototypes (DBP) and its load balancing, written from the slides
and the public code's behaviour (facts in shared/REFERENCES.md; no code copied).

Routing (per attention head h, K prototypes with learned keys S):
    a = (W_q x) S^T / sqrt(d_h)                attention of every graph to every prototype
    routes = TopK2(sigmoid(a) + bias)          each graph picks K2 prototypes; the bias only
                                               steers the choice, it is not in the weights
    members_k = TopK1 over graphs of a[:, k]   each prototype aggregates its K1 best graphs
    proto_k = sum_{i in members_k} sigmoid(a_ik + e_k) W_v x_i
    out_i = sigmoid(g1) W_v x_i + sigmoid(g2) sum_{k in routes_i} softmax_k(a_i) proto_k

Load balancing (aux-loss-free, DeepSeek-MoE style): after every epoch
    bias_k <- bias_k - step * sign(load_k - target_k),  target_k = routes per head x u_k,
with u the target load distribution (``LOADS``: uniform by default; Zipf, exponential and
Poisson for the slides' Table 1, with the code's constants z = 1, lambda = 0.5, lambda = 3).

Code versus slides (we follow the code, README lists it):
* the slides' aggregation is a softmax over a prototype's top-K1 graphs; the code uses a
  sigmoid gate with a learned per-prototype offset (e above) - we use the sigmoid;
* the slides' information-bottleneck term 1/2 sum_k (p_k - u_k)^2 is not in the code's loss
  (plain NLL; the bias update is the only balancing) - ``ib_weight`` defaults to 0 and, when
  set, adds that term on the mean soft routing probabilities;
* the code updates the bias from the last mini-batch's load and compares the load summed over
  all heads with a target for one head (so with 4 heads every prototype looks overloaded and
  the uniform update is a no-op); we count the load over the whole epoch, per head, against a
  per-head target;
* the code sets K1 > batch size never (it pads eval batches by repeating the last graph); we
  use min(K1, batch size) instead of padding.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["LOADS", "target_load", "BalancedPrototypes", "update_bias", "update_bias_official",
           "load_counts",
           "SwiGLU", "PrototypeBlock"]


def _uniform(k: np.ndarray) -> np.ndarray:
    return np.ones_like(k, dtype=np.float64)


def _zipf(k: np.ndarray, z: float = 1.0) -> np.ndarray:
    return 1.0 / k.astype(np.float64) ** z


def _exponential(k: np.ndarray, lam: float = 0.5) -> np.ndarray:
    return np.exp(-lam * k.astype(np.float64))


def _poisson(k: np.ndarray, lam: float = 3.0) -> np.ndarray:
    from scipy.special import gammaln

    k = k.astype(np.float64)
    return np.exp(k * math.log(lam) - lam - gammaln(k + 1))


LOADS: dict[str, Callable[..., np.ndarray]] = {
    "uniform": _uniform, "zipf": _zipf, "exponential": _exponential, "poisson": _poisson,
}


def target_load(name: str, n_prototypes: int, **params: float) -> np.ndarray:
    """The target share u_k of prototype k = 1..K (sums to 1), float64 (K,).

    Example: ``target_load("zipf", 3)`` is [6/11, 3/11, 2/11] (1/k normalised).
    """
    if name not in LOADS:
        raise KeyError(f"load distribution = {name!r}; expected one of {sorted(LOADS)}")
    w = LOADS[name](np.arange(1, n_prototypes + 1), **params)
    return w / w.sum()


class SwiGLU(nn.Module):
    """W3 dropout(silu(W1 x) * W2 x), expansion 4 (UniImb's FFN).

    Shapes: (n, dim_in) -> (n, dim_out).
    """

    def __init__(self, dim_in: int, dim_out: int, expand: int = 4, dropout: float = 0.3) -> None:
        super().__init__()
        self.w1 = nn.Linear(dim_in, expand * dim_in)
        self.w2 = nn.Linear(dim_in, expand * dim_in)
        self.w3 = nn.Linear(expand * dim_in, dim_out)
        self.dropout = nn.Dropout(dropout)

    def reset_parameters(self) -> None:
        for lin in (self.w1, self.w2, self.w3):
            lin.reset_parameters()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.w3(self.dropout(F.silu(self.w1(x)) * self.w2(x)))


class BalancedPrototypes(nn.Module):
    r"""Graph-to-prototype routing and prototype aggregation (see the module docstring).

    Args:
        dim (int): embedding width (split over ``heads``).
        n_prototypes (int): K (UniImb: 16 or 32).
        heads (int): attention heads (UniImb: 4).
        top_k2 (int): prototypes per graph (UniImb: 8 or 16).
        top_k1 (int): graphs per prototype (UniImb: 8-64; capped at the batch size).

    Shapes:
        - **input:** graph embeddings (n, dim), bias (heads, K)
        - **output:** (n, dim), routes (n, heads, top_k2) int64, soft routing p (n, heads, K)
    """

    def __init__(self, dim: int, n_prototypes: int = 16, heads: int = 4, top_k2: int = 8,
                 top_k1: int = 8) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"dim = {dim} must be a multiple of heads = {heads}")
        if not 1 <= top_k2 <= n_prototypes:
            raise ValueError(f"top_k2 = {top_k2}; expected 1..n_prototypes = {n_prototypes}")
        if top_k1 < 1:
            raise ValueError(f"top_k1 = {top_k1}; expected >= 1")
        self.dim, self.k, self.heads = dim, n_prototypes, heads
        self.top_k2, self.top_k1, self.dh = top_k2, top_k1, dim // heads
        self.query = nn.Linear(dim, dim)
        self.value = nn.Linear(dim, dim)
        self.keys = nn.Parameter(torch.empty(n_prototypes, heads, self.dh))
        self.offset = nn.Parameter(torch.empty(1, heads, n_prototypes))
        self.gate_x = nn.Parameter(torch.empty(heads, 1))
        self.gate_p = nn.Parameter(torch.empty(heads, 1))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.query.reset_parameters()
        self.value.reset_parameters()
        nn.init.normal_(self.keys)
        nn.init.zeros_(self.offset)
        nn.init.constant_(self.gate_x, math.log(9))      # sigmoid = 0.9: mostly the residual
        nn.init.constant_(self.gate_p, math.log(0.01))   # prototypes phase in as they learn

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        q = self.query(x).view(x.shape[0], self.heads, self.dh)
        return torch.einsum("nhd,khd->nhk", q, self.keys) / math.sqrt(self.dh)

    def forward(self, x: torch.Tensor, bias: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        n = x.shape[0]
        attn = self.attention(x)                                          # (n, H, K)
        routes = torch.topk(torch.sigmoid(attn) + bias, self.top_k2, dim=-1).indices
        routed = torch.zeros_like(attn, dtype=torch.bool).scatter_(-1, routes, True)
        members = torch.topk(attn, min(self.top_k1, n), dim=0).indices     # (k1, H, K)
        member = torch.zeros_like(attn, dtype=torch.bool).scatter_(0, members, True)
        v = self.value(x).view(n, self.heads, self.dh)
        gate = torch.sigmoid(attn + self.offset) * member
        protos = torch.einsum("nhk,nhd->khd", gate, v)                     # (K, H, dh)
        w = torch.softmax(attn.masked_fill(~routed, float("-inf")), dim=-1)
        mixed = torch.einsum("nhk,khd->nhd", w, protos)
        out = torch.sigmoid(self.gate_x) * v + torch.sigmoid(self.gate_p) * mixed
        return out.reshape(n, self.dim), routes, torch.softmax(attn, dim=-1)


def load_counts(routes: torch.Tensor, n_prototypes: int) -> torch.Tensor:
    """How many graphs each head routed to each prototype: (heads, K) int64 from routes
    (n, heads, K2)."""
    n, h, k2 = routes.shape
    offset = n_prototypes * torch.arange(h, device=routes.device)[:, None]
    flat = routes.permute(1, 0, 2).reshape(h, n * k2) + offset
    return torch.bincount(flat.reshape(-1), minlength=h * n_prototypes).view(h, n_prototypes)


def update_bias(bias: torch.Tensor, load: torch.Tensor, target_share: torch.Tensor,
                step: float = 1e-3) -> torch.Tensor:
    """bias - step * sign(load - target), target = (routes per head) x target_share.

    bias, load : (heads, K); target_share : (K,) summing to 1. Overloaded prototypes lose bias
    (fewer graphs pick them next epoch), underloaded ones gain it.
    """
    total = load.sum(dim=-1, keepdim=True).to(torch.float64)
    target = total * target_share.to(torch.float64)[None, :]
    return bias - step * torch.sign(load.to(torch.float64) - target).to(bias.dtype)


def update_bias_official(bias: torch.Tensor, load: torch.Tensor, target_share: torch.Tensor,
                         top_k2: int, batch_size: int, step: float = 1e-3) -> torch.Tensor:
    """The code's rule (main_class_imbalance.py, Distribution/class/*.py): one bias row for
    every head, bias - step * sign(sum over heads of ``load`` - TopK_2 * 2 * batch_size *
    u_k), i.e. every head's routes of one batch against one head's share.

    bias, load : (heads, K) (the rows of ``bias`` are equal); target_share : (K,)."""
    total = load.sum(dim=0).to(torch.float64)
    target = top_k2 * 2 * batch_size * target_share.to(torch.float64)
    return bias - step * torch.sign(total - target).to(bias.dtype)[None, :]


class PrototypeBlock(nn.Module):
    """UniImb's head on graph embeddings: SwiGLU encoder, RMS norm, prototypes with a gated
    SwiGLU branch, a learned scale, SwiGLU decoder to class logits.

    Shapes:
        - **input:** graph embeddings (n, dim), bias (heads, K)
        - **output:** logits (n, C), routes (n, heads, top_k2), soft routing (n, heads, K)
    """

    def __init__(self, dim: int, n_classes: int, *, n_prototypes: int = 16, heads: int = 4,
                 top_k2: int = 8, top_k1: int = 8, dropout: float = 0.3) -> None:
        super().__init__()
        self.encoder = SwiGLU(dim, dim, dropout=dropout)
        self.norm = nn.RMSNorm(dim, eps=1e-8)
        self.prototypes = BalancedPrototypes(dim, n_prototypes, heads, top_k2, top_k1)
        self.ffn = SwiGLU(dim, dim, dropout=dropout)
        self.decoder = SwiGLU(dim, n_classes, dropout=dropout)
        self.g_in = nn.Parameter(torch.tensor(math.log(9)))
        self.g_ffn = nn.Parameter(torch.tensor(math.log(9)))
        self.g_proto = nn.Parameter(torch.tensor(math.log(math.sqrt(2) + 1)))
        self.g_out = nn.Parameter(torch.tensor(0.0))

    def reset_parameters(self) -> None:
        for m in (self.encoder, self.norm, self.prototypes, self.ffn, self.decoder):
            m.reset_parameters()
        with torch.no_grad():  # the gates' initial values, as in __init__
            self.g_in.fill_(math.log(9))
            self.g_ffn.fill_(math.log(9))
            self.g_proto.fill_(math.log(math.sqrt(2) + 1))
            self.g_out.fill_(0.0)

    def forward(self, h: torch.Tensor, bias: torch.Tensor):
        z = self.norm(torch.sigmoid(self.g_in) * self.encoder(h))
        p, routes, soft = self.prototypes(z, bias)
        z = torch.sigmoid(self.g_ffn) * self.ffn(z) + torch.sigmoid(self.g_proto) * p
        return self.decoder(torch.sigmoid(self.g_out) * z), routes, soft
