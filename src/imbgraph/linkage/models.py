"""Linkage models: L-GCN (Wang et al., CVPR 2019), the baseline model of DIGL."""

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

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.lin = nn.Linear(2 * in_channels, out_channels)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.lin.weight)
        nn.init.zeros_(self.lin.bias)

    def forward(self, x: torch.Tensor, adj: torch.Tensor) -> torch.Tensor:
        agg = torch.sparse.mm(adj, x)
        return torch.relu(self.lin(torch.cat([x, agg], dim=1)))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_channels}, {self.out_channels})"


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
        self.in_channels = in_channels
        self.hidden = tuple(hidden)
        self.bn = nn.BatchNorm1d(in_channels, affine=False)
        widths = (in_channels, *self.hidden)
        self.convs = nn.ModuleList(MeanAggConv(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.classifier = nn.Sequential(
            nn.Linear(widths[-1], head), nn.PReLU(head), nn.Linear(head, 2)
        )

    def forward(self, x: torch.Tensor, adj: torch.Tensor, hop1: torch.Tensor) -> torch.Tensor:
        x = self.bn(x)
        for conv in self.convs:
            x = conv(x, adj)
        return self.classifier(x[hop1])

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_channels}, hidden={list(self.hidden)})"


MODELS: dict[str, Callable[..., nn.Module]] = {"lgcn": LGCN}


def get_model(name: str, in_channels: int, **params) -> nn.Module:
    """Build a model by config name (``model.name``) with its hyperparameters."""
    if name not in MODELS:
        raise KeyError(f"model = {name!r}; expected one of {sorted(MODELS)}")
    return MODELS[name](in_channels, **params)
