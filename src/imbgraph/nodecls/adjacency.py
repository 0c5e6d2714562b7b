"""The aggregation operator of the node family's networks: a graph as a sparse CSR matrix
plus, optionally, weighted *extra* edges to appended synthetic nodes.

:class:`Adjacency` is built once per graph (:meth:`Adjacency.from_edge_index`); a balancing
method adds synthetic nodes with :meth:`Adjacency.augment` (over-sampling and SMOTE copy
their base node's edges; GraphSMOTE's generator scores candidate edges, with gradients into
the weights for its soft edges). The real part is aggregated with ``torch.sparse.mm``, about
six times faster on CPU than PyG's edge-list message passing at BlogCatalog's size
(benchmarks/bench_nodecls.py), and without the ``(E, F)`` message tensor; the autograd
functions here give the products' backward passes without re-sorting the matrix each step.
"""

from __future__ import annotations

import numpy as np
import torch

from imbgraph.sparse import SpMM, csr

__all__ = ["Adjacency", "pair_dot"]


class _WeightedSpMM(torch.autograd.Function):
    """sum over edges (s -> d) of w_e x_s into row d, as CSR products: torch.sparse.mm
    forward and for the gradient in x, and per-edge dot products grad_d . x_s for the
    gradient in w (GraphSMOTE-O's soft edges) as one sampled product on the CSR pattern
    (``torch.sparse.sampled_addmm``). Several times faster on CPU than gather + index_add,
    and the dot products far faster than gathering two (E, F) tensors
    (``benchmarks/bench_ecgn.py --kernels``)."""

    @staticmethod
    def forward(ctx, x, w, src, dst, crow, col, order, crow_t, col_t, order_t):
        m = x.shape[0]
        ctx.save_for_backward(x, w, crow, col, order, crow_t, col_t, order_t)
        return torch.sparse.mm(csr(crow, col, w[order], (m, m)), x)

    @staticmethod
    def backward(ctx, grad):
        x, w, crow, col, order, crow_t, col_t, order_t = ctx.saved_tensors
        grad_x = grad_w = None
        m = x.shape[0]
        if ctx.needs_input_grad[0]:
            grad_x = torch.sparse.mm(csr(crow_t, col_t, w[order_t], (m, m)), grad)
        if ctx.needs_input_grad[1]:
            # (grad x^T) sampled at the edges (rows = targets, columns = sources), in the
            # CSR order of the forward pass: back to edge order through ``order``.
            pattern = csr(crow, col, torch.zeros_like(w), (m, m))
            dots = torch.sparse.sampled_addmm(pattern, grad, x.t(), beta=0.0)
            grad_w = torch.empty_like(w)
            grad_w[order] = dots.values()
        return grad_x, grad_w, None, None, None, None, None, None, None, None


class _PairDot(torch.autograd.Function):
    """Row dot products ``a[r] . b[c]`` at the entries of a CSR pattern, as one sampled
    product forward and CSR products backward (the pattern and its transpose, both CSR: no
    CSC kernel needed on any device): no (k, F) gathers of rows."""

    @staticmethod
    def forward(ctx, a, b, crow, col, crow_t, col_t, order_t):
        ctx.save_for_backward(a, b, crow, col, crow_t, col_t, order_t)
        pattern = csr(crow, col, a.new_zeros(col.shape[0]), (a.shape[0], b.shape[0]))
        return torch.sparse.sampled_addmm(pattern, a, b.t(), beta=0.0).values()

    @staticmethod
    def backward(ctx, grad):
        a, b, crow, col, crow_t, col_t, order_t = ctx.saved_tensors
        m, n = a.shape[0], b.shape[0]
        grad_a = (torch.sparse.mm(csr(crow, col, grad, (m, n)), b)
                  if ctx.needs_input_grad[0] else None)
        grad_b = (torch.sparse.mm(csr(crow_t, col_t, grad[order_t], (n, m)), a)
                  if ctx.needs_input_grad[1] else None)
        return grad_a, grad_b, None, None, None, None, None


def pair_dot(a: torch.Tensor, b: torch.Tensor, rows: torch.Tensor,
             cols: torch.Tensor) -> torch.Tensor:
    """``(a[rows] * b[cols]).sum(1)`` (differentiable in ``a`` and ``b``) for pairs sorted by
    (row, col) without repeats (GraphSMOTE's candidate edges): no (k, F) copies of the rows,
    which dominated GraphSMOTE-O's step on Amazon Computers (``bench_ecgn.py --kernels``)."""
    m, n = a.shape[0], b.shape[0]
    crow = torch.zeros(m + 1, dtype=torch.long, device=a.device)
    crow[1:] = torch.cumsum(torch.bincount(rows, minlength=m), 0)
    order_t = torch.argsort(cols * m + rows)
    crow_t = torch.zeros(n + 1, dtype=torch.long, device=a.device)
    crow_t[1:] = torch.cumsum(torch.bincount(cols, minlength=n), 0)
    return _PairDot.apply(a, b, crow, cols.contiguous(), crow_t, rows[order_t], order_t)


