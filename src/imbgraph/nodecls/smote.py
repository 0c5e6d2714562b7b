"""SMOTE for nodes: pick minority training nodes, pair each with its nearest same-class
training node, interpolate (Chawla et al. 2002; GraphSMOTE eqs. 3-4).

Vectorised over nodes; the only loop runs over the over-sampled classes. Indices stay
*global* (node ids of the graph) throughout: the nearest neighbour is searched among a
class's training nodes and its local position is mapped back through that class's id list
before it is used as a row. (GraphSMOTE's public code used the local position as a global
row, pairing nodes with unrelated ones; tests/nodecls/test_smote.py shows the difference.)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["SmoteDraw", "class_partners", "draw_smote", "interpolate", "nearest_same_class"]


@dataclass(frozen=True)
class SmoteDraw:
    """Synthetic nodes of one draw (m of them).

    base : (m,) int64 node id each synthetic node is made from (its edges' source for
        over-sampling and raw SMOTE)
    partner : (m,) int64 nearest same-class training node of ``base`` (``base`` itself
        when its class has a single training node)
    delta : (m, 1) interpolation weight in [0, 1) (zeros for plain duplication)
    label : (m,) int64 class of each synthetic node
    """

    base: torch.Tensor
    partner: torch.Tensor
    delta: torch.Tensor
    label: torch.Tensor

    def __len__(self) -> int:
        return int(self.base.shape[0])


def nearest_same_class(h: torch.Tensor, nodes: torch.Tensor) -> torch.Tensor:
    """For each of ``nodes`` (k,) (one class), its nearest other node of ``nodes`` by
    Euclidean distance of rows of ``h``, as a node id (itself when k == 1).

    Returns (k,) int64 global node ids; ties go to the first in ``nodes`` order.
    """
    if nodes.shape[0] == 1:
        return nodes.clone()
    with torch.no_grad():
        hc = h[nodes]
        dist = torch.cdist(hc, hc)
        dist.fill_diagonal_(float("inf"))
        local = dist.argmin(dim=1)
    return nodes[local]  # local position -> global node id (the fix)


def draw_smote(h: torch.Tensor | None, y: torch.Tensor, train: torch.Tensor,
               new_per_class: torch.Tensor, *, interpolate: bool = True,
               partners: dict[int, torch.Tensor] | None = None) -> SmoteDraw:
    """Draw ``new_per_class[c]`` synthetic nodes of every class c (GraphSMOTE's scale).

    Base nodes of class c cycle over its k training nodes: ``new // k`` full passes, then
    ``new % k`` distinct nodes at random. With ``interpolate`` each gets its nearest
    same-class training node in ``h`` (or from ``partners``, class -> (k,) partner ids in
    the order of that class's training nodes, when precomputed) and delta ~ U[0, 1);
    without, partner = base and delta = 0 (over-sampling by duplication).

    Randomness comes from torch's global generator (seeded per run).
    """
    device = y.device
    bases, mates, labels = [], [], []
    y_train = y[train]
    for c in torch.nonzero(new_per_class > 0).flatten().tolist():
        nodes = train[y_train == c]
        k, m = nodes.shape[0], int(new_per_class[c])
        if k == 0:
            continue
        local = torch.cat([torch.arange(k, device=device).repeat(m // k),
                           torch.randperm(k, device=device)[: m % k]])
        base = nodes[local]
        if interpolate:
            nn_ids = partners[c] if partners is not None else nearest_same_class(h, nodes)
            mates.append(nn_ids[local])
        else:
            mates.append(base)
        bases.append(base)
        labels.append(torch.full((m,), c, dtype=torch.long, device=device))
    if not bases:
        empty = torch.zeros(0, dtype=torch.long, device=device)
        return SmoteDraw(empty, empty, torch.zeros(0, 1, device=device), empty)
    base, partner, label = torch.cat(bases), torch.cat(mates), torch.cat(labels)
    delta = (torch.rand(base.shape[0], 1, device=device) if interpolate
             else torch.zeros(base.shape[0], 1, device=device))
    return SmoteDraw(base, partner, delta, label)


def interpolate(h: torch.Tensor, draw: SmoteDraw) -> torch.Tensor:
    """(m, F) synthetic rows (1 - delta) h[base] + delta h[partner] (differentiable in h)."""
    d = draw.delta.to(h.dtype)
    return (1.0 - d) * h[draw.base] + d * h[draw.partner]


def class_partners(h: torch.Tensor, y: torch.Tensor, train: torch.Tensor,
                   classes) -> dict[int, torch.Tensor]:
    """:func:`nearest_same_class` of every class in ``classes``, in the order of that class's
    training nodes (``train[y[train] == c]``), for features that do not change (raw SMOTE)."""
    y_train = y[train]
    out = {}
    for c in classes:
        nodes = train[y_train == int(c)]
        if nodes.shape[0]:
            out[int(c)] = nearest_same_class(h, nodes)
    return out
