"""Graph encoders (``MODELS``) and the classifier head every method shares.

* ``gin``: GIN layers, each MLP = Linear-BatchNorm-ReLU-Linear-ReLU (as UniImb's and
  G2GNN's code), with the random-walk PE fed in one of two ways: ``pe_mode: path`` (UniImb's
  backbone: the PE is projected to the input width, added to the node features, and runs
  through its own GIN stack whose output is added before every later layer) or ``add`` (added
  once at the input); ``none`` ignores it. Readout ``sum`` (UniImb, G2GNN) or ``mean``.
  Optionally UniImb's "LapPE" branch after the first layer (``lap_branch: official``), which
  reduces to a per-graph function of (node count, trace of the Laplacian): see
  :mod:`imbgraph.graphcls.encodings` and :meth:`GINEncoder.lap_pe`.
  A layer (:class:`GINLayer`) is PyG's ``GINConv`` (same parameters, buffer ``eps`` and
  state-dict names; same numbers, tests/graphcls/test_models.py) with the neighbour sum done
  as one CSR product, built once per batch and shared by all 2 x layers - 1 convolutions: it
  sums in PyG's order (bitwise the same sums) and skips the (e, hidden) message tensor and
  PyG's per-call overhead. A training epoch takes 0.85-0.97x the time of the plain PyG model
  of the same layers (1.0x with GINConv); the PE path's own GIN stack is what makes it cost
  1.4-2x a GIN without one (benchmarks/bench_graphcls_epoch.py).
* ``gps``: GraphGPS (PyG ``GPSConv``): a local GINConv plus global multi-head attention per
  layer, the PE added at the input.

An encoder maps a :class:`~imbgraph.graphcls.collection.GraphBatch` to graph embeddings
(B, hidden) and node embeddings (n, hidden) (the latter for InfoGraph).
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from imbgraph.errors import ConfigError
from imbgraph.graphcls.collection import GraphBatch
from imbgraph.sparse import SpMM, csr

__all__ = ["MODELS", "GINEncoder", "GINLayer", "GPSEncoder", "MLPHead", "build_encoder",
           "encoder_and_batcher",
           "READOUTS", "PE_MODES", "LAP_BRANCHES"]


def _gin_mlp(i: int, h: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(i, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Linear(h, h), nn.ReLU())


Adjacency = tuple[torch.Tensor, torch.Tensor]


def adjacency(edge_index: torch.Tensor, n: int, dtype: torch.dtype = torch.float32, *,
              symmetric_sorted: bool = False) -> Adjacency:
    """(A, A^T) as CSR matrices (n, n) with A[d, s] = number of edges s -> d, so ``A @ x``
    is PyG's sum aggregation (flow source -> target). Rows list their columns in edge order
    (a stable sort by target), so the sums run in the order of PyG's scatter: the same bits.

    ``symmetric_sorted``: the caller guarantees what a
    :class:`~imbgraph.graphcls.collection.GraphCollection` batch's edge list is, both
    directions of every edge, sorted by (source, target); then A = A^T with the same layout,
    read off the edge list without sorting (one CSR, returned twice).
    """
    src, dst = edge_index[0], edge_index[1]
    ones = torch.ones(src.shape[0], dtype=dtype, device=src.device)
    bounds = torch.arange(n + 1, device=src.device)
    # int32 indices: what the CPU kernel takes (int64 ones are converted at every product)
    if symmetric_sorted:
        a = csr(torch.searchsorted(src, bounds, out_int32=True), dst.to(torch.int32), ones,
                (n, n))
        return a, a
    out = []
    for row, col in ((dst, src), (src, dst)):
        row_sorted, order = torch.sort(row, stable=True)
        out.append(csr(torch.searchsorted(row_sorted, bounds, out_int32=True),
                       col[order].to(torch.int32), ones, (n, n)))
    return out[0], out[1]


def _reset(module: nn.Module) -> None:
    """PyG's ``reset``: the module's own reset_parameters, else its children's, recursively
    (the same parameter draws in the same order)."""
    if hasattr(module, "reset_parameters"):
        module.reset_parameters()
    else:
        for child in module.children():
            _reset(child)


class GINLayer(nn.Module):
    r"""PyG's ``GINConv`` (Xu et al. 2019), x' = MLP((1 + eps) x + sum of in-neighbours' x),
    eps a fixed buffer (0; ``train_eps=False``), on an :func:`adjacency`: the same parameters,
    state-dict names and numbers as ``GINConv(mlp)``.

    Shapes: x (n, F), adjacency of n nodes -> (n, out of ``mlp``).
    """

    def __init__(self, mlp: nn.Module, eps: float = 0.0) -> None:
        super().__init__()
        self.nn = mlp
        self.initial_eps = eps
        self.register_buffer("eps", torch.empty(1))
        self.reset_parameters()  # as GINConv: the same draws, so seeded runs are unchanged

    def reset_parameters(self) -> None:
        _reset(self.nn)
        self.eps.data.fill_(self.initial_eps)

    def forward(self, x: torch.Tensor, adj: Adjacency) -> torch.Tensor:
        out = SpMM.apply(adj[0], adj[1], x)
        return self.nn(out + (1 + self.eps) * x)

    def __repr__(self) -> str:
        return f"GINLayer(nn={self.nn})"


def _sum_pool(x: torch.Tensor, batch: torch.Tensor, size: int) -> torch.Tensor:
    return x.new_zeros((size, x.shape[1])).index_add_(0, batch, x)


def _mean_pool(x: torch.Tensor, batch: torch.Tensor, size: int) -> torch.Tensor:
    count = torch.bincount(batch, minlength=size).clamp_(min=1).to(x.dtype)
    return _sum_pool(x, batch, size) / count[:, None]


def _readout(name: str) -> Callable:
    from torch_geometric.nn import global_add_pool, global_mean_pool

    return {"sum": global_add_pool, "mean": global_mean_pool}[name]


READOUTS = ("sum", "mean")
PE_MODES = ("path", "add", "none")
LAP_BRANCHES = ("none", "official")


class GINEncoder(nn.Module):
    r"""GIN with random-walk positional encodings.

    Args:
        in_channels (int): node feature width F.
        pe_dim (int): PE width P (0: no PE).
        hidden (int): width of every layer (default: 64; UniImb and G2GNN use 128).
        layers (int): GIN layers (default: 3; the reference codes use 5).
        readout (str): ``"sum"`` or ``"mean"`` (default: ``"sum"``).
        pe_mode (str): ``"path"``, ``"add"`` or ``"none"`` (default: ``"path"``).
        dropout (float): dropout after every layer (default: 0, as UniImb).
        lap_branch (str): ``"official"``: UniImb's LapPE branch (parameters ``eigVmlp``,
            ``eigSmlp``: Linear(1, hidden), ``MLPbackbone``: Linear(hidden, hidden), as named
            there), its output added after the first layer (after its dropout); reads
            ``lap`` of the batch. ``"none"`` (default): no branch (UniImb's
            ``--memory_error=True``).

    Shapes:
        - **input:** a GraphBatch with x (n, F), edge_index (2, e), batch (n,),
          pe (n, P) (with a PE), lap (n, 2) (with ``lap_branch="official"``: each node's
          graph's (node count, trace of its Laplacian),
          :func:`~imbgraph.graphcls.encodings.laplacian_spectrum_stats`)
        - **output:** graph embeddings (B, hidden), node embeddings (n, hidden)
    """

    def __init__(self, in_channels: int, pe_dim: int = 0, *, hidden: int = 64, layers: int = 3,
                 readout: str = "sum", pe_mode: str = "path", dropout: float = 0.0,
                 lap_branch: str = "none") -> None:
        super().__init__()
        if readout not in READOUTS:
            raise ValueError(f"readout = {readout!r}; expected one of {READOUTS}")
        if pe_mode not in PE_MODES:
            raise ValueError(f"pe_mode = {pe_mode!r}; expected one of {PE_MODES}")
        if lap_branch not in LAP_BRANCHES:
            raise ValueError(f"lap_branch = {lap_branch!r}; expected one of {LAP_BRANCHES}")
        self.in_channels, self.pe_dim, self.hidden = in_channels, pe_dim, hidden
        self.readout, self.pe_mode, self.dropout = readout, pe_mode if pe_dim else "none", dropout
        self.lap_branch = lap_branch
        self.convs = nn.ModuleList(
            [GINLayer(_gin_mlp(in_channels if i == 0 else hidden, hidden)) for i in range(layers)])
        if self.pe_mode != "none":
            self.pe_in = nn.Linear(pe_dim, in_channels)
        if self.pe_mode == "path":
            self.pe_convs = nn.ModuleList(
                [GINLayer(_gin_mlp(in_channels if i == 0 else hidden, hidden))
                 for i in range(layers - 1)])
        if lap_branch == "official":
            self.eigVmlp, self.eigSmlp = nn.Linear(1, hidden), nn.Linear(1, hidden)
            self.MLPbackbone = nn.Linear(hidden, hidden)
        self._pool = _sum_pool if readout == "sum" else _mean_pool

    def reset_parameters(self) -> None:
        for m in self.modules():
            if m is not self and hasattr(m, "reset_parameters"):
                m.reset_parameters()

    def lap_pe(self, b: GraphBatch) -> torch.Tensor:
        r"""UniImb's LapPE branch, (n, hidden): for node i of a graph of n nodes with
        unnormalised Laplacian V diag(lam) V^T the official code computes
        ``MLPbackbone(sum_{j<n} eigVmlp(V_ij) + eigVmlp(-V_ij) + eigSmlp(lam_j))``. The two
        maps are affine, so the eigenvector terms cancel to 2 b_V and the sum is
        n (2 b_V + b_S) + trace(L) W_S: a linear map of the node's row (n, trace) of ``b.lap``,
        [n, trace] @ M @ W_B^T + b_B with M = [2 b_V + b_S; W_S^T] (2, hidden), here one
        (n, 2) x (2, hidden) product. Equal to the literal computation up to float rounding
        (outputs and gradients; ``eigVmlp.weight`` gets a zero gradient, as there, through
        eigVmlp(0) + eigVmlp(-0) = 2 b_V), without any eigendecomposition.
        """
        if b.lap is None:
            raise ValueError("lap_branch = 'official' needs the batch's lap (node count, "
                             "Laplacian trace per node: encodings.laplacian_spectrum_stats)")
        zero = b.lap.new_zeros(1, 1)
        m = torch.cat([self.eigVmlp(zero) + self.eigVmlp(-zero) + self.eigSmlp.bias,
                       self.eigSmlp.weight.t()])  # (2, hidden): rows for n and for trace
        return torch.addmm(self.MLPbackbone.bias, b.lap, F.linear(m, self.MLPbackbone.weight))

    def forward(self, b: GraphBatch, x: torch.Tensor | None = None,
                edge_index: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        x = b.x if x is None else x
        if edge_index is None or edge_index is b.edge_index:
            # a collection's batch: symmetric and sorted (adjacency's fast path)
            adj = adjacency(b.edge_index, x.shape[0], x.dtype, symmetric_sorted=True)
        else:  # e.g. an augmented view: any edge list
            adj = adjacency(edge_index, x.shape[0], x.dtype)
        pe = None
        if self.pe_mode != "none":
            pe = self.pe_in(b.pe)
            x = x + pe
        for i, conv in enumerate(self.convs):
            if i > 0 and self.pe_mode == "path":
                pe = self.pe_convs[i - 1](pe, adj)
                x = x + pe
            x = conv(x, adj)
            if self.dropout:
                x = F.dropout(x, self.dropout, self.training)
            if i == 0 and self.lap_branch == "official":
                x = x + self.lap_pe(b)
        return self._pool(x, b.batch, b.num_graphs), x

    def __repr__(self) -> str:
        lap = f", lap_branch={self.lap_branch}" if self.lap_branch != "none" else ""
        return (f"GINEncoder({self.in_channels}, pe={self.pe_dim}, hidden={self.hidden}, "
                f"layers={len(self.convs)}, readout={self.readout}, pe_mode={self.pe_mode}{lap})")


class GPSEncoder(nn.Module):
    r"""GraphGPS (Rampasek et al. 2022) with PyG's ``GPSConv``: a GINConv for local message
    passing plus multi-head self-attention over each graph's nodes, per layer.

    Shapes:
        - **input:** a GraphBatch (pe (n, P) added after a linear map at the input)
        - **output:** graph embeddings (B, hidden), node embeddings (n, hidden)
    """

    def __init__(self, in_channels: int, pe_dim: int = 0, *, hidden: int = 64, layers: int = 3,
                 heads: int = 4, readout: str = "sum", dropout: float = 0.0,
                 attn_dropout: float = 0.5) -> None:
        super().__init__()
        from torch_geometric.nn import GINConv, GPSConv

        if hidden % heads:
            raise ValueError(f"hidden = {hidden} must be a multiple of heads = {heads}")
        self.in_channels, self.pe_dim, self.hidden = in_channels, pe_dim, hidden
        self.inp = nn.Linear(in_channels, hidden)
        self.pe_in = nn.Linear(pe_dim, hidden) if pe_dim else None
        self.convs = nn.ModuleList([
            GPSConv(hidden, GINConv(nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(),
                                                  nn.Linear(hidden, hidden))),
                    heads=heads, dropout=dropout, attn_type="multihead",
                    attn_kwargs={"dropout": attn_dropout})
            for _ in range(layers)])
        self.readout = readout
        self._pool = _readout(readout)

    def reset_parameters(self) -> None:
        for m in self.modules():
            if m is not self and hasattr(m, "reset_parameters"):
                m.reset_parameters()

    def forward(self, b: GraphBatch, x: torch.Tensor | None = None,
                edge_index: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.inp(b.x if x is None else x)
        if self.pe_in is not None:
            h = h + self.pe_in(b.pe)
        ei = b.edge_index if edge_index is None else edge_index
        for conv in self.convs:
            h = conv(h, ei, b.batch)
        return self._pool(h, b.batch, size=b.num_graphs), h

    def __repr__(self) -> str:
        return (f"GPSEncoder({self.in_channels}, pe={self.pe_dim}, hidden={self.hidden}, "
                f"layers={len(self.convs)})")


class MLPHead(nn.Module):
    """Linear-ReLU-Dropout-Linear classifier on graph embeddings (G2GNN's ``MLP_Classifier``).

    Shapes: (B, hidden) -> (B, n_classes) logits.
    """

    def __init__(self, hidden: int, n_classes: int, dropout: float = 0.5) -> None:
        super().__init__()
        self.lin1, self.lin2 = nn.Linear(hidden, hidden), nn.Linear(hidden, n_classes)
        self.dropout = dropout

    def reset_parameters(self) -> None:
        self.lin1.reset_parameters()
        self.lin2.reset_parameters()

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.lin2(F.dropout(self.lin1(h).relu(), self.dropout, self.training))


MODELS: dict[str, type[nn.Module]] = {"gin": GINEncoder, "gps": GPSEncoder}

# The sparse graph transformers (their modules import this one's pieces inside functions).
from imbgraph.graphcls.exphormer import ExphormerEncoder  # noqa: E402
from imbgraph.graphcls.mamba import GraphMambaEncoder  # noqa: E402

MODELS.update(exphormer=ExphormerEncoder, mamba=GraphMambaEncoder)


def encoder_and_batcher(model: dict, collection, pe, device) -> tuple[nn.Module, Callable]:
    """The encoder of a resolved model entry on ``collection`` and the function that gathers
    its input batches (ids -> :class:`GraphBatch` on ``device``): the random-walk PE ``pe``
    (unless ``pe_mode: none``) and, for UniImb's Laplacian branch, each node's graph's (node
    count, trace L) of the clean graph (the code decomposes the graphs once, before any
    perturbation). Every method and the pre-training build their encoder here."""
    from imbgraph.graphcls.encodings import laplacian_spectrum_stats

    pe_t = None if pe is None or model.get("pe_mode") == "none" else torch.from_numpy(pe)
    encoder = build_encoder(model, collection.num_features,
                            0 if pe_t is None else int(pe_t.shape[1]))
    lap_t = (torch.from_numpy(laplacian_spectrum_stats(collection))
             if model.get("lap_branch", "none") != "none" else None)

    def graph_batch(ids) -> GraphBatch:
        return collection.batch(ids, pe_t, lap=lap_t).to(device)

    return encoder, graph_batch


def build_encoder(model: dict, in_channels: int, pe_dim: int) -> nn.Module:
    """The encoder of a resolved model entry ``{"name": ..., **params}``."""
    name = model["name"]
    if name not in MODELS:
        raise ConfigError(f"model name = {name!r}; expected one of {sorted(MODELS)}")
    params = {k: v for k, v in model.items() if k not in ("name", "label")}
    return MODELS[name](in_channels, pe_dim, **params)
