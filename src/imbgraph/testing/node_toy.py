"""A nine-node toy graph and slow references for the node family's balancing strategies
(tests/nodecls/methods/): a hand-listed graph whose SMOTE bases, partners and labels are
known, a cross-entropy written as a loop, a point-on-segment check, a nearest-neighbour loop,
and a spy on a module's inputs and output."""

from __future__ import annotations

import math

import numpy as np
import torch

from imbgraph.nodecls.adjacency import Adjacency
from imbgraph.nodecls.methods.base import Batch
from imbgraph.nodecls.models import GNN
from imbgraph.nodecls.smote import interpolate

__all__ = ["BASES", "LABELS", "NEW", "PARTNERS", "Spy", "TRAIN", "UNDIRECTED", "X", "Y",
           "both_directions", "make_batch", "make_gnn", "nearest_loop", "reference_ce",
           "segment_weight"]

# Nine nodes, two features. Undirected edges 0-1, 1-2, 2-3, 3-4, 4-5, 5-6, 0-3; 7 and 8 are
# isolated. Classes: 0 = {0, 1, 2, 8}, 1 = {3, 4, 5}, 2 = {6, 7}; nodes 7, 8 are not training.
UNDIRECTED = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (0, 3)]
Y = [0, 0, 0, 1, 1, 1, 2, 2, 0]
TRAIN = [0, 1, 2, 3, 4, 5, 6]
# class 1: x3 = (0, 0), x4 = (1, 0), x5 = (0, 3): nearest 3 -> 4, 4 -> 3, 5 -> 3
X = [[1, 1], [2, 1], [1, 3], [0, 0], [1, 0], [0, 3], [-2, 2], [3, 3], [0, -1]]
# 3 new nodes for class 1 (k = 3: one full pass, bases 3, 4, 5) and 2 for class 2 (k = 1:
# node 6 twice): the bases are fixed, only the interpolation weights are random.
NEW = [0, 3, 2]
BASES = [3, 4, 5, 6, 6]
PARTNERS = [4, 3, 3, 6, 6]
LABELS = [1, 1, 1, 2, 2]


def both_directions(pairs) -> torch.Tensor:
    src = [a for a, b in pairs] + [b for a, b in pairs]
    dst = [b for a, b in pairs] + [a for a, b in pairs]
    return torch.tensor([src, dst])


def make_batch(x=None, weight=None, new=NEW, train=TRAIN) -> Batch:
    x = torch.tensor(X, dtype=torch.float32) if x is None else x
    ei = both_directions(UNDIRECTED)
    return Batch(x=x, adj=Adjacency.from_edge_index(ei, x.shape[0]), y=torch.tensor(Y),
                 train=torch.tensor(train), new_per_class=torch.tensor(new),
                 class_weight=weight, edge_index=ei)


def make_gnn(conv: str = "sage", seed: int = 0) -> GNN:
    torch.manual_seed(seed)
    return GNN(2, 3, conv=conv, hidden=5, dropout=0.0)


def reference_ce(logits: torch.Tensor, target: torch.Tensor, weight=None) -> float:
    """sum_i w_{t_i} * -log softmax(logits_i)[t_i] / sum_i w_{t_i}, as a loop."""
    num = den = 0.0
    for row, t in zip(logits.tolist(), target.tolist()):
        lse = math.log(sum(math.exp(v) for v in row))
        w = 1.0 if weight is None else float(weight[t])
        num += w * (lse - row[t])
        den += w
    return num / den


class Spy:
    """Records the inputs of a module's forward (pre-hook) and its output (hook). ``args``
    holds a GNN's input with any ``synthetic`` rows appended, as the network sees them."""

    def __init__(self, module: torch.nn.Module) -> None:
        self.args, self.out = None, None
        module.register_forward_pre_hook(self._pre, with_kwargs=True)
        module.register_forward_hook(self._post)

    def _pre(self, module, args, kwargs):
        draw = kwargs.get("synthetic")
        if draw is not None:
            args = (torch.cat([args[0], interpolate(args[0], draw)]), *args[1:])
        self.args = args

    def _post(self, module, args, out):
        self.out = out


def segment_weight(row: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """delta with row = (1 - delta) a + delta b, asserting that row lies on that line."""
    if np.allclose(a, b):
        np.testing.assert_allclose(row, a, rtol=1e-5, atol=1e-5)
        return 0.0
    d = float(np.dot(row - a, b - a) / np.dot(b - a, b - a))
    np.testing.assert_allclose(row, a + d * (b - a), rtol=1e-5, atol=1e-5)
    return d


def nearest_loop(h: np.ndarray, nodes: list[int]) -> dict[int, int]:
    out = {}
    for v in nodes:
        others = [u for u in nodes if u != v]
        out[v] = min(others, key=lambda u: (np.linalg.norm(h[u] - h[v]), nodes.index(u))) \
            if others else v
    return out
