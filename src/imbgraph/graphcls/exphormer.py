"""Exphormer (Shirzad et al., "Exphormer: Sparse Transformers for Graphs", ICML'23; code
hamed1375/Exphormer) as a graph encoder (``models.<m>.name: exphormer``), and the GraphGPS
layer both sparse encoders of this family share (:class:`GPSBlock`, also GraphMamba's).

What each step follows (facts from the paper and the code; the code is not copied):

* **Attention edges** (``graphgps/encoder/exp_edge_fixer.py``, ``ExpanderEdgeFixer``): the
  union of the graph's own edges (``prep.add_edge_index: True``), an expander on each graph's
  nodes and, per virtual node, an edge from every node of the graph to it and one back
  (``prep.num_virt_node``: 1 in the paper's configs). Each edge type has its own learned edge
  embedding (local edges have no features in the TU data, so one learned vector; expander
  edges ``exp_edge_attr``; virtual ``virt_edge_in_emb`` / ``virt_edge_out_emb``). Virtual
  nodes start from ``virt_node_emb`` and carry the attention output from layer to layer.
* **Expander** (``graphgps/transform/expander_edges.py``, ``Random-d``, ``exp_deg: 5``): d
  random permutations of the n nodes, symmetrised, a 2d-regular multigraph; regenerated up to
  ``exp_max_num_iters`` (100) times until the Laplacian's smallest non-trivial eigenvalue
  reaches 2d - 2 sqrt(2d - 1) - 0.1 (else the best draw); graphs of at most 10 nodes get the
  complete graph; d = n - 1 when n <= d. Self-loops of a permutation are kept, as the code's
  output keeps them (it computes a filtered list and does not use it). Drawn once per graph
  (the code's pre-transform) from a generator seeded by (``expander_seed``, graph id).
* **Attention** (``graphgps/layer/Exphormer.py``, ``ExphormerAttention``): per head,
  score_e = exp(clamp(sum_k (K_src Q_dst / sqrt(d))_k E_e,k, -5, 5)) over the attention edges
  e = (src -> dst), output_dst = sum_e score_e V_src / (sum_e score_e + 1e-6); Q, K, V, E
  without bias. No dense per-graph attention anywhere.
* **Layer** (``graphgps/layer/multi_model_layer.py``, ``MultiLayer`` with
  ``GINE+Exphormer``): local h_l = BN(h + drop(GIN(h))), global h_g = BN(h + drop(attn(h))),
  h = h_l + h_g, then h = BN(h + FFN(h)) with FFN Linear(h, 2h)-ReLU-drop-Linear-drop. The
  local model is GIN (Linear-ReLU-Linear MLP, our GraphGPS row's) since the TU graphs have no
  edge features for GINE / GatedGCN.

Defaults: the code's CIFAR10 / MNIST configs (``exp_deg: 5``, ``num_virt_node: 1``,
``n_heads: 4``, ``dropout: 0.1``, batch norm); widths and depths are the config's.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from imbgraph.graphcls.collection import GraphBatch

__all__ = ["ExphormerAttention", "ExphormerEncoder", "GPSBlock", "attention_edges",
           "random_expander", "spectral_gap"]

#: the code's score clamp and normaliser epsilon
SCORE_CLAMP, Z_EPS = 5.0, 1e-6
#: expanders drawn in this process, by (seed, graph id, n, degree, max_iters): a draw is a
#: function of exactly these, so encoders of later runs (seeds) reuse it
_EXPANDERS: dict[tuple[int, int, int, int, int], torch.Tensor] = {}


def spectral_gap(src: np.ndarray, dst: np.ndarray, n: int) -> float:
    """Smallest non-trivial eigenvalue of the (multi)graph Laplacian D - A of edges src -> dst
    (the code's ``laplacian_eigenv(k=1)``); dense for n <= 600, else Lanczos for the two
    largest eigenvalues of c I - L (c = twice the largest degree bounds the spectrum), whose
    second is c - lambda_2."""
    import scipy.sparse as sp

    a = sp.coo_matrix((np.ones(src.shape[0]), (src, dst)), shape=(n, n)).tocsr()
    lap = sp.diags(np.asarray(a.sum(axis=1)).ravel()) - a
    if n <= 600:
        return float(np.linalg.eigvalsh(lap.toarray())[1])
    from scipy.sparse.linalg import eigsh

    c = 2.0 * float(lap.diagonal().max())
    shifted = sp.identity(n, format="csr") * c - lap
    vals = eigsh(shifted, k=2, which="LA", tol=1e-8, return_eigenvectors=False,
                 v0=np.random.default_rng(0).random(n))
    return float(c - np.sort(vals)[0])


def random_expander(n: int, degree: int, rng: np.random.Generator,
                    max_iters: int = 100) -> np.ndarray:
    """(2, m) int64 expander edges on n nodes, the code's ``Random-d`` construction (see the
    module docstring): ``degree`` permutations, both directions, m = 2 n degree; the complete
    graph without self-loops for n <= 10."""
    if n <= 10:
        i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        keep = i != j
        return np.stack([i[keep], j[keep]]).astype(np.int64)
    d = min(degree, n - 1)
    bound = max(0.0, 2 * d - 2 * math.sqrt(2 * d - 1) - 0.1)
    best, best_gap = None, -1.0
    for _ in range(max(1, max_iters)):
        senders = np.tile(np.arange(n), d)
        receivers = np.concatenate([rng.permutation(n) for _ in range(d)])
        edges = np.stack([np.concatenate([senders, receivers]),
                          np.concatenate([receivers, senders])]).astype(np.int64)
        gap = spectral_gap(edges[0], edges[1], n)
        if gap > best_gap:
            best, best_gap = edges, gap
        if gap >= bound:
            break
    return best


def attention_edges(edge_index: torch.Tensor, expander: torch.Tensor, batch: torch.Tensor,
                    num_graphs: int, virtual: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The attention edge list of a batch of n nodes: local edges (type 0), expander edges
    (type 1), then per virtual node v (node id n + v B + g for graph g, the code's layout)
    node -> virtual (type 2 + 2v) and virtual -> node (type 3 + 2v). Returns (edge_index
    (2, m), edge_type (m,))."""
    n = batch.shape[0]
    dev = edge_index.device
    parts = [edge_index, expander]
    types = [torch.zeros(edge_index.shape[1], dtype=torch.long, device=dev),
             torch.ones(expander.shape[1], dtype=torch.long, device=dev)]
    nodes = torch.arange(n, device=dev)
    for v in range(virtual):
        hub = batch + n + v * num_graphs
        parts += [torch.stack([nodes, hub]), torch.stack([hub, nodes])]
        types += [torch.full((n,), 2 + 2 * v, dtype=torch.long, device=dev),
                  torch.full((n,), 3 + 2 * v, dtype=torch.long, device=dev)]
    return torch.cat(parts, dim=1), torch.cat(types)


