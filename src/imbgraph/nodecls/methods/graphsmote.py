"""``graphsmote``: GraphSMOTE (Zhao, Zhang & Wang, WSDM 2021): SMOTE in a GNN's embedding
space plus an edge generator that links the synthetic nodes into the graph.

One training step (paper Algorithm 1, lines 6-13):

1. the encoder (one graph convolution) embeds the real graph: H1 (n, hidden);
2. SMOTE draws synthetic minority nodes in H1 (nearest same-class training node, eq. 3-4);
3. the edge generator scores each synthetic node against its *candidate* neighbours, the
   union of its two parents' neighbourhoods (as GraphSMOTE's code restricts them):
   E_vu = sigmoid((h_v W) . (h_u W)) (eq. 5; the code's form, without the softmax);
4. GraphSMOTE-T keeps the candidates with E > threshold as edges of weight 1 (no gradient
   from the classifier reaches the generator); GraphSMOTE-O keeps every candidate with
   weight E (the classifier's gradient flows into the generator, eq. 8);
5. the classifier block (graph convolution + linear) runs on the augmented graph; the loss
   is cross-entropy over the training *and* synthetic nodes plus lambda x L_edge (eq. 13).

L_edge = ||E - A||_F^2 over the real nodes (eq. 6; self pairs left out), by default with
GraphSMOTE code's weighting: each non-edge weighs E / (n^2 - E), so that non-edges together
weigh as much as the edges (the unweighted eq. 6, ``negative_weight="full"``, drives every
score to 0: 99.9% of Cora's pairs are non-edges). Above ``dense_below`` nodes it is
estimated without the N x N matrix: the exact sum over all edges plus the sum over
``neg_ratio`` x E uniformly drawn non-edges, scaled up to all non-edges (an unbiased
estimate of the same quantity, so lambda keeps its meaning); graphs of more than
``max_pairs`` edges sample their edges too. The pre* variants first train the encoder and
generator on L_edge alone for ``pretrain_epochs`` epochs.

Defects of the public code fixed here (README): the neighbour index of the up-sampling (see
:mod:`imbgraph.nodecls.smote`), synthetic nodes missing from the T path's loss, the dense
N x N adjacency.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from imbgraph.nodecls.adjacency import Adjacency, pair_dot
from imbgraph.nodecls.methods.base import (
    BalancedModel,
    Batch,
    MethodInputs,
    augmented_ce,
    weighted_ce,
)
from imbgraph.nodecls.models import GNN
from imbgraph.nodecls.smote import SmoteDraw, draw_smote, interpolate

__all__ = ["DENSE_BELOW", "EdgeGenerator", "GraphSMOTE", "MAX_PAIRS", "NEGATIVE_WEIGHTS",
           "build", "candidate_edges", "edge_loss", "undirected_keys"]

#: graphs of at most this many nodes get the exact dense edge loss by default
DENSE_BELOW = 1024
#: the sampled edge loss scores at most this many edges (and as many non-edges) per step
MAX_PAIRS = 20000


class EdgeGenerator(nn.Module):
    r"""Weighted inner-product edge scores :math:`\sigma((h_u W)(h_v W)^\top)`.

    Shapes:
        - **project:** (N, hidden) -> (N, hidden)
        - **score:** two (M, hidden) projections -> (M,) in (0, 1)
        - **dense:** (N, hidden) -> (N, N)
    """

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(hidden, hidden))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.weight.shape[1])
        nn.init.uniform_(self.weight, -bound, bound)

    def project(self, h: torch.Tensor) -> torch.Tensor:
        return h @ self.weight

    @staticmethod
    def score(za: torch.Tensor, zb: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid((za * zb).sum(dim=-1))

    def dense(self, h: torch.Tensor) -> torch.Tensor:
        z = self.project(h)
        return torch.sigmoid(z @ z.T)

    def __repr__(self) -> str:
        return f"EdgeGenerator({self.weight.shape[0]})"


def undirected_keys(edge_index: torch.Tensor, n: int) -> torch.Tensor:
    """Sorted keys ``u * n + v`` (u < v) of the undirected edges of ``edge_index``."""
    src, dst = edge_index
    once = src < dst
    return torch.sort(src[once] * n + dst[once]).values


NEGATIVE_WEIGHTS = ("balanced", "full")


def edge_loss(generator: EdgeGenerator, h: torch.Tensor, edge_index: torch.Tensor, *,
              negative_weight: str = "balanced", neg_ratio: float = 1.0,
              dense_below: int = DENSE_BELOW, max_pairs: int | None = MAX_PAIRS,
              edge_keys: torch.Tensor | None = None) -> torch.Tensor:
    """sum over off-diagonal pairs (u, v) of the n = h.shape[0] real nodes of
    w_uv (E_uv - A_uv)^2, with w = 1 on edges and on non-edges either 1 (``"full"``: the
    paper's ||E - A||_F^2, eq. 6) or E / (n(n-1) - E) (``"balanced"``: GraphSMOTE's code,
    so that all non-edges together weigh as much as all edges).

    Parameters
    ----------
    generator : the edge generator
    h : (n, hidden) node embeddings
    edge_index : (2, E) every edge in both directions, no self loops, no duplicates
    negative_weight : ``"balanced"`` or ``"full"`` (see above)
    neg_ratio : non-edges drawn per undirected edge for the estimate (n > dense_below)
    dense_below : exact dense computation up to this many nodes
    max_pairs : above this many undirected edges, the edge term too is estimated from this
        many edges drawn uniformly with replacement (BlogCatalog: 334K edges); None: all
    edge_keys : :func:`undirected_keys` of ``edge_index`` (computed when None)

    Returns
    -------
    scalar tensor: the exact value (dense) or its unbiased estimate (sampled). E is
    symmetric, so the sampled form works on unordered pairs and doubles the sum: every
    undirected edge once, and uniformly drawn unordered non-edges standing for all
    n(n-1)/2 - E/2 of them.
    """
    if negative_weight not in NEGATIVE_WEIGHTS:
        raise ValueError(f"negative_weight = {negative_weight!r}; expected one of "
                         f"{NEGATIVE_WEIGHTS}")
    n = h.shape[0]
    if n <= dense_below:
        src, dst = edge_index
        s = generator.dense(h)
        a = torch.zeros(n, n, device=h.device, dtype=s.dtype)
        a[src, dst] = 1.0
        off = 1.0 - torch.eye(n, device=h.device, dtype=s.dtype)
        e = src.shape[0]
        w_neg = 1.0 if negative_weight == "full" else e / max(n * (n - 1) - e, 1)
        weight = (a + (1.0 - a) * w_neg) * off
        return (weight * (s - a) ** 2).sum()
    keys = undirected_keys(edge_index, n) if edge_keys is None else edge_keys
    z = generator.project(h)
    n_edges = keys.shape[0]
    pairs = keys
    if max_pairs is not None and n_edges > max_pairs:
        pairs = keys[torch.randint(0, n_edges, (max_pairs,), device=h.device)]
    eu, ev = pairs // n, pairs % n
    pos = ((1.0 - generator.score(z[eu], z[ev])) ** 2).sum() * (n_edges / max(pairs.shape[0], 1))
    m = max(1, int(round(neg_ratio * pairs.shape[0])))
    u = torch.randint(0, n, (m,), device=h.device)
    v = (u + torch.randint(1, n, (m,), device=h.device)) % n  # uniform over v != u
    probe = torch.minimum(u, v) * n + torch.maximum(u, v)
    if keys.numel():
        at = torch.searchsorted(keys, probe).clamp_max(keys.shape[0] - 1)
        keep = keys[at] != probe
    else:
        keep = torch.ones_like(probe, dtype=torch.bool)
    kept = int(keep.sum())
    if kept == 0:
        return 2.0 * pos
    neg = (generator.score(z[u[keep]], z[v[keep]]) ** 2).sum()
    non_edges = n * (n - 1) // 2 - keys.shape[0]
    # "full": every non-edge weighs 1 -> scale the sample mean up to all non-edges;
    # "balanced": all non-edges together weigh as much as the edges.
    total = non_edges if negative_weight == "full" else keys.shape[0]
    return 2.0 * (pos + neg * (total / kept))


def candidate_edges(adj: Adjacency, draw: SmoteDraw, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Candidate links of the synthetic nodes: the union of their two parents' real
    neighbourhoods. Returns (position of the synthetic node in ``draw``, real node), both
    (k,) int64, unique pairs sorted by (position, node)."""
    ob, nb = adj.neighbors(draw.base)
    op, np_ = adj.neighbors(draw.partner)
    key = torch.unique(torch.cat([ob, op]) * n + torch.cat([nb, np_]))
    return key // n, key % n


