"""GNN backbones of the node-classification family: GraphSAGE and GCN, full-batch, sparse.

Every method of GraphSMOTE's comparison runs on the same network (paper, 5.1.2): an
*encoder* (one graph convolution, GraphSMOTE's feature extractor), a *classifier* block (one
graph convolution) and a linear *head*, with ReLU and dropout after each convolution. The
balancing methods hook in between the parts: SMOTE in the encoder's space (GraphSMOTE), in
the last convolution's space (Embed-SMOTE), or on the input graph (over-sampling, SMOTE).

Graphs reach the layers as an :class:`Adjacency`, which holds the real graph as a sparse CSR
matrix (built once per graph) plus, optionally, weighted *extra* edges to appended synthetic
nodes. Extra edge weights may carry gradients (GraphSMOTE-O's soft edges); the real part is
aggregated with ``torch.sparse.mm``, about six times faster on CPU than PyG's edge-list
message passing at BlogCatalog's size (benchmarks/bench_nodecls.py), and without the
``(E, F)`` message tensor.

The layers hold PyG's parameters (:class:`torch_geometric.nn.SAGEConv`,
:class:`~torch_geometric.nn.GCNConv`: the same names, shapes and initialisation) and compute
exactly their outputs on unweighted graphs (tests/nodecls/test_models.py loads each layer's
state into PyG's and compares); with weighted edges the SAGE mean becomes the weighted mean
and GCN's degrees the weighted degrees. The parameters live in plain ``nn.Linear`` modules
rather than in PyG's convolutions: the layers used PyG for nothing but the parameter
containers, and importing it costs every pipeline job another 0.5 s (on top of torch),
a fifth of what a default-config run job takes.
"""

from __future__ import annotations

import warnings
import weakref
from typing import Callable

import numpy as np
import torch
from torch import nn

from imbgraph.nodecls.smote import SmoteDraw, interpolate

__all__ = ["Adjacency", "CONVS", "GCNLayer", "GNN", "MODELS", "SAGELayer", "SPARSE_BELOW",
           "build_model", "pair_dot"]


def _csr(crow: torch.Tensor, col: torch.Tensor, values: torch.Tensor,
         size: tuple[int, int]) -> torch.Tensor:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "sparse CSR support is in beta"
        return torch.sparse_csr_tensor(crow, col, values, size=size)


