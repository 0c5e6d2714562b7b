"""GraphMamba (Wang et al., "Graph-Mamba: Towards Long-Range Graph Sequence Modeling with
Selective State Spaces", 2024; code bowang-lab/Graph-Mamba) as a graph encoder
(``models.<m>.name: mamba``), with a pure-PyTorch selective scan (no mamba-ssm kernels).

UniImb's slides list "GraphMamba" among the graph transformers (beside GraphGPS and
Exphormer) without a reference; Wang et al.'s Graph-Mamba is the GraphGPS-based one (the
same framework as the other two rows), so this row follows it.

What each step follows:

* **Selective scan** (Gu & Dao, "Mamba", 2023, Algorithm 2 and Sec. 3; ``mamba_ssm``'s
  ``selective_scan_ref``): per channel c and state s, with dt = softplus(dt_proj(.) + bias),
  A = -exp(A_log): h_t = exp(dt_t A) h_{t-1} + dt_t B_t u_t, y_t = C_t . h_t + D u_t.
  :class:`SelectiveScan` evaluates the recurrence with :func:`linear_scan` (blocked in
  chunks of ~sqrt(L) steps, exact decay products, no logarithms) and writes its gradient
  out as the same recurrence run backwards, so autograd records no step of the scan. Tested
  against the step-by-step recurrence and autograd through it.
* **Mamba block** (``mamba_ssm/modules/mamba_simple.py``): in_proj (no bias) to x, z of
  width expand * d_model; causal depthwise conv (``d_conv`` taps, bias) and SiLU on x;
  x_proj (no bias) to (dt of rank ceil(d_model / 16), B, C of width ``d_state``); dt_proj;
  the scan; y * SiLU(z); out_proj (no bias). Initialisation as there: A_log = log(1..N),
  D = 1, dt_proj bias the inverse softplus of dt ~ log-uniform[1e-3, 0.1], dt_proj weight
  uniform(+-rank^-0.5). Graph-Mamba's block: d_state 16, d_conv 4, expand 1.
* **Node ordering** (``graphgps/layer/gps_layer.py``, ``Mamba_Hybrid_Degree_Noise``, the
  configs' layer): every layer sorts each graph's nodes by degree + U(0, 1) noise
  (ascending; the noise breaks ties at random), scans the graph's sequence, and puts the
  outputs back in node order; in evaluation the output is the mean over 5 such orderings.
  Each graph's sequence starts from a zero state and a zero conv window (the code pads
  graphs at the end with ``to_dense_batch``, which a causal scan never reads back); here the
  graphs are scanned as one packed sequence that resets at every graph's first node, so
  there is no padding.
* **Layer**: the GraphGPS layer (:class:`~imbgraph.graphcls.exphormer.GPSBlock`) with the
  Mamba block as its global module; local GIN (the code's configs use GatedGCN, which needs
  edge features).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from imbgraph.graphcls.collection import GraphBatch
from imbgraph.graphcls.exphormer import GPSBlock

__all__ = ["GraphMambaEncoder", "MambaBlock", "SelectiveScan", "linear_scan", "selective_scan",
           "degree_order"]

#: log2(e): exp(x) = exp2(x log2 e)
LOG2_E = 1.0 / math.log(2.0)
#: evaluation averages the outputs of this many random orderings (the code's 5)
EVAL_ORDERINGS = 5


def linear_scan(alpha: torch.Tensor, b: torch.Tensor, reverse: bool = False,
                init: torch.Tensor | None = None) -> torch.Tensor:
    """h_t = alpha_t h_{t-1} + b_t along dim 0 from h_{-1} = ``init`` (default 0); with
    ``reverse``, h_t = alpha_t h_{t+1} + b_t from h_L = ``init``. **In place**: ``b``
    (contiguous) becomes h and is returned. No autograd (see :class:`SelectiveScan`).

    Blocked in M chunks of T = isqrt(L) steps: (1) each chunk's end state from a zero start
    and its decay product, all chunks at once (T steps on (M, ...) slices); (2) the state
    entering each chunk (M steps on single rows); (3) the recurrence within all chunks from
    those states, written over ``b``; the L - M T steps left over run one by one. Decay
    products are exact (no logarithms), so any decay in [0, 1] (0: a reset) is exact;
    O(sqrt(L)) Python steps instead of L, and no full-size temporary.

    Shapes: alpha, b (L, ...), init (...) -> h (L, ...).
    """
    L = b.shape[0]
    if L == 0:
        return b
    T = math.isqrt(L)
    M, r = L // T, L % T
    rest = b.shape[1:]
    with torch.no_grad():
        lo = r if reverse else 0                      # the left-over steps run last
        a_m = alpha[lo:lo + M * T].reshape(M, T, *rest)
        b_m = b[lo:lo + M * T].view(M, T, *rest)
        order = range(T - 1, -1, -1) if reverse else range(T)
        acc, dec = b.new_zeros((M, *rest)), b.new_ones((M, *rest))
        for t in order:
            acc.mul_(a_m[:, t]).add_(b_m[:, t])
            dec.mul_(a_m[:, t])
        start = b.new_zeros((M, *rest))
        first = M - 1 if reverse else 0
        if init is not None:
            start[first] = init
        for j in (range(M - 2, -1, -1) if reverse else range(1, M)):
            p = j + 1 if reverse else j - 1
            torch.addcmul(acc[p], dec[p], start[p], out=start[j])
        prev = start
        for t in order:
            b_m[:, t].addcmul_(a_m[:, t], prev)
            prev = b_m[:, t]
        for t in (range(r - 1, -1, -1) if reverse else range(M * T, L)):
            b[t].addcmul_(alpha[t], b[t + 1] if reverse else b[t - 1])
    return b


def _rowmul(v: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """out_l = v_l @ m_l. Shapes: v (L, k), m (L, k, j) -> (L, j)."""
    return torch.bmm(v.unsqueeze(1), m).squeeze(1)


class SelectiveScan(torch.autograd.Function):
    """y_t = C_t . h_t with h_t = exp(dt_t A) keep_t h_{t-1} + dt_t u_t B_t (per channel d and
    state n), with the gradients written out: the input gradient of a linear recurrence is
    the same recurrence run backwards (G_t = C_t gy_t + alpha_{t+1} G_{t+1}), so backward
    costs one more :func:`linear_scan` and a few products, where autograd through the scan's
    steps would record (and replay) every one of them. Tested against autograd through the
    step-by-step recurrence.

    Shapes: u, dt (L, D); A (D, N); B, C (L, N); keep (L,) 0 / 1 -> y (L, D).
    """

    @staticmethod
    def forward(ctx, u, dt, A, B, C, keep):
        # exp(x) as exp2(x log2 e), the factor on the small A: exp2 is ~3x cheaper on CPU
        alpha = torch.exp2(dt.unsqueeze(-1) * (A * LOG2_E)).mul_(keep[:, None, None])
        du = dt * u
        h = linear_scan(alpha, du.unsqueeze(-1) * B.unsqueeze(1))           # (L, D, N)
        ctx.save_for_backward(u, dt, du, A, B, C, alpha, h)
        # the contractions as (1 x k) @ (k x m) products per step: far faster than (k x m) @
        # (m x 1) in batched BLAS here
        return _rowmul(C, h.transpose(1, 2))

    @staticmethod
    def backward(ctx, gy):
        u, dt, du, A, B, C, alpha, h = ctx.saved_tensors
        # dL/dh_t: G_{L-1} = gh_{L-1}, G_t = gh_t + alpha_{t+1} G_{t+1}
        G = gy.unsqueeze(-1) * C.unsqueeze(1)
        linear_scan(alpha[1:], G[:-1], reverse=True, init=G[-1])
        gC = _rowmul(gy, h)
        g_du = _rowmul(B, G.transpose(1, 2))
        gB = _rowmul(du, G)
        # d h_t / d(dt_t A) = alpha_t h_{t-1} (0 at t = 0 and at resets, where alpha_t = 0)
        ga = G.mul_(alpha)
        ga[1:].mul_(h[:-1])
        ga[0].zero_()
        g_dt = (ga * A).sum(-1)
        gA = (ga * dt.unsqueeze(-1)).sum(0)
        return g_du * dt, g_dt + g_du * u, gA, gB, gC, None


def selective_scan(u: torch.Tensor, dt: torch.Tensor, A: torch.Tensor, B: torch.Tensor,
                   C: torch.Tensor, D: torch.Tensor,
                   reset: torch.Tensor | None = None) -> torch.Tensor:
    """Mamba's selective scan (discretised: dA = exp(dt A), dB u = dt B u) along one packed
    sequence; ``reset`` (L,) bool marks the first step of each sequence (state zeroed).

    Shapes: u, dt (L, Din); A (Din, N); B, C (L, N); D (Din,) -> y (L, Din).
    """
    keep = (torch.ones(u.shape[0], dtype=u.dtype, device=u.device) if reset is None
            else (~reset).to(u.dtype))
    return SelectiveScan.apply(u, dt, A, B, C, keep) + D * u


class MambaBlock(nn.Module):
    """Mamba's block (``mamba_simple.Mamba``) on a packed sequence of several graphs.

    Shapes: x (L, d_model), position (L,) index of each step within its sequence ->
    (L, d_model).
    """

    def __init__(self, d_model: int, d_state: int = 16, d_conv: int = 4, expand: int = 1,
                 dt_min: float = 1e-3, dt_max: float = 0.1) -> None:
        super().__init__()
        d_inner = expand * d_model
        self.d_inner, self.d_state, self.d_conv = d_inner, d_state, d_conv
        self.dt_rank = math.ceil(d_model / 16)
        self.dt_min, self.dt_max = dt_min, dt_max
        self.in_proj = nn.Linear(d_model, 2 * d_inner, bias=False)
        self.conv_weight = nn.Parameter(torch.empty(d_inner, d_conv))
        self.conv_bias = nn.Parameter(torch.empty(d_inner))
        self.x_proj = nn.Linear(d_inner, self.dt_rank + 2 * d_state, bias=False)
        self.dt_proj = nn.Linear(self.dt_rank, d_inner)
        self.A_log = nn.Parameter(torch.empty(d_inner, d_state))
        self.D = nn.Parameter(torch.empty(d_inner))
        self.out_proj = nn.Linear(d_inner, d_model, bias=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.in_proj.reset_parameters()
        self.x_proj.reset_parameters()
        self.out_proj.reset_parameters()
        # nn.Conv1d's default initialisation (fan-in d_conv per channel)
        bound = 1 / math.sqrt(self.d_conv)
        nn.init.kaiming_uniform_(self.conv_weight.view(self.d_inner, 1, self.d_conv),
                                 a=math.sqrt(5))
        nn.init.uniform_(self.conv_bias, -bound, bound)
        std = self.dt_rank ** -0.5
        nn.init.uniform_(self.dt_proj.weight, -std, std)
        dt = torch.exp(torch.rand(self.d_inner) * (math.log(self.dt_max) - math.log(self.dt_min))
                       + math.log(self.dt_min)).clamp(min=1e-4)
        with torch.no_grad():
            self.dt_proj.bias.copy_(dt + torch.log(-torch.expm1(-dt)))  # softplus^-1(dt)
            self.A_log.copy_(torch.log(torch.arange(1, self.d_state + 1, dtype=torch.float32))
                             .repeat(self.d_inner, 1))
            self.D.fill_(1.0)

    def forward(self, x: torch.Tensor, position: torch.Tensor) -> torch.Tensor:
        xz = self.in_proj(x)
        u, z = xz[:, :self.d_inner], xz[:, self.d_inner:]
        # causal depthwise conv within each sequence: tap k reads step t - k when k <= position
        conv = self.conv_bias.expand_as(u)
        for k in range(self.d_conv):
            shifted = u if k == 0 else torch.cat([u.new_zeros(k, self.d_inner), u[:-k]])
            keep = (position >= k).to(u.dtype).unsqueeze(1)
            conv = conv + self.conv_weight[:, self.d_conv - 1 - k] * shifted * keep
        u = F.silu(conv)
        dbc = self.x_proj(u)
        dt = F.softplus(self.dt_proj(dbc[:, :self.dt_rank]))
        B = dbc[:, self.dt_rank:self.dt_rank + self.d_state]
        C = dbc[:, self.dt_rank + self.d_state:]
        y = selective_scan(u, dt, -self.A_log.exp(), B, C, self.D, reset=position == 0)
        return self.out_proj(y * F.silu(z))


def degree_order(b: GraphBatch, edge_index: torch.Tensor, n: int) -> torch.Tensor:
    """Node order of the code's ``Mamba_Hybrid_Degree_Noise``: by graph, then by degree +
    U(0, 1) ascending (torch's generator). Returns the permutation (n,) of node ids."""
    deg = torch.bincount(edge_index[0], minlength=n).to(torch.float32)
    key = deg + torch.rand(n, device=deg.device)
    perm = torch.argsort(key, stable=True)
    return perm[torch.argsort(b.batch[perm], stable=True)]


class GraphMambaEncoder(nn.Module):
    r"""Graph-Mamba: GraphGPS layers whose global module is a Mamba block over each graph's
    nodes in noisy degree order (see the module docstring).

    Args:
        in_channels (int): node feature width F. pe_dim (int): PE width (0: none).
        hidden (int): width (default: 64). layers (int): default 3 (the code's configs).
        d_state (int): SSM state size (default: 16). d_conv (int): conv taps (default: 4).
        expand (int): inner width factor (default: 1).
        readout (str): ``"sum"`` or ``"mean"`` (default: ``"sum"``; the code's ``mean``).
        dropout (float): the layers' dropout (default: 0.0, the code's configs).

    Shapes:
        - **input:** a GraphBatch
        - **output:** graph embeddings (B, hidden), node embeddings (n, hidden)
    """

    def __init__(self, in_channels: int, pe_dim: int = 0, *, hidden: int = 64, layers: int = 3,
                 d_state: int = 16, d_conv: int = 4, expand: int = 1, readout: str = "sum",
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.in_channels, self.pe_dim, self.hidden, self.readout = in_channels, pe_dim, hidden, readout
        self.inp = nn.Linear(in_channels, hidden)
        self.pe_in = nn.Linear(pe_dim, hidden) if pe_dim else None
        self.mambas = nn.ModuleList([MambaBlock(hidden, d_state, d_conv, expand)
                                     for _ in range(layers)])
        self.blocks = nn.ModuleList([GPSBlock(hidden, dropout) for _ in range(layers)])

    def reset_parameters(self) -> None:
        for m in self.modules():
            if m is not self and hasattr(m, "reset_parameters"):
                m.reset_parameters()

    def _ordered(self, mamba: MambaBlock, h: torch.Tensor, b: GraphBatch,
                 ei: torch.Tensor) -> torch.Tensor:
        perm = degree_order(b, ei, h.shape[0])
        sorted_batch = b.batch[perm]
        position = torch.arange(h.shape[0], device=h.device) - b.ptr[sorted_batch]
        out = torch.empty_like(h)
        out[perm] = mamba(h[perm], position)
        return out

    def forward(self, b: GraphBatch, x: torch.Tensor | None = None,
                edge_index: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        from imbgraph.graphcls.models import _mean_pool, _sum_pool, adjacency

        h = self.inp(b.x if x is None else x)
        if self.pe_in is not None:
            h = h + self.pe_in(b.pe)
        ei = b.edge_index if edge_index is None else edge_index
        adj = adjacency(ei, h.shape[0], h.dtype, symmetric_sorted=edge_index is None)
        for mamba, block in zip(self.mambas, self.blocks):
            k = 1 if self.training else EVAL_ORDERINGS
            glob = sum(self._ordered(mamba, h, b, ei) for _ in range(k)) / k
            h = block(h, adj, glob)
        pool = _sum_pool if self.readout == "sum" else _mean_pool
        return pool(h, b.batch, b.num_graphs), h

    def __repr__(self) -> str:
        return (f"GraphMambaEncoder({self.in_channels}, pe={self.pe_dim}, hidden={self.hidden}, "
                f"layers={len(self.blocks)})")