class ExphormerAttention(nn.Module):
    """Sparse multi-head attention over given edges (the code's ``ExphormerAttention``).

    Shapes: h (N, hidden), edge_index (2, m) src -> dst, edge_attr (m, hidden) ->
    (N, hidden); with ``return_weights`` also the (m, heads) normalised weights
    score_e / (sum of the scores into dst + 1e-6). ``edge_type`` (m,): ``edge_attr`` is then
    a table (types, hidden) and edge e's row is ``edge_attr[edge_type[e]]`` (E applied to the
    table, the same numbers as to every edge's row).
    """

    def __init__(self, hidden: int, heads: int) -> None:
        super().__init__()
        if hidden % heads:
            raise ValueError(f"hidden = {hidden} must be a multiple of heads = {heads}")
        self.heads, self.dim = heads, hidden // heads
        self.Q, self.K, self.V, self.E = (nn.Linear(hidden, hidden, bias=False)
                                          for _ in range(4))

    def reset_parameters(self) -> None:
        for lin in (self.Q, self.K, self.V, self.E):
            lin.reset_parameters()

    def forward(self, h: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor,
                return_weights: bool = False, edge_type: torch.Tensor | None = None):
        shape = (-1, self.heads, self.dim)
        # 1 / sqrt(d) on the queries (n rows, not m)
        q = (self.Q(h) / math.sqrt(self.dim)).view(shape)
        k, v = self.K(h).view(shape), self.V(h).view(shape)
        e = self.E(edge_attr)
        src, dst = edge_index[0], edge_index[1]
        if edge_type is None:
            key = k[src] * e.view(shape)
        else:  # K_src * E_type per (node, type) first: T n rows instead of m
            n_types = e.shape[0]
            ke = k.unsqueeze(1) * e.view(1, n_types, self.heads, self.dim)
            key = ke.view(-1, self.heads, self.dim)[src * n_types + edge_type]
        score = (key * q[dst]).sum(-1, keepdim=True)
        score = score.clamp(-SCORE_CLAMP, SCORE_CLAMP).exp()           # (m, heads, 1)
        z = score.new_zeros(h.shape[0], self.heads, 1).index_add_(0, dst, score)
        wv = v.new_zeros(h.shape[0], self.heads, self.dim).index_add_(0, dst, v[src] * score)
        out = (wv / (z + Z_EPS)).reshape(h.shape[0], -1)
        if return_weights:
            return out, (score / (z[dst] + Z_EPS)).squeeze(-1)
        return out