class Adjacency:
    """Aggregation operator over ``n`` real nodes, optionally with appended nodes and
    weighted extra edges.

    Attributes
    ----------
    n : real nodes (rows of the CSR part)
    num_nodes : real + appended nodes (rows of the features it aggregates)
    crow, col : CSR structure of the real graph (rows = targets, columns = sources)
    deg : (n,) float real in-degree
    extra_src, extra_dst : (E_x,) int64 directed extra edges (source -> target)
    extra_weight : (E_x,) float weights, may require grad

    Build with :meth:`from_edge_index`; add synthetic nodes with :meth:`augment`.
    """

    def __init__(self, crow: torch.Tensor, col: torch.Tensor, deg: torch.Tensor, n: int,
                 num_nodes: int | None = None, extra_src: torch.Tensor | None = None,
                 extra_dst: torch.Tensor | None = None,
                 extra_weight: torch.Tensor | None = None) -> None:
        self.crow, self.col, self.deg, self.n = crow, col, deg, int(n)
        self.num_nodes = int(n if num_nodes is None else num_nodes)
        empty = torch.zeros(0, dtype=torch.long, device=crow.device)
        self.extra_src = empty if extra_src is None else extra_src
        self.extra_dst = empty if extra_dst is None else extra_dst
        self.extra_weight = (torch.zeros(0, device=crow.device) if extra_weight is None
                             else extra_weight)
        self._ones = torch.ones(col.shape[0], device=col.device)
        self._transpose: tuple[torch.Tensor, torch.Tensor] | None = None
        self._extra_csr: tuple[torch.Tensor, ...] | None = None
        self._edge_index: torch.Tensor | None = None

    @classmethod
    def from_edge_index(cls, edge_index: torch.Tensor | np.ndarray, n: int, *,
                        device: torch.device | str | None = None) -> "Adjacency":
        """From a (2, E) edge list (source, target); duplicates are kept as given."""
        ei = torch.as_tensor(np.asarray(edge_index) if isinstance(edge_index, np.ndarray)
                             else edge_index, dtype=torch.long, device=device)
        src, dst = ei[0], ei[1]
        order = torch.argsort(dst * max(n, 1) + src)
        dst, src = dst[order], src[order]
        counts = torch.bincount(dst, minlength=n)
        crow = torch.zeros(n + 1, dtype=torch.long, device=ei.device)
        crow[1:] = torch.cumsum(counts, 0)
        return cls(crow, src.contiguous(), counts.to(torch.float32), n)

    @property
    def num_extra(self) -> int:
        return int(self.extra_src.shape[0])

    def augment(self, num_nodes: int, src: torch.Tensor, dst: torch.Tensor,
                weight: torch.Tensor | None = None, *, both: bool = True) -> "Adjacency":
        """This operator over ``num_nodes`` nodes (appended ones have no real edges) plus
        extra edges ``src -> dst`` with ``weight`` (default 1), and ``dst -> src`` too when
        ``both`` (an undirected edge). Extra edges already present are kept."""
        if weight is None:
            weight = torch.ones(src.shape[0], device=src.device)
        if both:
            src, dst = torch.cat([src, dst]), torch.cat([dst, src])
            weight = torch.cat([weight, weight])
        out = Adjacency(self.crow, self.col, self.deg, self.n, num_nodes,
                        torch.cat([self.extra_src, src]), torch.cat([self.extra_dst, dst]),
                        torch.cat([self.extra_weight.to(weight.dtype), weight]))
        out._transpose = self._transposed()
        return out

    def neighbors(self, nodes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Real neighbours of ``nodes`` (m,) (real ids): (position in ``nodes``, neighbour),
        both (k,) int64, grouped by position in ``nodes`` order."""
        start, stop = self.crow[nodes], self.crow[nodes + 1]
        counts = stop - start
        owner = torch.repeat_interleave(torch.arange(nodes.shape[0], device=nodes.device),
                                        counts)
        first = torch.cumsum(counts, 0) - counts
        offset = torch.arange(owner.shape[0], device=nodes.device) - first[owner]
        return owner, self.col[start[owner] + offset]

    def edge_index(self) -> torch.Tensor:
        """(2, E) int64 edge list (source, target) over ``num_nodes`` nodes, for PyG layers
        (GAT): the real edges, then the extra edges of positive weight, unweighted (PyG's
        ``GATConv`` takes no scalar edge weight). Built once per operator."""
        if self._edge_index is None:
            row = torch.repeat_interleave(torch.arange(self.n, device=self.col.device),
                                          torch.diff(self.crow))
            keep = self.extra_weight.detach() > 0
            self._edge_index = torch.stack([torch.cat([self.col, self.extra_src[keep]]),
                                            torch.cat([row, self.extra_dst[keep]])])
        return self._edge_index

    # --- aggregation --------------------------------------------------------------------------
    def _transposed(self) -> tuple[torch.Tensor, torch.Tensor]:
        # CSR of A^T (rows = sources), computed once per graph and shared by augmentations.
        if self._transpose is None:
            counts = torch.diff(self.crow)
            row = torch.repeat_interleave(torch.arange(self.n, device=self.col.device), counts)
            order = torch.argsort(self.col * max(self.n, 1) + row)
            crow_t = torch.zeros(self.n + 1, dtype=torch.long, device=self.col.device)
            crow_t[1:] = torch.cumsum(torch.bincount(self.col, minlength=self.n), 0)
            self._transpose = (crow_t, row[order].contiguous())
        return self._transpose

    def _real_sum(self, x: torch.Tensor) -> torch.Tensor:
        """sum over real in-neighbours for the n real rows, zeros for appended rows."""
        ones = self._ones.to(x.dtype)
        xr = x[: self.n]
        if x.requires_grad:
            crow_t, col_t = self._transposed()
            out = SpMM.apply(csr(self.crow, self.col, ones, (self.n, self.n)),
                              csr(crow_t, col_t, ones, (self.n, self.n)), xr)
        else:
            out = torch.sparse.mm(csr(self.crow, self.col, ones, (self.n, self.n)), xr)
        if x.shape[0] > self.n:
            out = torch.cat([out, out.new_zeros(x.shape[0] - self.n, x.shape[1])])
        return out

    def _extra_structure(self) -> tuple[torch.Tensor, ...]:
        # CSR structure of the extra edges and of their transpose (rows = targets / sources),
        # with the permutations that order the edge weights into each; built once per
        # augmented graph and shared by its layers.
        if self._extra_csr is None:
            m, dev = self.num_nodes, self.extra_src.device

            def structure(rows, cols):
                order = torch.argsort(rows * m + cols)
                crow = torch.zeros(m + 1, dtype=torch.long, device=dev)
                crow[1:] = torch.cumsum(torch.bincount(rows, minlength=m), 0)
                return crow, cols[order].contiguous(), order

            self._extra_csr = (*structure(self.extra_dst, self.extra_src),
                               *structure(self.extra_src, self.extra_dst))
        return self._extra_csr

    def _extra(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(weighted sum over extra in-edges (num_nodes, F), weighted extra in-degree)."""
        w = self.extra_weight.to(x.dtype)
        num = _WeightedSpMM.apply(x, w, self.extra_src, self.extra_dst,
                                  *self._extra_structure())
        den = x.new_zeros(x.shape[0]).index_add(0, self.extra_dst, w)
        return num, den

    def degree(self, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """(num_nodes,) weighted in-degree (real edges count 1)."""
        deg = self.deg.to(dtype)
        if self.num_nodes > self.n:
            deg = torch.cat([deg, deg.new_zeros(self.num_nodes - self.n)])
        if self.num_extra:
            deg = deg.index_add(0, self.extra_dst, self.extra_weight.to(dtype))
        return deg

    def _sum_degree(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(weighted sum over in-neighbours (num_nodes, F), weighted in-degree (num_nodes,))."""
        self._check(x)
        num = self._real_sum(x)
        den = self.deg.to(x.dtype)
        if x.shape[0] > self.n:
            den = torch.cat([den, den.new_zeros(x.shape[0] - self.n)])
        if self.num_extra:
            e_num, e_den = self._extra(x)
            num, den = num + e_num, den + e_den
        return num, den

    def mean(self, x: torch.Tensor) -> torch.Tensor:
        """(Weighted) mean of the in-neighbours' rows of ``x`` (num_nodes, F); zeros for a
        node without neighbours (PyG's mean aggregation)."""
        num, den = self._sum_degree(x)
        return num / den.clamp_min(1e-12)[:, None]

    def sum_over_degree_plus_one(self, x: torch.Tensor) -> torch.Tensor:
        """(Weighted) sum of the in-neighbours' rows of ``x`` divided by the (weighted)
        degree plus one: GraphSMOTE's code's SAGE aggregation (models.py ``SageConv``:
        ``adj @ x / (adj.sum(1) + 1)``); zeros for a node without neighbours."""
        num, den = self._sum_degree(x)
        return num / (den + 1.0)[:, None]

    def gcn(self, x: torch.Tensor) -> torch.Tensor:
        """D^-1/2 (A + I) D^-1/2 x with D the (weighted) degree plus one (GCN's propagation)."""
        self._check(x)
        dinv = (self.degree(x.dtype) + 1.0).rsqrt()
        h = x * dinv[:, None]
        agg = self._real_sum(h)
        if self.num_extra:
            agg = agg + self._extra(h)[0]
        return agg * dinv[:, None] + x * (dinv * dinv)[:, None]

    def _check(self, x: torch.Tensor) -> None:
        if x.shape[0] != self.num_nodes:
            raise ValueError(f"Adjacency over {self.num_nodes} nodes got features of "
                             f"{x.shape[0]} rows")

    def __repr__(self) -> str:
        return (f"Adjacency(nodes={self.num_nodes}, real={self.n}, "
                f"edges={self.col.shape[0]}, extra={self.num_extra})")