class GraphSMOTE(BalancedModel):
    """GraphSMOTE-T / -O and their pre-trained variants (see the module docstring).

    Args:
        gnn: the backbone (its encoder is the feature extractor, its classifier block and
            head the GNN classifier).
        edges: ``"threshold"`` (T) or ``"soft"`` (O).
        threshold: edge threshold eta of T (paper 0.5).
        edge_weight: lambda, the weight of L_edge (paper 1e-6; L_edge is not normalised).
        pretrain_epochs: epochs on L_edge alone before training (preT / preO; 0: none).
        negative_weight, neg_ratio, dense_below, max_pairs: see :func:`edge_loss`.

    Shapes:
        - **forward:** (N, d), Adjacency -> logits (N, C)
        - **loss:** Batch -> scalar (node loss + edge_weight x edge loss)
        - **pretrain_loss:** Batch -> scalar (edge loss)
    """

    def __init__(self, gnn: GNN, criterion=weighted_ce, *, edges: str = "soft",
                 threshold: float = 0.5, edge_weight: float = 1e-6, pretrain_epochs: int = 0,
                 negative_weight: str = "balanced", neg_ratio: float = 1.0,
                 dense_below: int = DENSE_BELOW, max_pairs: int | None = MAX_PAIRS) -> None:
        super().__init__(gnn, criterion)
        if edges not in ("soft", "threshold"):
            raise ValueError(f"edges = {edges!r}; expected 'soft' (O) or 'threshold' (T)")
        self.generator = EdgeGenerator(gnn.hidden)
        self.edges, self.threshold = edges, float(threshold)
        self.edge_weight, self.pretrain_epochs = float(edge_weight), int(pretrain_epochs)
        self.neg_ratio, self.dense_below = float(neg_ratio), int(dense_below)
        self.max_pairs = None if max_pairs is None else int(max_pairs)
        if negative_weight not in NEGATIVE_WEIGHTS:
            raise ValueError(f"negative_weight = {negative_weight!r}; expected one of "
                             f"{NEGATIVE_WEIGHTS}")
        self.negative_weight = negative_weight
        self._keys: tuple[torch.Tensor, torch.Tensor] | None = None
        self.last_parts: dict[str, torch.Tensor] = {}

    def _edge_loss(self, h: torch.Tensor, batch: Batch) -> torch.Tensor:
        if self._keys is None or self._keys[0] is not batch.edge_index:
            self._keys = (batch.edge_index, undirected_keys(batch.edge_index, batch.num_nodes))
        return edge_loss(self.generator, h, batch.edge_index,
                         negative_weight=self.negative_weight, neg_ratio=self.neg_ratio,
                         dense_below=self.dense_below, max_pairs=self.max_pairs,
                         edge_keys=self._keys[1])

    def pretrain_parameters(self) -> list[nn.Parameter]:
        return [*self.gnn.encoder.parameters(), *self.generator.parameters()]

    def pretrain_loss(self, batch: Batch) -> torch.Tensor:
        return self._edge_loss(self.gnn.encode(batch.x, batch.adj), batch)

    def augment(self, h: torch.Tensor, batch: Batch) -> tuple[torch.Tensor, Adjacency,
                                                               SmoteDraw]:
        """Synthetic nodes and their edges: (augmented H1 (n + m, hidden), augmented
        Adjacency, the draw)."""
        n = batch.num_nodes
        draw = draw_smote(h, batch.y, batch.train, batch.new_per_class)
        h_new = interpolate(h, draw)
        j, u = candidate_edges(batch.adj, draw, n)
        if self.edges == "threshold":  # binary edges: no gradient through the scores
            with torch.no_grad():
                score = self.generator.score(self.generator.project(h_new)[j],
                                             self.generator.project(h)[u])
            keep = score > self.threshold
            j, u, weight = j[keep], u[keep], None
        else:  # (j, u) sorted by (j, u) without repeats: pair_dot's CSR pattern
            weight = torch.sigmoid(pair_dot(self.generator.project(h_new),
                                            self.generator.project(h), j, u))
        adj = batch.adj.augment(n + len(draw), u, n + j, weight)
        return torch.cat([h, h_new]), adj, draw

    def loss(self, batch: Batch) -> torch.Tensor:
        h = self.gnn.encode(batch.x, batch.adj)
        l_edge = self._edge_loss(h, batch)
        h_aug, adj, draw = self.augment(h, batch)
        logits = self.gnn.head(self.gnn.embed(h_aug, adj))
        l_node = augmented_ce(self, logits, batch, draw)
        self.last_parts = {"node": l_node.detach(), "edge": l_edge.detach(),
                           "synthetic_edges": torch.tensor(adj.num_extra // 2)}
        return l_node + self.edge_weight * l_edge


def build(inputs: MethodInputs) -> GraphSMOTE:
    """GraphSMOTE with the method's settings (``scale`` is the job's: the synthetic-node
    counts arrive in the batch)."""
    p = inputs.params
    return GraphSMOTE(inputs.backbone(), inputs.criterion,
                      **{k: p[k] for k in ("edges", "threshold", "edge_weight", "pretrain_epochs",
                                           "negative_weight", "neg_ratio", "dense_below",
                                           "max_pairs") if k in p})
