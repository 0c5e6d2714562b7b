"""``soltgnn``: SOLT-GNN (Liu et al., "On Size-Oriented Long-Tailed Graph Classification of
Graph Neural Networks", WWW'22; code shuaiOKshuai/SOLT-GNN): head-to-tail knowledge transfer
between large (head) and small (tail) graphs through a pattern memory.

What each step follows (``main.py``, ``PatternMemory.py``, ``gin.py``,
``subgraph_sample.py``; facts, not code):

* **Head / tail** (``main.py``): a graph is *head* when it has at least ``border`` nodes; the
  code fixes ``border`` per dataset (PROTEINS 50, PTC 35, IMDB-B 25, D&D 400); here it is
  the size above which the ``head_fraction`` largest graphs of the collection lie (the
  paper's 20% head; (0, 1), checked at start-up).
* **Pattern memory** (``PatternMemory.py``) of size d_m (``dm`` 64) on an embedding g (dim):
  gamma = LeakyReLU_0.2((g U_gamma)^T W_gamma), beta likewise (m x m each, entry (j, i) =
  LReLU((g U)_i W_j)), P = (gamma + 1) * K + beta with the knowledge matrix K (m x m),
  H = LReLU(P M) (m x dim), memory(g) = H^T eta (dim). Initialised uniform(+-sqrt(6 / (rows +
  cols))) per matrix, as the code.
* **Training step** (``main.py: train``): a batch's head graphs (the step is skipped, as in
  the code, with at most one head or no tail graph) give node embeddings (the encoder
  without readout); for each head graph one sampled subgraph (``subgraph_sample.py``: a
  depth-first walk from a random start node over K = int(min(border - 1, n / 2)) nodes),
  drawn afresh each step (the code draws 500 per graph up front, one per epoch):
  - node-level co-occurrence (``n_n`` triplets per graph): queries memory(first s node
    embeddings of graph i), positives s random nodes of graph i, negatives s random nodes
    of another head graph j, s = min(n_i, n_j);
  - subgraph-level co-occurrence (``n_g`` per graph): query memory(encoder(subgraph)),
    positive the sum of graph i's embeddings of the nodes outside the subgraph, negative
    the sum of m = min(#outside, n_j) random node embeddings of another head graph j;
  - each co-occurrence loss -mean log sigmoid(cos(q, pos) - cos(q, neg));
  - classification of r + memory(r) (r the pooled embedding) by the prediction layer with
    dropout on its logits (``final_dropout`` 0.5), head and tail separately;
  - dissimilarity (cos(r, memory(r)) summed over head and tail) / batch;
  - loss = 2 (alpha L_head + (1 - alpha) L_tail) + mu1 L_node + mu2 L_subgraph + lbd L_dis
    (code defaults alpha 0.5, mu1 = mu2 = 1, lbd 1e-4; README per dataset e.g. PROTEINS
    alpha 0.15, mu 2 / 2; D&D 0.1, 0.5 / 0.5).
* **Prediction** (``main.py``): the code trains a plain GIN first and scores the *head* test
  graphs with it, the tail ones with SOLT-GIN (``head_model: gin``, the default); here both
  models train side by side on every batch (their parameters are disjoint, so Adam moves
  each as alone) with one model selection on the validation loss of the combined
  prediction. ``head_model: solt`` predicts every graph with SOLT-GIN.

Deviations: the backbone is the family's GIN (``models``) and the loop the family's (Adam,
selection on the validation loss; no StepLR(50, 0.5)); subgraphs are sampled per step.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from imbgraph.graphcls.collection import GraphBatch, GraphCollection
from imbgraph.graphcls.methods.base import Built, MethodInputs
from imbgraph.graphcls.train import Learner

__all__ = ["HEAD_MODELS", "PatternMemory", "SoltGNN", "build", "cooccurrence_loss",
           "head_border", "sample_subgraph"]

#: who predicts the head graphs: the code's separately trained plain GIN, or SOLT-GIN itself
HEAD_MODELS = ("gin", "solt")


def head_border(sizes: np.ndarray, head_fraction: float) -> int:
    """The node count from which a graph is *head*: the ``head_fraction`` largest graphs
    (ceil of the fraction of the collection, at least one) have at least this many nodes."""
    if not 0 < head_fraction < 1:
        raise ValueError(f"head_fraction = {head_fraction}; expected a value in (0, 1)")
    k = max(1, math.ceil(head_fraction * sizes.shape[0]))
    return int(np.sort(sizes)[::-1][k - 1])


def sample_subgraph(rowptr: np.ndarray, col: np.ndarray, n: int, k: int,
                    rng: np.random.Generator) -> np.ndarray:
    """``subgraph_sample.py``'s walk on one graph (CSR of its local ids): a stack from a random
    start node (the next one of a random order when the first is isolated); pop a node, keep
    it if new, push its neighbours; stop at ``k`` nodes or an empty stack. Returns the kept
    local ids in the order kept."""
    order = rng.permutation(n)
    start = order[0] if rowptr[order[0] + 1] > rowptr[order[0]] or n == 1 else order[1]
    stack, seen, kept = [int(start)], set(), []
    while len(kept) < k and stack:
        x = stack.pop()
        if x in seen:
            continue
        seen.add(x)
        kept.append(x)
        stack.extend(col[rowptr[x]:rowptr[x + 1]].tolist())
    return np.asarray(kept, dtype=np.int64)


def cooccurrence_loss(query: torch.Tensor, pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
    """-mean log sigmoid(cos(q, pos) - cos(q, neg)), the cosines with the code's 1e-7 in the
    norms' denominators."""
    def unit(t: torch.Tensor) -> torch.Tensor:
        return t / (t.norm(dim=1, keepdim=True) + 1e-7)

    q = unit(query)
    return -F.logsigmoid((q * unit(pos)).sum(1) - (q * unit(neg)).sum(1)).mean()