class _SpMM(torch.autograd.Function):
    """A @ x for a constant CSR matrix A whose transpose is given too: torch's own backward
    of ``torch.sparse.mm`` re-sorts A into A^T at every call."""

    @staticmethod
    def forward(ctx, a: torch.Tensor, a_t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        ctx.a_t = a_t
        return torch.sparse.mm(a, x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return None, None, torch.sparse.mm(ctx.a_t, grad)


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
        return torch.sparse.mm(_csr(crow, col, w[order], (m, m)), x)

    @staticmethod
    def backward(ctx, grad):
        x, w, crow, col, order, crow_t, col_t, order_t = ctx.saved_tensors
        grad_x = grad_w = None
        m = x.shape[0]
        if ctx.needs_input_grad[0]:
            grad_x = torch.sparse.mm(_csr(crow_t, col_t, w[order_t], (m, m)), grad)
        if ctx.needs_input_grad[1]:
            # (grad x^T) sampled at the edges (rows = targets, columns = sources), in the
            # CSR order of the forward pass: back to edge order through ``order``.
            pattern = _csr(crow, col, torch.zeros_like(w), (m, m))
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
        pattern = _csr(crow, col, a.new_zeros(col.shape[0]), (a.shape[0], b.shape[0]))
        return torch.sparse.sampled_addmm(pattern, a, b.t(), beta=0.0).values()

    @staticmethod
    def backward(ctx, grad):
        a, b, crow, col, crow_t, col_t, order_t = ctx.saved_tensors
        m, n = a.shape[0], b.shape[0]
        grad_a = (torch.sparse.mm(_csr(crow, col, grad, (m, n)), b)
                  if ctx.needs_input_grad[0] else None)
        grad_b = (torch.sparse.mm(_csr(crow_t, col_t, grad[order_t], (n, m)), a)
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
            out = _SpMM.apply(_csr(self.crow, self.col, ones, (self.n, self.n)),
                              _csr(crow_t, col_t, ones, (self.n, self.n)), xr)
        else:
            out = torch.sparse.mm(_csr(self.crow, self.col, ones, (self.n, self.n)), xr)
        if x.shape[0] > self.n:
            out = torch.cat([out, out.new_zeros(x.shape[0] - self.n, x.shape[1])])
        return out

    def _extra_structure(self) -> tuple[torch.Tensor, ...]:
        # CSR structure of the extra edges and of their transpose (rows = targets / sources),
        # with the permutations that order the edge weights into each; built once per
        # augmented graph and shared by its layers.
        if self._extra_csr is None:
            m, dev = self.num_nodes, self.extra_src.device

            def csr(rows, cols):
                order = torch.argsort(rows * m + cols)
                crow = torch.zeros(m + 1, dtype=torch.long, device=dev)
                crow[1:] = torch.cumsum(torch.bincount(rows, minlength=m), 0)
                return crow, cols[order].contiguous(), order

            self._extra_csr = (*csr(self.extra_dst, self.extra_src),
                               *csr(self.extra_src, self.extra_dst))
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

    def mean(self, x: torch.Tensor) -> torch.Tensor:
        """(Weighted) mean of the in-neighbours' rows of ``x`` (num_nodes, F); zeros for a
        node without neighbours (PyG's mean aggregation)."""
        self._check(x)
        num = self._real_sum(x)
        den = self.deg.to(x.dtype)
        if x.shape[0] > self.n:
            den = torch.cat([den, den.new_zeros(x.shape[0] - self.n)])
        if self.num_extra:
            e_num, e_den = self._extra(x)
            num, den = num + e_num, den + e_den
        return num / den.clamp_min(1e-12)[:, None]

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


#: a wide input with at most this share of non-zero entries (Cora's bag of words: 1.3%,
#: CiteSeer's 0.85%) enters the first layer as a sparse CSR matrix (ECGN's pre-training,
#: :mod:`imbgraph.nodecls.ecgn_pretrain`, as per-cluster CSR blocks)
SPARSE_BELOW = 0.05


class _Project(torch.autograd.Function):
    """``x @ w.T`` for a constant input ``x`` (no gradient), dense or CSR (``xt``: its
    transpose, CSR too), with the product already known when ``known`` is given (computed
    with the same ``w``); the backward pass gives ``w``'s gradient ``grad.T @ x`` only."""

    @staticmethod
    def forward(ctx, w, x, xt, known):
        ctx.x, ctx.xt = x, xt
        if known is not None:
            return known.clone()
        return torch.sparse.mm(x, w.t()) if xt is not None else x @ w.t()

    @staticmethod
    def backward(ctx, grad):
        gw = torch.sparse.mm(ctx.xt, grad).t() if ctx.xt is not None else grad.t() @ ctx.x
        return gw, None, None, None


class _WideInput:
    """The first layer's product ``x @ w.T`` for wide inputs that stay the same tensors
    across epochs (the graph's features; ClusterGCN's per-cluster slices of them).

    Two savings, neither of which changes a number: a sparse input (at most
    :data:`SPARSE_BELOW` non-zero) is multiplied as CSR (CiteSeer's 3327 x 3703 features into
    256 columns: ~10x faster), and the product computed by an epoch's validation pass is
    reused by the next training step, whose weights are the same (the optimiser has not
    stepped in between; dropout comes after the layer): one of the three wide products of
    an epoch (train forward, its backward, validation) instead of recomputing it. What is
    kept per input (its density test and CSR copies, the last product) is keyed by the
    tensor's identity and version, and dropped with the tensor.
    """

    def __init__(self) -> None:
        self._inputs: dict[int, _WideState] = {}

    def _state(self, x: torch.Tensor) -> "_WideState":
        key = id(x)
        st = self._inputs.get(key)
        if st is None or st.ref() is not x or st.version != x._version:
            st = _WideState(x, weakref.ref(x, lambda _, k=key: self._inputs.pop(k, None)))
            self._inputs[key] = st
        return st

    def __call__(self, x: torch.Tensor, weights: list[torch.Tensor]) -> torch.Tensor:
        w = torch.cat(weights) if len(weights) > 1 else weights[0]
        if x.requires_grad or x.dim() != 2:
            return x @ w.t()
        st = self._state(x)
        versions = tuple(int(p._version) for p in weights)
        known = st.known if versions == st.w_versions else None
        xs, xt = st.csr if st.csr is not None else (x, None)
        if torch.is_grad_enabled() and w.requires_grad:
            out = _Project.apply(w, xs, xt, known)
        else:
            out = known if known is not None else (
                torch.sparse.mm(xs, w.t()) if xt is not None else x @ w.t())
        st.known, st.w_versions = out.detach(), versions
        return out


class _WideState:
    """What :class:`_WideInput` keeps of one input tensor."""

    def __init__(self, x: torch.Tensor, ref: weakref.ref) -> None:
        self.ref, self.version = ref, x._version
        nnz = int(torch.count_nonzero(x))
        self.csr = ((x.to_sparse_csr(), x.t().contiguous().to_sparse_csr())
                    if nnz <= SPARSE_BELOW * x.numel() else None)
        self.known: torch.Tensor | None = None
        self.w_versions: tuple[int, ...] = ()


class _SAGEParams(nn.Module):
    """:class:`torch_geometric.nn.SAGEConv`'s parameters (``lin_l`` with the bias, ``lin_r``
    without) under its names, drawn as it draws them: PyG initialises both linears when it
    builds them and again in ``SAGEConv.reset_parameters`` (Kaiming-uniform weights and
    uniform biases, torch's ``nn.Linear`` initialisation), so the random stream advances
    the same way."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.lin_l = nn.Linear(in_channels, out_channels)
        self.lin_r = nn.Linear(in_channels, out_channels, bias=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.lin_l.reset_parameters()
        self.lin_r.reset_parameters()


class _GCNParams(nn.Module):
    """:class:`torch_geometric.nn.GCNConv`'s parameters (``lin``: Glorot-uniform weight, no
    bias; ``bias``: zeros) under its names, drawn as it draws them (the weight at
    construction and again in ``reset_parameters``)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        # skip_init: torch's own Kaiming draw would advance the random stream once more
        self.lin = nn.utils.skip_init(nn.Linear, in_channels, out_channels, bias=False)
        self.bias = nn.Parameter(torch.empty(out_channels))
        nn.init.xavier_uniform_(self.lin.weight)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.lin.weight)
        nn.init.zeros_(self.bias)


class SAGELayer(nn.Module):
    r"""GraphSAGE convolution with the mean aggregator:
    :math:`W_1 x_v + W_2 \,\mathrm{mean}_{u \in N(v)} x_u + b`
    (:class:`torch_geometric.nn.SAGEConv`'s parameters and output).

    Shapes:
        - **input:** node features (N, F_in), :class:`Adjacency` over N nodes
        - **output:** node features (N, F_out)
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = _SAGEParams(in_channels, out_channels)
        self._wide = _WideInput()

    def reset_parameters(self) -> None:
        self.conv.reset_parameters()

    def forward(self, x: torch.Tensor, adj: Adjacency,
                synthetic: SmoteDraw | None = None) -> torch.Tensor:
        lin_l, lin_r = self.conv.lin_l, self.conv.lin_r
        if x.shape[1] <= lin_l.weight.shape[0]:
            x = _append(x, synthetic)
            return lin_l(adj.mean(x)) + lin_r(x)
        # Wide input (Cora: 1433): project first, then average the narrow rows. The mean is
        # linear, so mean(x) W^T = mean(x W^T); one (d, 2F) product replaces two, and the
        # aggregation moves F instead of d columns.
        out = _append(self._wide(x, [lin_l.weight, lin_r.weight]), synthetic)
        f = lin_l.weight.shape[0]
        return adj.mean(out[:, :f]) + lin_l.bias + out[:, f:]

    def __repr__(self) -> str:
        return f"SAGELayer({self.conv.in_channels}, {self.conv.out_channels})"


class GCNLayer(nn.Module):
    r"""GCN convolution :math:`\hat D^{-1/2} (A + I) \hat D^{-1/2} X W + b`
    (:class:`torch_geometric.nn.GCNConv`'s parameters and output).

    Shapes:
        - **input:** node features (N, F_in), :class:`Adjacency` over N nodes
        - **output:** node features (N, F_out)
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = _GCNParams(in_channels, out_channels)
        self._wide = _WideInput()

    def reset_parameters(self) -> None:
        self.conv.reset_parameters()

    def forward(self, x: torch.Tensor, adj: Adjacency,
                synthetic: SmoteDraw | None = None) -> torch.Tensor:
        lin = self.conv.lin
        if x.shape[1] > lin.weight.shape[0]:
            h = _append(self._wide(x, [lin.weight]), synthetic)
        else:
            h = lin(_append(x, synthetic))
        out = adj.gcn(h)
        return out + self.conv.bias if self.conv.bias is not None else out

    def __repr__(self) -> str:
        return f"GCNLayer({self.conv.in_channels}, {self.conv.out_channels})"


CONVS: dict[str, Callable[[int, int], nn.Module]] = {"sage": SAGELayer, "gcn": GCNLayer}


def _append(h: torch.Tensor, synthetic: SmoteDraw | None) -> torch.Tensor:
    """``h`` with the synthetic rows (interpolations of its rows, :mod:`~imbgraph.nodecls.
    smote`) appended."""
    return h if synthetic is None else torch.cat([h, interpolate(h, synthetic)])


def _dropout(h: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Inverted dropout from a ``rand_like`` mask: ``F.dropout``'s distribution, ~4x faster
    on CPU, where its Bernoulli sampler is a third of a small graph's training step
    (benchmarks/bench_ecgn.py; ECGN's cluster networks drop out the same way)."""
    if not training or p == 0.0:
        return h
    return h * (torch.rand_like(h) >= p).to(h.dtype) / (1.0 - p)


class GNN(nn.Module):
    """Encoder convolutions -> classifier convolutions -> linear head (GraphSMOTE's network).

    Args:
        in_channels: feature dimension d.
        num_classes: C.
        conv: ``"sage"`` or ``"gcn"`` (:data:`CONVS`).
        hidden: width of every convolution (paper: 64).
        encoder_layers, classifier_layers: convolutions in each block (paper: 1 and 1).
        dropout: after every convolution's ReLU (paper: 0.1).

    Shapes:
        - **encode:** (N, d), Adjacency -> (N, hidden)
        - **embed:** (N, hidden), Adjacency -> (N, hidden) (classifier convolutions)
        - **head:** (N, hidden) -> (N, C) logits
        - **forward:** (N, d), Adjacency -> (N, C) logits
    """

    def __init__(self, in_channels: int, num_classes: int, *, conv: str = "sage",
                 hidden: int = 64, encoder_layers: int = 1, classifier_layers: int = 1,
                 dropout: float = 0.1) -> None:
        super().__init__()
        if conv not in CONVS:
            raise ValueError(f"conv = {conv!r}; expected one of {sorted(CONVS)}")
        if in_channels < 1:
            raise ValueError(f"in_channels = {in_channels}: the graph has no node features "
                             "(compute DeepWalk features first)")
        self.conv_name, self.hidden, self.dropout = conv, int(hidden), float(dropout)
        layer = CONVS[conv]
        widths = [in_channels] + [hidden] * encoder_layers
        self.encoder = nn.ModuleList(layer(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.classifier = nn.ModuleList(layer(hidden, hidden) for _ in range(classifier_layers))
        self.lin = nn.Linear(hidden, num_classes)

    def reset_parameters(self) -> None:
        for m in [*self.encoder, *self.classifier]:
            m.reset_parameters()
        self.lin.reset_parameters()

    def _block(self, layers: nn.ModuleList, h: torch.Tensor, adj: Adjacency,
               synthetic: SmoteDraw | None = None) -> torch.Tensor:
        for layer in layers:
            h = _dropout(torch.relu(layer(h, adj, synthetic)), self.dropout, self.training)
            synthetic = None
        return h

    def encode(self, x: torch.Tensor, adj: Adjacency,
               synthetic: SmoteDraw | None = None) -> torch.Tensor:
        return self._block(self.encoder, x, adj, synthetic)

    def embed(self, h: torch.Tensor, adj: Adjacency) -> torch.Tensor:
        return self._block(self.classifier, h, adj)

    def head(self, h: torch.Tensor) -> torch.Tensor:
        return self.lin(h)

    def forward(self, x: torch.Tensor, adj: Adjacency,
                synthetic: SmoteDraw | None = None) -> torch.Tensor:
        """Logits of the real nodes and, when ``synthetic`` is given, of appended nodes
        whose features are those interpolations of ``x``'s rows (``adj`` then covers
        them). They are interpolated after the first layer's linear map, which commutes
        with it: the wide input's product stays cached, and the synthetic rows cost an
        (m, hidden) interpolation instead of an (m, d) one and a new (n + m, d) product."""
        return self.head(self.embed(self.encode(x, adj, synthetic), adj))


MODELS: dict[str, str] = {"sage": "sage", "gcn": "gcn"}  # config model name -> convolution


def build_model(spec: dict, in_channels: int, num_classes: int) -> GNN:
    """A :class:`GNN` from a resolved model entry ``{name, hidden, dropout, encoder_layers,
    classifier_layers}``."""
    name = spec["name"]
    if name not in MODELS:
        raise ValueError(f"model name = {name!r}; expected one of {sorted(MODELS)}")
    return GNN(in_channels, num_classes, conv=MODELS[name], hidden=int(spec.get("hidden", 64)),
               encoder_layers=int(spec.get("encoder_layers", 1)),
               classifier_layers=int(spec.get("classifier_layers", 1)),
               dropout=float(spec.get("dropout", 0.1)))
