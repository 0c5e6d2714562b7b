"""Graph encoders (``MODELS``) and the classifier head every method shares.

* ``gin``: PyG ``GINConv`` layers, each MLP = Linear-BatchNorm-ReLU-Linear-ReLU (as UniImb's and
  G2GNN's code), with the random-walk PE fed in one of two ways: ``pe_mode: path`` (UniImb's
  backbone: the PE is projected to the input width, added to the node features, and runs
  through its own GIN stack whose output is added before every later layer) or ``add`` (added
  once at the input); ``none`` ignores it. Readout ``sum`` (UniImb, G2GNN) or ``mean``.
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

__all__ = ["MODELS", "GINEncoder", "GPSEncoder", "MLPHead", "build_encoder", "READOUTS"]


def _gin_mlp(i: int, h: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(i, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Linear(h, h), nn.ReLU())


def _readout(name: str) -> Callable:
    from torch_geometric.nn import global_add_pool, global_mean_pool

    return {"sum": global_add_pool, "mean": global_mean_pool}[name]


READOUTS = ("sum", "mean")
PE_MODES = ("path", "add", "none")


class GINEncoder(nn.Module):
    r"""GIN with random-walk positional encodings.

    Args:
        in_channels (int): node feature width F.
        pe_dim (int): PE width P (0: no PE).
        hidden (int): width of every layer (default: 64; UniImb and G2GNN use 128).
        layers (int): GINConv layers (default: 3; the reference codes use 5).
        readout (str): ``"sum"`` or ``"mean"`` (default: ``"sum"``).
        pe_mode (str): ``"path"``, ``"add"`` or ``"none"`` (default: ``"path"``).

    Shapes:
        - **input:** a GraphBatch with x (n, F), edge_index (2, e), batch (n,), pe (n, P)
        - **output:** graph embeddings (B, hidden), node embeddings (n, hidden)
    """

    def __init__(self, in_channels: int, pe_dim: int = 0, *, hidden: int = 64, layers: int = 3,
                 readout: str = "sum", pe_mode: str = "path", dropout: float = 0.0) -> None:
        super().__init__()
        from torch_geometric.nn import GINConv

        if readout not in READOUTS:
            raise ValueError(f"readout = {readout!r}; expected one of {READOUTS}")
        if pe_mode not in PE_MODES:
            raise ValueError(f"pe_mode = {pe_mode!r}; expected one of {PE_MODES}")
        self.in_channels, self.pe_dim, self.hidden = in_channels, pe_dim, hidden
        self.readout, self.pe_mode, self.dropout = readout, pe_mode if pe_dim else "none", dropout
        self.convs = nn.ModuleList(
            [GINConv(_gin_mlp(in_channels if i == 0 else hidden, hidden)) for i in range(layers)])
        if self.pe_mode != "none":
            self.pe_in = nn.Linear(pe_dim, in_channels)
        if self.pe_mode == "path":
            self.pe_convs = nn.ModuleList(
                [GINConv(_gin_mlp(in_channels if i == 0 else hidden, hidden))
                 for i in range(layers - 1)])
        self._pool = _readout(readout)

    def reset_parameters(self) -> None:
        for m in self.modules():
            if m is not self and hasattr(m, "reset_parameters"):
                m.reset_parameters()

    def forward(self, b: GraphBatch, x: torch.Tensor | None = None,
                edge_index: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        x = b.x if x is None else x
        ei = b.edge_index if edge_index is None else edge_index
        pe = None
        if self.pe_mode != "none":
            pe = self.pe_in(b.pe)
            x = x + pe
        for i, conv in enumerate(self.convs):
            if i > 0 and self.pe_mode == "path":
                pe = self.pe_convs[i - 1](pe, ei)
                x = x + pe
            x = conv(x, ei)
            if self.dropout:
                x = F.dropout(x, self.dropout, self.training)
        return self._pool(x, b.batch, size=b.num_graphs), x

    def __repr__(self) -> str:
        return (f"GINEncoder({self.in_channels}, pe={self.pe_dim}, hidden={self.hidden}, "
                f"layers={len(self.convs)}, readout={self.readout}, pe_mode={self.pe_mode})")


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


def build_encoder(model: dict, in_channels: int, pe_dim: int) -> nn.Module:
    """The encoder of a resolved model entry ``{"name": ..., **params}``."""
    name = model["name"]
    if name not in MODELS:
        raise ConfigError(f"model name = {name!r}; expected one of {sorted(MODELS)}")
    params = {k: v for k, v in model.items() if k not in ("name", "label")}
    return MODELS[name](in_channels, pe_dim, **params)
