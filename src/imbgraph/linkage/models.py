"""Linkage models: L-GCN (Wang et al., CVPR 2019), the baseline model of DIGL, and RGCN
(Neurocomputing 2021), its deep residual variant.

A model's ``normalization`` attribute names the adjacency it consumes: ``"row"`` (mean over
neighbours, L-GCN) or ``"sym"`` (D^-1/2 A D^-1/2, RGCN); the batch provides both."""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import nn


class MeanAggConv(nn.Module):
    r"""L-GCN graph convolution :math:`\mathrm{ReLU}([X \,\|\, AX]\,W + b)`.

    ``A`` is the row-normalised adjacency, so ``AX`` is the mean over neighbours (a node
    without neighbours aggregates zeros). This is PyG's ``SAGEConv(aggr="mean")`` with a
    root weight; it is written with one ``torch.sparse.mm`` because importing torch-geometric
    costs about a second per job, and the pipeline runs hundreds of short jobs.

    Shapes:
        - **input:** node features (N, F_in), sparse adjacency (N, N)
        - **output:** node features (N, F_out)
    """

    def __init__(self, in_channels: int, out_channels: int, *, bias: bool = True) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.lin = nn.Linear(2 * in_channels, out_channels, bias=bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.lin.weight)
        if self.lin.bias is not None:
            nn.init.zeros_(self.lin.bias)

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        agg = torch.sparse.mm(adj, x)
        return torch.relu(self.lin(torch.cat([x, agg], dim=1)))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_channels}, {self.out_channels})"


class LinkHead(nn.Sequential):
    """Linear-PReLU-Linear classifier of hop-1 node embeddings into not linked / linked."""

    def __init__(self, in_channels: int, hidden: int) -> None:
        super().__init__(nn.Linear(in_channels, hidden), nn.PReLU(hidden), nn.Linear(hidden, 2))


class LGCN(nn.Module):
    """L-GCN: non-affine BatchNorm, stacked :class:`MeanAggConv`, a head on hop-1 nodes.

    Args:
        in_channels: feature dimension D.
        hidden: widths of the graph convolutions (default: (512, 512, 256, 256), the paper's).
        head: width of the Linear-PReLU-Linear classifier (default: 256).

    Shapes:
        - **input:** x (N, D), adj sparse (N, N), hop1 (H,) row indices into x
        - **output:** logits (H, 2) for "not linked" / "linked" to the pivot
    """

    def __init__(
        self, in_channels: int, hidden: Sequence[int] = (512, 512, 256, 256), head: int = 256
    ) -> None:
        super().__init__()
        self.normalization = "row"
        self.in_channels = in_channels
        self.hidden = tuple(hidden)
        self.bn = nn.BatchNorm1d(in_channels, affine=False)
        widths = (in_channels, *self.hidden)
        self.convs = nn.ModuleList(MeanAggConv(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.classifier = LinkHead(widths[-1], head)

    def forward(self, x: torch.Tensor, adj: torch.Tensor, hop1: torch.Tensor) -> torch.Tensor:
        x = self.bn(x)
        for conv in self.convs:
            x = conv(x, adj)
        return self.classifier(x[hop1])

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_channels}, hidden={list(self.hidden)})"


class ResidualBlock(nn.Module):
    """``layers`` graph convolutions with an identity shortcut: G + Phi(G) (RGCN eq. 4).

    Shapes:
        - **input:** node features (N, F), sparse adjacency (N, N)
        - **output:** node features (N, F)
    """

    def __init__(self, channels: int, layers: int = 4) -> None:
        super().__init__()
        self.convs = nn.ModuleList(MeanAggConv(channels, channels) for _ in range(layers))

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        h = x
        for conv in self.convs:
            h = conv(h, adj)
        return x + h


class RGCN(nn.Module):
    """RGCN: residual blocks of graph convolutions over D^-1/2 A D^-1/2 (RGCN-16: 4 x 4).

    The input passes the same non-affine BatchNorm as L-GCN; when the feature dimension
    differs from ``hidden`` a linear projection maps it first (the paper keeps the width, so
    no projection is needed when ``hidden`` equals D). The link head is L-GCN's.

    Args:
        in_channels: feature dimension D.
        hidden: width of every block (default: 256, the features' width in the paper).
        blocks: residual blocks (default: 4).
        layers_per_block: graph convolutions per block (default: 4).
        head: width of the Linear-PReLU-Linear classifier (default: 256).

    Shapes:
        - **input:** x (N, D), adj sparse (N, N) symmetrically normalised, hop1 (H,)
        - **output:** logits (H, 2)
    """

    def __init__(
        self, in_channels: int, hidden: int = 256, blocks: int = 4, layers_per_block: int = 4,
        head: int = 256,
    ) -> None:
        super().__init__()
        self.normalization = "sym"
        self.in_channels, self.hidden = in_channels, hidden
        self.bn = nn.BatchNorm1d(in_channels, affine=False)
        self.project = nn.Identity() if hidden == in_channels else nn.Linear(in_channels, hidden)
        self.blocks = nn.ModuleList(ResidualBlock(hidden, layers_per_block) for _ in range(blocks))
        self.classifier = LinkHead(hidden, head)

    def embed(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        x = self.project(self.bn(x))
        for block in self.blocks:
            x = block(x, adj)
        return x

    def forward(self, x: torch.Tensor, adj: torch.Tensor, hop1: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.embed(x, adj)[hop1])

    def __repr__(self) -> str:
        depth = sum(len(b.convs) for b in self.blocks)
        return f"{self.__class__.__name__}-{depth}({self.in_channels}, hidden={self.hidden})"


MODELS: dict[str, Callable[..., nn.Module]] = {"lgcn": LGCN, "rgcn": RGCN}


def get_model(name: str, in_channels: int, **params) -> nn.Module:
    """Build a model by config name (``model.name``) with its hyperparameters."""
    if name not in MODELS:
        raise KeyError(f"model = {name!r}; expected one of {sorted(MODELS)}")
    return MODELS[name](in_channels, **params)