class GPSBlock(nn.Module):
    """One GraphGPS layer (the codes' ``MultiLayer`` / ``GPSLayer`` with batch norm): local
    GIN and a global module, each with a residual and batch norm, summed, then the
    feed-forward block with a residual and batch norm. ``global_fn(h) -> (n, hidden)`` is
    the caller's (Exphormer's attention, GraphMamba's scan).

    Shapes: h (n, hidden), adjacency of n nodes -> (n, hidden).
    """

    def __init__(self, hidden: int, dropout: float) -> None:
        super().__init__()
        from imbgraph.graphcls.models import GINLayer  # models imports this module

        self.local = GINLayer(nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(),
                                            nn.Linear(hidden, hidden)))
        self.norm_local, self.norm_global = nn.BatchNorm1d(hidden), nn.BatchNorm1d(hidden)
        self.ff1, self.ff2 = nn.Linear(hidden, 2 * hidden), nn.Linear(2 * hidden, hidden)
        self.norm_ff = nn.BatchNorm1d(hidden)
        self.dropout = dropout

    def reset_parameters(self) -> None:
        for m in (self.local, self.norm_local, self.norm_global, self.ff1, self.ff2,
                  self.norm_ff):
            m.reset_parameters()

    def forward(self, h: torch.Tensor, adj, global_out: torch.Tensor) -> torch.Tensor:
        drop = lambda t: F.dropout(t, self.dropout, self.training)  # noqa: E731
        local = self.norm_local(h + drop(self.local(h, adj)))
        glob = self.norm_global(h + drop(global_out))
        h = local + glob
        return self.norm_ff(h + drop(self.ff2(drop(F.relu(self.ff1(h))))))