class PatternMemory(nn.Module):
    """SOLT-GNN's pattern memory (see the module docstring). Shapes: (b, dim) -> (b, dim)."""

    def __init__(self, dim: int, size: int = 64) -> None:
        super().__init__()
        self.know = nn.Parameter(torch.empty(size, size))
        self.W_gamma, self.W_beta = nn.Parameter(torch.empty(1, size)), nn.Parameter(
            torch.empty(1, size))
        self.U_gamma, self.U_beta = nn.Parameter(torch.empty(dim, size)), nn.Parameter(
            torch.empty(dim, size))
        self.M = nn.Parameter(torch.empty(size, dim))
        self.eta = nn.Parameter(torch.empty(size, 1))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for p in (self.know, self.W_gamma, self.W_beta, self.U_gamma, self.U_beta, self.M,
                  self.eta):
            bound = math.sqrt(6.0 / (p.shape[-2] + p.shape[-1]))
            nn.init.uniform_(p, -bound, bound)

    def forward(self, g: torch.Tensor) -> torch.Tensor:
        # The code builds gamma, beta and P as (b, m, m) tensors; the same numbers follow
        # without them: LReLU(x w) = w f(x), f = LReLU for w >= 0 and x -> -LReLU(-x) for
        # w < 0, so (P M)_jd = W_gamma,j sum_i f_j((gU_gamma)_i) K_ji M_id + (K M)_jd
        # + W_beta,j (f'_j(gU_beta) M)_d. Per group of rows j with the same two signs: the
        # first term is one (b, m) x (m, |group| dim) product with (K M) as its bias, the
        # last a (b, dim) product per sign, broadcast over the group's rows; each group is
        # activated and summed with eta on its own (the sum over j ignores their order).
        xg, xb = g @ self.U_gamma, g @ self.U_beta                              # (b, m)
        fg = (F.leaky_relu(xg, 0.2), -F.leaky_relu(-xg, 0.2))                  # w >= 0, w < 0
        fbm = (F.leaky_relu(xb, 0.2) @ self.M, -F.leaky_relu(-xb, 0.2) @ self.M)  # (b, dim)
        wg, wb = self.W_gamma[0], self.W_beta[0]
        b, (m, dim) = g.shape[0], self.M.shape
        out = g.new_zeros(b, dim)
        for a in (0, 1):
            for c in (0, 1):
                js = torch.nonzero(((wg < 0) == bool(a)) & ((wb < 0) == bool(c))).flatten()
                if js.numel() == 0:
                    continue
                # columns in (d, j) order, so that the sum with eta is one (b dim, J) x J product
                w = (wg[js, None, None] * self.know[js].unsqueeze(2) * self.M)   # (J, i, d)
                w = w.permute(1, 2, 0).reshape(m, -1)
                bias = (self.know[js] @ self.M).t().reshape(-1)
                pre = torch.addmm(bias, fg[a], w).view(b, dim, js.shape[0])
                pre = torch.addcmul(pre, wb[js], fbm[c].unsqueeze(2))
                h = F.leaky_relu(pre, 0.2)                                        # (b, dim, J)
                out = out + (h.view(-1, js.shape[0]) @ self.eta[js]).view(b, dim)
        return out

    def forward_literal(self, g: torch.Tensor) -> torch.Tensor:
        """The code's computation as written ((b, m, m) tensors); for tests."""
        gamma = F.leaky_relu((g @ self.U_gamma).unsqueeze(1) * self.W_gamma.t(), 0.2)
        beta = F.leaky_relu((g @ self.U_beta).unsqueeze(1) * self.W_beta.t(), 0.2)
        p = (gamma + 1) * self.know + beta                       # (b, m, m)
        h = F.leaky_relu(p @ self.M, 0.2)                        # (b, m, dim)
        return (h.transpose(1, 2) @ self.eta).squeeze(2)         # (b, dim)


