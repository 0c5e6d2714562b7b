"""Graph augmentations on a mini-batch (``AUGMENTATIONS``), vectorised over its graphs.

* ``remove_edge``: drop every directed edge independently with probability ``ratio`` (PyG's
  ``dropout_edge``, as G2GNN's ``remove_edge``); a per-graph ratio is allowed.
* ``mask_node``: zero the features of floor(n_g * ratio) random nodes of every graph g (G2GNN's
  ``drop_node`` and UniImb's masking; G2GNN counts over the whole batch, here per graph so a
  small graph is not left untouched by chance).

:class:`PersonalisedPerturbation` is UniImb's "personalised graph perturbation": a small MLP
of each graph's average degree gives that graph's edge-drop and node-mask ratios. In the public
code its output is read with ``.item()``, so no gradient reaches the MLP: the ratios are a fixed
random function of the degree set by the initialisation (dropout inside the MLP makes them vary
during training). We keep that, and apply the perturbation during training only (the code also
perturbs at evaluation, which makes test predictions random; listed in the README).

Random draws use torch's global generator, which every run seeds at its start.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from imbgraph.graphcls.collection import GraphBatch

__all__ = ["AUGMENTATIONS", "remove_edge", "mask_node", "PersonalisedPerturbation", "augment"]


def remove_edge(b: GraphBatch, ratio: float | torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(x, edge_index) with each edge kept with probability 1 - ratio; ``ratio`` is a float or a
    (B,) tensor of per-graph ratios."""
    ei = b.edge_index
    p = ratio if not torch.is_tensor(ratio) else ratio[b.batch[ei[0]]]
    keep = torch.rand(ei.shape[1], device=ei.device) >= p
    return b.x, ei[:, keep]


def mask_node(b: GraphBatch, ratio: float | torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(x, edge_index) with floor(n_g * ratio_g) random nodes of each graph g set to zero."""
    n = b.x.shape[0]
    sizes = b.ptr[1:] - b.ptr[:-1]
    dev = b.x.device
    r = ratio if torch.is_tensor(ratio) else torch.full((b.num_graphs,), float(ratio), device=dev)
    k = torch.floor(sizes.to(torch.float32) * r).to(torch.int64)
    # A random rank of every node within its graph: sort by (graph, random key).
    key = b.batch.to(torch.float64) + torch.rand(n, dtype=torch.float64, device=dev)
    order = torch.argsort(key)
    rank = torch.empty(n, dtype=torch.int64, device=dev)
    rank[order] = torch.arange(n, device=dev) - b.ptr[b.batch[order]]
    masked = rank < k[b.batch]
    return b.x.masked_fill(masked[:, None], 0.0), b.edge_index


AUGMENTATIONS: dict[str, Callable[..., tuple[torch.Tensor, torch.Tensor]]] = {
    "remove_edge": remove_edge,
    "mask_node": mask_node,
}


def augment(b: GraphBatch, name: str, ratio: float) -> tuple[torch.Tensor, torch.Tensor]:
    return AUGMENTATIONS[name](b, ratio)


class PersonalisedPerturbation(nn.Module):
    """Per-graph (edge-drop, node-mask) ratios = sigmoid(MLP([avg degree, avg degree])).

    Shapes: GraphBatch with B graphs -> (x (n, F), edge_index (2, e')) perturbed.
    """

    def __init__(self, hidden: int = 32, dropout: float = 0.5) -> None:
        super().__init__()
        self.lin1, self.lin2, self.dropout = nn.Linear(2, hidden), nn.Linear(hidden, 2), dropout

    def reset_parameters(self) -> None:
        self.lin1.reset_parameters()
        self.lin2.reset_parameters()

    def ratios(self, b: GraphBatch) -> torch.Tensor:
        sizes = (b.ptr[1:] - b.ptr[:-1]).to(torch.float32)
        edges = torch.bincount(b.batch[b.edge_index[0]], minlength=b.num_graphs).to(torch.float32)
        avg = (edges / sizes)[:, None].repeat(1, 2)
        h = F.dropout(self.lin1(avg).relu(), self.dropout, self.training)
        return torch.sigmoid(self.lin2(h)).detach()  # (B, 2); no gradient, as in the code

    def forward(self, b: GraphBatch) -> tuple[torch.Tensor, torch.Tensor]:
        r = self.ratios(b)
        _, ei = remove_edge(b, r[:, 0])
        x, _ = mask_node(b, r[:, 1])
        return x, ei