class ExphormerEncoder(nn.Module):
    r"""Exphormer: GraphGPS layers whose global module is sparse attention over local +
    expander + virtual-node edges (see the module docstring).

    Args:
        in_channels (int): node feature width F.
        pe_dim (int): PE width P (0: none; the PE is added after a linear map, as GPS's).
        hidden (int): width (default: 64). layers (int): default 3.
        heads (int): attention heads (default: 4, the code's ``n_heads``).
        degree (int): expander permutations d (default: 5, ``exp_deg``; degree 2d).
        virtual_nodes (int): virtual nodes per graph (default: 1, ``num_virt_node``).
        exp_max_iters (int): expander redraws for the spectral gap (default: 100).
        expander_seed (int): seed of the per-graph expander draws (default: 0).
        readout (str): ``"sum"`` or ``"mean"`` (default: ``"sum"``; the code's ``mean``).
        dropout (float): the layers' dropout (default: 0.1, the code's configs).

    Shapes:
        - **input:** a GraphBatch (``ids`` index the per-graph expander cache)
        - **output:** graph embeddings (B, hidden), node embeddings (n, hidden)
    """

    def __init__(self, in_channels: int, pe_dim: int = 0, *, hidden: int = 64, layers: int = 3,
                 heads: int = 4, degree: int = 5, virtual_nodes: int = 1,
                 exp_max_iters: int = 100, expander_seed: int = 0, readout: str = "sum",
                 dropout: float = 0.1) -> None:
        super().__init__()
        if hidden % heads:
            raise ValueError(f"hidden = {hidden} must be a multiple of heads = {heads}")
        self.in_channels, self.pe_dim, self.hidden = in_channels, pe_dim, hidden
        self.degree, self.virtual, self.exp_max_iters = degree, virtual_nodes, exp_max_iters
        self.expander_seed, self.readout = expander_seed, readout
        self.inp = nn.Linear(in_channels, hidden)
        self.pe_in = nn.Linear(pe_dim, hidden) if pe_dim else None
        self.edge_emb = nn.Embedding(2 + 2 * virtual_nodes, hidden)  # one vector per edge type
        self.virt_emb = nn.Embedding(virtual_nodes, hidden) if virtual_nodes else None
        self.attn = nn.ModuleList([ExphormerAttention(hidden, heads) for _ in range(layers)])
        self.blocks = nn.ModuleList([GPSBlock(hidden, dropout) for _ in range(layers)])

    def reset_parameters(self) -> None:
        for m in self.modules():
            if m is not self and hasattr(m, "reset_parameters"):
                m.reset_parameters()

    def expander(self, graph_id: int, n: int) -> torch.Tensor:
        """(2, m) expander edges of graph ``graph_id`` of n nodes, drawn once per process."""
        key = (self.expander_seed, graph_id, n, self.degree, self.exp_max_iters)
        if key not in _EXPANDERS:
            rng = np.random.default_rng([self.expander_seed, graph_id])
            _EXPANDERS[key] = torch.from_numpy(
                random_expander(n, self.degree, rng, self.exp_max_iters))
        return _EXPANDERS[key]

    def batch_expander(self, b: GraphBatch) -> torch.Tensor:
        ptr = b.ptr.cpu().tolist()
        parts = [self.expander(int(g), ptr[i + 1] - ptr[i]) + ptr[i]
                 for i, g in enumerate(b.ids.cpu().tolist())]
        return torch.cat(parts, dim=1).to(b.edge_index.device)

    def forward(self, b: GraphBatch, x: torch.Tensor | None = None,
                edge_index: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        from imbgraph.graphcls.models import _mean_pool, _sum_pool, adjacency

        h = self.inp(b.x if x is None else x)
        if self.pe_in is not None:
            h = h + self.pe_in(b.pe)
        n, B = h.shape[0], b.num_graphs
        ei = b.edge_index if edge_index is None else edge_index
        adj = adjacency(ei, n, h.dtype, symmetric_sorted=edge_index is None)
        att_ei, types = attention_edges(ei, self.batch_expander(b), b.batch, B, self.virtual)
        virt = (self.virt_emb.weight.repeat_interleave(B, dim=0) if self.virtual
                else h.new_zeros(0, self.hidden))
        for attn, block in zip(self.attn, self.blocks):
            out = attn(torch.cat([h, virt]), att_ei, self.edge_emb.weight, edge_type=types)
            virt = out[n:]  # the virtual nodes carry the attention output (the code's virt_h)
            h = block(h, adj, out[:n])
        pool = _sum_pool if self.readout == "sum" else _mean_pool
        return pool(h, b.batch, B), h

    def __repr__(self) -> str:
        return (f"ExphormerEncoder({self.in_channels}, pe={self.pe_dim}, hidden={self.hidden}, "
                f"layers={len(self.blocks)}, degree={self.degree}, virtual={self.virtual})")
