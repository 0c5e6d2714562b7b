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
  :func:`linear_scan` evaluates h_t = exp(a_t) h_{t-1} + b_t in chunks of 4 steps, each
  chunk by cumulative sums (exp(S_t) cumsum(b_s exp(-S_s)), S the chunk's cumulative log
  decay), the chunks' carries by the same scan one level up; log decays are clamped at
  -18 per step (a decay below e^-18 = 1.5e-8 is zero to float32 rounding), which keeps
  every exp within float32. Tested against the step-by-step recurrence.
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

__all__ = ["GraphMambaEncoder", "MambaBlock", "linear_scan", "selective_scan",
           "degree_order"]

#: smallest log decay per step (and per chunk) and chunk length of :func:`linear_scan`
LOG_DECAY_MIN, CHUNK = -18.0, 4
#: evaluation averages the outputs of this many random orderings (the code's 5)
EVAL_ORDERINGS = 5


def linear_scan(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """h_t = exp(a_t) h_{t-1} + b_t along dim 0 from h_{-1} = 0, a <= 0 (log decays).

    Shapes: a, b (L, ...) -> h (L, ...). Differentiable; see the module docstring.
    """
    a = a.clamp(min=LOG_DECAY_MIN)
    L = a.shape[0]
    if L == 1:
        return b
    pad = (-L) % CHUNK
    if pad:
        a = torch.cat([a, a.new_zeros((pad, *a.shape[1:]))])
        b = torch.cat([b, b.new_zeros((pad, *b.shape[1:]))])
    a = a.reshape(-1, CHUNK, *a.shape[1:])
    b = b.reshape(-1, CHUNK, *b.shape[1:])
    s = torch.cumsum(a, dim=1)                                  # in [-72, 0]
    decay = s.exp()
    local = decay * torch.cumsum(b * (-s).exp(), dim=1)         # each chunk from a zero state
    if a.shape[0] > 1:
        carry = linear_scan(s[:, -1], local[:, -1])             # state at each chunk's end
        prev = torch.cat([torch.zeros_like(carry[:1]), carry[:-1]])
        local = local + decay * prev.unsqueeze(1)
    return local.reshape(-1, *local.shape[2:])[:L]


def selective_scan(u: torch.Tensor, dt: torch.Tensor, A: torch.Tensor, B: torch.Tensor,
                   C: torch.Tensor, D: torch.Tensor,
                   reset: torch.Tensor | None = None) -> torch.Tensor:
    """Mamba's selective scan (discretised: dA = exp(dt A), dB u = dt B u) along one packed
    sequence; ``reset`` (L,) bool marks the first step of each sequence (state zeroed).

    Shapes: u, dt (L, Din); A (Din, N); B, C (L, N); D (Din,) -> y (L, Din).
    """
    a = dt.unsqueeze(-1) * A                                    # (L, Din, N) log decays
    if reset is not None:
        a = a.masked_fill(reset[:, None, None], LOG_DECAY_MIN)
    bu = (dt * u).unsqueeze(-1) * B.unsqueeze(1)                # (L, Din, N)
    h = linear_scan(a, bu)
    return (h * C.unsqueeze(1)).sum(-1) + D * u


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