class SoltGNN(Learner):
    """SOLT-GIN (and the code's plain GIN for the head graphs). See the module docstring.

    Args:
        encoder: the GIN encoder (:meth:`MethodInputs.backbone`); head_encoder: a second one
            for ``head_model: gin`` (else None).
        n_classes: C. collection: the graphs (sizes and adjacency for the sampler).
        border: head graphs have at least this many nodes.
        alpha, mu1, mu2, lbd, dm, n_n, n_g, head_dropout: the code's (see the docstring).
        rng: the run's generator (subgraphs, negatives).

    Shapes:
        - **loss:** GraphBatch of B graphs -> scalar
        - **log_proba:** GraphBatch of B graphs -> (B, C)
    """

    def __init__(self, encoder: nn.Module, head_encoder: nn.Module | None, n_classes: int,
                 collection: GraphCollection, border: int, *, alpha: float = 0.5,
                 mu1: float = 1.0, mu2: float = 1.0, lbd: float = 1e-4, dm: int = 64,
                 n_n: int = 1, n_g: int = 1, head_dropout: float = 0.5,
                 weight: torch.Tensor | None = None, rng: np.random.Generator) -> None:
        super().__init__()
        self.register_buffer("weight", weight)
        self.encoder, self.head_encoder = encoder, head_encoder
        self.memory = PatternMemory(encoder.hidden, dm)
        self.predict = nn.Linear(encoder.hidden, n_classes)
        self.head_predict = nn.Linear(encoder.hidden, n_classes) if head_encoder else None
        self.border, self.alpha, self.mu1, self.mu2, self.lbd = border, alpha, mu1, mu2, lbd
        self.n_n, self.n_g, self.dropout, self.rng = n_n, n_g, head_dropout, rng
        self.sizes = collection.sizes
        # CSR over the collection's nodes (its edge list is sorted by source)
        self.rowptr = np.searchsorted(collection.edge_index[0],
                                      np.arange(collection.num_nodes + 1))
        self.col = collection.edge_index[1]
        self.node_ptr = collection.node_ptr

    def _logits(self, r: torch.Tensor) -> torch.Tensor:
        return F.dropout(self.predict(r + self.memory(r)), self.dropout, self.training)

    def _head_logits(self, b: GraphBatch) -> torch.Tensor:
        return F.dropout(self.head_predict(self.head_encoder(b)[0]), self.dropout, self.training)

    def _is_head(self, b: GraphBatch) -> torch.Tensor:
        return (b.ptr[1:] - b.ptr[:-1]) >= self.border

    def _subgraphs(self, b: GraphBatch, heads: list[int]) -> tuple[GraphBatch, list[np.ndarray]]:
        """One sampled subgraph per head graph of the batch (batch-local node ids kept), as
        a GraphBatch of the induced subgraphs."""
        ptr = b.ptr.cpu().numpy()
        keep = []
        for i in heads:
            g = int(b.ids[i])
            lo = int(self.node_ptr[g])
            n = int(ptr[i + 1] - ptr[i])
            rowptr = self.rowptr[lo:lo + n + 1] - self.rowptr[lo]
            col = self.col[self.rowptr[lo]:self.rowptr[lo + n]] - lo
            k = max(1, int(min(self.border - 1, n / 2)))
            keep.append(np.sort(sample_subgraph(rowptr, col, n, k, self.rng)) + ptr[i])
        nodes = torch.from_numpy(np.concatenate(keep)).to(b.x.device)
        new = torch.full((b.x.shape[0],), -1, dtype=torch.long, device=b.x.device)
        new[nodes] = torch.arange(nodes.shape[0], device=b.x.device)
        ei = new[b.edge_index]
        ei = ei[:, (ei >= 0).all(0)]  # induced edges, still symmetric and sorted
        counts = torch.tensor([len(k) for k in keep], device=b.x.device)
        sub_ptr = torch.zeros(len(keep) + 1, dtype=torch.long, device=b.x.device)
        sub_ptr[1:] = counts.cumsum(0)
        sub = GraphBatch(b.x[nodes], ei, torch.repeat_interleave(
            torch.arange(len(keep), device=b.x.device), counts), sub_ptr, b.y[heads],
            None if b.pe is None else b.pe[nodes], b.ids[heads],
            None if b.lap is None else b.lap[nodes])
        return sub, keep

    def loss(self, b: GraphBatch) -> torch.Tensor:
        # a skipped step leaves SOLT-GIN's gradients unset, so Adam leaves it alone (the code
        # skips the step); the leaf keeps backward() valid when nothing else is in the loss
        loss = b.x.new_zeros((), requires_grad=True)
        if self.head_encoder is not None:  # the code's plain GIN, trained on every graph
            loss = loss + F.cross_entropy(self._head_logits(b), b.y, weight=self.weight)
        is_head = self._is_head(b)
        heads = torch.nonzero(is_head).flatten().tolist()
        tails = torch.nonzero(~is_head).flatten().tolist()
        if len(heads) <= 1 or not tails:  # the code skips such batches
            return loss
        r, nodes = self.encoder(b)
        ptr = b.ptr.cpu().numpy()
        rng = self.rng

        def other(i: int) -> int:
            j = i
            while j == i:
                j = heads[rng.integers(len(heads))]
            return j

        sub, keep = self._subgraphs(b, heads)
        q_idx, p_idx, n_idx, pos_g, neg_g = [], [], [], [], []
        for t, i in enumerate(heads):
            n_i = int(ptr[i + 1] - ptr[i])
            outside = np.setdiff1d(np.arange(ptr[i], ptr[i + 1]), keep[t])
            pos_g.append(nodes[torch.from_numpy(outside).to(nodes.device)].sum(0))
            for _ in range(self.n_g):
                j = other(i)
                n_j = int(ptr[j + 1] - ptr[j])
                m = min(outside.shape[0], n_j)
                neg_g.append(nodes[torch.from_numpy(rng.permutation(n_j)[:m] + ptr[j]).to(
                    nodes.device)].sum(0))
            for _ in range(self.n_n):
                j = other(i)
                s = min(n_i, int(ptr[j + 1] - ptr[j]))
                q_idx.append(np.arange(s) + ptr[i])
                p_idx.append(rng.permutation(n_i)[:s] + ptr[i])
                n_idx.append(rng.permutation(int(ptr[j + 1] - ptr[j]))[:s] + ptr[j])
        cat = lambda parts: torch.from_numpy(np.concatenate(parts)).to(nodes.device)  # noqa: E731
        h_idx = torch.tensor(heads, device=r.device)
        t_idx = torch.tensor(tails, device=r.device)
        rh, rt = r[h_idx], r[t_idx]
        # the memory reads each row on its own: one call for the step's four sets of queries
        # (node-level, subgraph-level, head and tail graphs) builds its weights once
        queries = [nodes[cat(q_idx)], self.encoder(sub)[0], rh, rt]
        mq, ms, mh, mt = self.memory(torch.cat(queries)).split([q.shape[0] for q in queries])
        loss_n = cooccurrence_loss(mq, nodes[cat(p_idx)], nodes[cat(n_idx)])
        # query i pairs with its own negatives (the code's pairing when n_g = 1, its default)
        neg = torch.stack(neg_g).view(len(heads), self.n_g, -1).transpose(0, 1)
        loss_g = cooccurrence_loss(ms.repeat(self.n_g, 1), torch.stack(pos_g).repeat(self.n_g, 1),
                                   neg.reshape(-1, r.shape[1]))
        out_h = F.dropout(self.predict(rh + mh), self.dropout, self.training)
        out_t = F.dropout(self.predict(rt + mt), self.dropout, self.training)
        loss_h = F.cross_entropy(out_h, b.y[h_idx], weight=self.weight)
        loss_t = F.cross_entropy(out_t, b.y[t_idx], weight=self.weight)
        loss_d = (F.cosine_similarity(rt, mt, eps=1e-7).sum()
                  + F.cosine_similarity(rh, mh, eps=1e-7).sum()) / r.shape[0]
        return (loss + 2 * (self.alpha * loss_h + (1 - self.alpha) * loss_t)
                + self.mu1 * loss_n + self.mu2 * loss_g + self.lbd * loss_d)

    def log_proba(self, b: GraphBatch) -> torch.Tensor:
        out = self._logits(self.encoder(b)[0])
        if self.head_encoder is not None:
            out = torch.where(self._is_head(b)[:, None], self._head_logits(b), out)
        return F.log_softmax(out, dim=1)

    def summary(self) -> dict:
        return {"head_border": self.border}


def build(inputs: MethodInputs) -> Built:
    encoder, graph_batch = inputs.backbone()
    p = inputs.params
    if p["head_model"] not in HEAD_MODELS:
        raise ValueError(f"head_model = {p['head_model']!r}; expected one of {HEAD_MODELS}")
    head_encoder = inputs.backbone()[0] if p["head_model"] == "gin" else None
    border = head_border(inputs.collection.sizes, float(p["head_fraction"]))
    learner = SoltGNN(encoder, head_encoder, inputs.num_classes, inputs.collection, border,
                      alpha=p["alpha"], mu1=p["mu1"], mu2=p["mu2"], lbd=p["lbd"], dm=p["dm"],
                      n_n=p["n_n"], n_g=p["n_g"], head_dropout=p["head_dropout"],
                      weight=inputs.class_weight, rng=inputs.rng)
    return learner, graph_batch
