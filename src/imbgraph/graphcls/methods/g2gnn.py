"""``g2gnn``: G2GNN (Wang et al., CIKM 2022). The supervised learner (with its augmentation
consistency) over the graph of graphs: a batch is padded with its kernel kNN neighbours
(:mod:`imbgraph.graphcls.kernel_knn`, cached per dataset; graph structure only, never their
labels), the encoder's graph embeddings are propagated ``prop_layers`` times with the
symmetric normalised adjacency of the induced kNN subgraph plus self loops (no weights), and
the head reads the batch's own rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from imbgraph.graphcls.methods.base import Built, MethodInputs
from imbgraph.graphcls.methods.supervised import Supervised

__all__ = ["G2GNN", "build", "gog_adjacency", "propagate"]


def gog_adjacency(ids: np.ndarray, knn: np.ndarray) -> tuple[np.ndarray, tuple]:
    """Pad graphs ``ids`` with their kNN neighbours and build the normalised graph-of-graphs
    adjacency of the padded set.

    Returns ``members`` (the padded graph ids, unique, sorted), the position of every id of
    ``ids`` in ``members`` is ``np.searchsorted(members, ids)``, and the (m, m) sparse tensor
    D^-1/2 (A + I) D^-1/2 of the kNN edges among ``members`` (both directions).
    """
    members = np.unique(np.concatenate([ids, knn[ids].reshape(-1)]))
    m = members.shape[0]
    src = np.repeat(members, knn.shape[1])
    dst = knn[members].reshape(-1)
    pos = np.searchsorted(members, dst)
    inside = (pos < m) & (members[np.minimum(pos, m - 1)] == dst)
    a = np.searchsorted(members, src[inside])
    b = pos[inside]
    r = np.concatenate([a, b, np.arange(m)])
    c = np.concatenate([b, a, np.arange(m)])
    key = np.unique(r * m + c)
    r, c = key // m, key % m
    deg = np.bincount(r, minlength=m).astype(np.float32)
    w = 1.0 / np.sqrt(deg[r] * deg[c])
    return members, (torch.from_numpy(np.stack([r, c])), torch.from_numpy(w))


def propagate(h: torch.Tensor, adj: tuple[torch.Tensor, torch.Tensor], layers: int) -> torch.Tensor:
    """``layers`` rounds of h <- A_hat h (no weights, as G2GNN's propagation); ``adj`` is the
    (edge_index (2, e), weight (e,)) pair of :func:`gog_adjacency`."""
    (r, c), w = adj
    for _ in range(layers):
        h = h.new_zeros(h.shape).index_add_(0, r, w[:, None] * h[c])
    return h


class G2GNN(Supervised):
    """:class:`~imbgraph.graphcls.methods.supervised.Supervised` over the kNN graph of graphs:
    batches are the dicts of :func:`build`'s batcher (``padded``: the GraphBatch of the batch
    and its neighbours, ``adj``: :func:`gog_adjacency`'s, ``pos``: the batch's rows in it,
    ``y``: its labels).

    Args:
        knn: (G, k) int64 kernel kNN table of the collection.
        prop_layers: propagation rounds (default: 2).
        (the rest as :class:`Supervised`)

    Shapes:
        - **loss:** a padded batch of B graphs (m >= B with neighbours) -> scalar
        - **log_proba:** a padded batch of B graphs -> (B, C)
    """

    def __init__(self, encoder: nn.Module, n_classes: int, weight: torch.Tensor | None, *,
                 knn: np.ndarray, prop_layers: int = 2,
                 head_dropout: float = 0.5, augment: dict | None = None) -> None:
        super().__init__(encoder, n_classes, weight, head_dropout=head_dropout, augment=augment)
        self.knn, self.prop_layers = knn, prop_layers

    def _logps(self, b: dict[str, Any]) -> list[torch.Tensor]:
        pb, adj, pos = b["padded"], b["adj"], b["pos"]
        out = []
        for x, ei in self.views(pb):
            h = propagate(self.encoder(pb, x=x, edge_index=ei)[0], adj, self.prop_layers)
            out.append(F.log_softmax(self.head(h[pos]), dim=1))
        return out

    def labels(self, b: dict[str, Any]) -> torch.Tensor:
        return b["y"]


def build(inputs: MethodInputs) -> Built:
    encoder, graph_batch = inputs.backbone()
    p, knn, dev = inputs.params, inputs.cached["knn"], inputs.device
    learner = G2GNN(encoder, inputs.num_classes, inputs.class_weight, knn=knn,
                    prop_layers=int(p["prop_layers"]), head_dropout=float(p["head_dropout"]),
                    augment=p.get("augment"))
    y = inputs.collection.y

    def batcher(ids: np.ndarray) -> dict[str, Any]:
        members, adj = gog_adjacency(ids, knn)
        return {"padded": graph_batch(members), "adj": (adj[0].to(dev), adj[1].to(dev)),
                "pos": torch.from_numpy(np.searchsorted(members, ids)).to(dev),
                "y": torch.from_numpy(y[ids]).to(dev)}

    return learner, batcher
