"""GNN backbones of the node-classification family: GraphSAGE, GCN and GAT, full-batch.
A fourth convolution, ``sage_official`` (:class:`SAGEOfficialLayer`), is GraphSMOTE's public
code's own SAGE layer (TianxiangZhao/GraphSmote, models.py ``SageConv``: N(0, 1) weights, no
bias, neighbour sum / (degree + 1)), a switch for rendering its tables with the code's settings.

Every method of GraphSMOTE's comparison runs on the same network (paper, 5.1.2): an
*encoder* (one graph convolution, GraphSMOTE's feature extractor), a *classifier* block (one
graph convolution) and a linear *head*, with ReLU and dropout after each convolution. The
balancing methods hook in between the parts: SMOTE in the encoder's space (GraphSMOTE), in
the last convolution's space (Embed-SMOTE), or on the input graph (over-sampling, SMOTE).

Graphs reach the layers as an :class:`~imbgraph.nodecls.adjacency.Adjacency` (the real graph
as a sparse CSR matrix plus, optionally, weighted extra edges to appended synthetic nodes).

The layers hold PyG's parameters (:class:`torch_geometric.nn.SAGEConv`,
:class:`~torch_geometric.nn.GCNConv`: the same names, shapes and initialisation) and compute
exactly their outputs on unweighted graphs (tests/nodecls/test_models.py loads each layer's
state into PyG's and compares); with weighted edges the SAGE mean becomes the weighted mean
and GCN's degrees the weighted degrees. The parameters live in plain ``nn.Linear`` modules
rather than in PyG's convolutions: the layers used PyG for nothing but the parameter
containers, and importing it costs every pipeline job another 0.5 s (on top of torch),
a fifth of what a default-config run job takes. GAT (:class:`GATLayer`, BAT's third
backbone) is PyG's ``GATConv`` itself, imported only when a GAT model is built. Every module
has ``reset_parameters()`` and a ``Shapes:`` block, as PyG's layers do.
"""

from __future__ import annotations

import weakref
from functools import partial
from typing import Callable

import torch
from torch import nn

from imbgraph.nodecls.adjacency import Adjacency
from imbgraph.nodecls.smote import SmoteDraw, interpolate

__all__ = ["CONVS", "GATLayer", "GCNLayer", "GNN", "MAX_ATTENTION", "MODELS", "SAGELayer",
           "SAGEOfficialLayer", "SPARSE_BELOW", "append_rows", "attention_size", "build_model"]


#: a wide input with at most this share of non-zero entries (Cora's bag of words: 1.3%,
#: CiteSeer's 0.85%) enters the first layer as a sparse CSR matrix (ECGN's pre-training,
#: :mod:`imbgraph.nodecls.methods.ecgn.pretrain`, as per-cluster CSR blocks)
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


#: id of a tensor made by :func:`append_rows` -> (its base tensor, the appended rows)
_APPENDED: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}


def append_rows(x: torch.Tensor, rows: torch.Tensor) -> torch.Tensor:
    """``cat([x, rows])``, remembered as such while it lives: a first layer's wide product
    of it is the cached product of ``x`` plus that of the few ``rows`` (BAT's virtual nodes,
    new every step, would otherwise cost a new sparse copy of the whole input per step)."""
    out = torch.cat([x, rows])
    key = id(out)
    _APPENDED[key] = (x, rows)
    weakref.finalize(out, _APPENDED.pop, key, None)
    return out


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
        parts = _APPENDED.get(id(x))
        if parts is not None and parts[0].shape[0] + parts[1].shape[0] == x.shape[0]:
            return torch.cat([self(parts[0], weights), parts[1] @ w.t()])
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
    the same way.

    Shapes:
        - **parameters:** ``lin_l.weight`` (F_out, F_in), ``lin_l.bias`` (F_out),
          ``lin_r.weight`` (F_out, F_in); no forward (:class:`SAGELayer` computes)
    """

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
    construction and again in ``reset_parameters``).

    Shapes:
        - **parameters:** ``lin.weight`` (F_out, F_in), ``bias`` (F_out); no forward
          (:class:`GCNLayer` computes)
    """

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


class _Conv(nn.Module):
    """What both convolutions share: PyG's parameters under ``conv`` (built by
    ``_params``), the wide-input cache, ``reset_parameters`` and the repr.

    Shapes:
        - **input:** node features (N, F_in), :class:`Adjacency` over N nodes
        - **output:** node features (N, F_out)
    """

    _params: type[nn.Module]

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = self._params(in_channels, out_channels)
        self._wide = _WideInput()

    def reset_parameters(self) -> None:
        self.conv.reset_parameters()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.conv.in_channels}, {self.conv.out_channels})"


class SAGELayer(_Conv):
    r"""GraphSAGE convolution with the mean aggregator:
    :math:`W_1 x_v + W_2 \,\mathrm{mean}_{u \in N(v)} x_u + b`
    (:class:`torch_geometric.nn.SAGEConv`'s parameters and output).

    Shapes:
        - **input:** node features (N, F_in), :class:`Adjacency` over N nodes
        - **output:** node features (N, F_out)
    """

    _params = _SAGEParams

    def forward(self, x: torch.Tensor, adj: Adjacency,
                synthetic: SmoteDraw | None = None) -> torch.Tensor:
        lin_l, lin_r = self.conv.lin_l, self.conv.lin_r
        if x.shape[1] <= lin_l.weight.shape[0]:
            x = _append(x, synthetic)
            return lin_l(adj.mean(x)) + lin_r(x)
        # Wide input (Cora: 1433): project first, then average the narrow rows. The mean is
        # linear, so mean(x) W^T = mean(x W^T); one (d, 2F) product replaces two, and the
        # aggregation moves F instead of d columns.
        out = _append(self._wide(x, [lin_l.weight, lin_r.weight]), synthetic,
                      [lin_l.weight, lin_r.weight])
        f = lin_l.weight.shape[0]
        return adj.mean(out[:, :f]) + lin_l.bias + out[:, f:]


class GCNLayer(_Conv):
    r"""GCN convolution :math:`\hat D^{-1/2} (A + I) \hat D^{-1/2} X W + b`
    (:class:`torch_geometric.nn.GCNConv`'s parameters and output).

    Shapes:
        - **input:** node features (N, F_in), :class:`Adjacency` over N nodes
        - **output:** node features (N, F_out)
    """

    _params = _GCNParams

    def forward(self, x: torch.Tensor, adj: Adjacency,
                synthetic: SmoteDraw | None = None) -> torch.Tensor:
        lin = self.conv.lin
        if x.shape[1] > lin.weight.shape[0]:
            h = _append(self._wide(x, [lin.weight]), synthetic, [lin.weight])
        else:
            h = lin(_append(x, synthetic))
        out = adj.gcn(h)
        return out + self.conv.bias if self.conv.bias is not None else out


class GATLayer(nn.Module):
    r"""Graph attention (Velickovic et al., ICLR 2018) by PyG's
    :class:`torch_geometric.nn.GATConv`: ``heads`` heads of ``out_channels // heads``
    features, concatenated (self loops added, LeakyReLU slope 0.2, no attention dropout: PyG's
    defaults, which BAT's and TAM's ``nets/gat.py`` keep). The :class:`Adjacency` reaches it as
    an edge list (:meth:`Adjacency.edge_index`: extra edges of positive weight count, without
    their weight); synthetic rows are interpolated on the input, before the layer.

    Shapes:
        - **input:** node features (N, F_in), :class:`Adjacency` over N nodes
        - **output:** node features (N, F_out)
    """

    def __init__(self, in_channels: int, out_channels: int, heads: int = 4) -> None:
        super().__init__()
        from torch_geometric.nn import GATConv  # PyG costs 0.5 s to import: only for GAT

        if out_channels % heads:
            raise ValueError(f"GAT width {out_channels} is not a multiple of heads = {heads}")
        self.conv = GATConv(in_channels, out_channels // heads, heads=heads)
        # GATConv's own bias-free ``lin`` (PyG's Linear: same parameter, name and draw),
        # able to pass through a projection this layer has already computed
        self.conv.lin.__class__ = _given_linear()
        self._wide = _WideInput()

    def reset_parameters(self) -> None:
        self.conv.reset_parameters()

    def forward(self, x: torch.Tensor, adj: Adjacency,
                synthetic: SmoteDraw | None = None) -> torch.Tensor:
        lin = self.conv.lin
        if x.shape[1] <= lin.weight.shape[0]:
            return self.conv(_append(x, synthetic), adj.edge_index())
        # Wide input (Cora's 1433 / CiteSeer's 3703 bag of words into 256): the product
        # x W^T is the wide-input cache's (CSR for sparse rows, reused between an epoch's
        # validation pass and the next step, BAT's virtual rows added on), synthetic rows
        # interpolated after it (the map is linear and bias-free); GATConv then attends over
        # the given projection. 3-4x faster epochs than PyG's dense product on the real
        # CiteSeer (benchmarks/bench_bat.py --backbones gat,gat_pyg).
        h = _append(self._wide(x, [lin.weight]), synthetic, [lin.weight])
        lin.given = h
        try:
            return self.conv(h, adj.edge_index())
        finally:
            lin.given = None

    def __repr__(self) -> str:
        c = self.conv
        return f"GATLayer({c.in_channels}, {c.out_channels * c.heads}, heads={c.heads})"


def _given_linear() -> type:
    """PyG's ``Linear`` whose forward returns its input unchanged when that input is the
    tensor in ``given`` (a projection by the same weight, computed by :class:`GATLayer`),
    and is PyG's forward otherwise. Built on first use: PyG is imported only for GAT."""
    global _GIVEN_LINEAR
    if _GIVEN_LINEAR is None:
        from torch_geometric.nn.dense.linear import Linear

        class GivenLinear(Linear):
            """PyG's ``Linear``, passing through the tensor in ``given``.

            Shapes:
                - **input:** (N, F_in), or the given (N, F_out) projection
                - **output:** (N, F_out)
            """

            given: torch.Tensor | None = None

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                return x if x is self.given else super().forward(x)

        _GIVEN_LINEAR = GivenLinear
    return _GIVEN_LINEAR


_GIVEN_LINEAR: type | None = None


class _SAGEOfficialParams(nn.Module):
    """GraphSMOTE's code's ``SageConv`` parameters (models.py): one ``proj`` linear
    (F_out, 2 F_in) without bias over ``[x, neighbours]``, weight drawn N(0, 1)
    (``nn.init.normal_``).

    Shapes:
        - **parameters:** ``proj.weight`` (F_out, 2 F_in); no forward
          (:class:`SAGEOfficialLayer` computes)
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.proj = nn.utils.skip_init(nn.Linear, 2 * in_channels, out_channels, bias=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.normal_(self.proj.weight)


class SAGEOfficialLayer(_Conv):
    r"""GraphSMOTE's public code's GraphSAGE layer (models.py ``SageConv``, the default
    ``bias=False``): :math:`W [x_v \,\|\, \sum_{u \in N(v)} x_u / (d_v + 1)]`, i.e.
    :math:`W_1 x_v + W_2 \sum_u x_u / (d_v + 1)` with :math:`W = [W_1 | W_2]` drawn
    N(0, 1) and no bias (not PyG's mean: the neighbour sum is divided by the degree plus
    one, and the weights are not scaled to the fan-in). Weighted edges: weighted sum over
    weighted degree plus one, as the code's dense weighted ``adj``.

    Shapes:
        - **input:** node features (N, F_in), :class:`Adjacency` over N nodes
        - **output:** node features (N, F_out)
    """

    _params = _SAGEOfficialParams

    def forward(self, x: torch.Tensor, adj: Adjacency,
                synthetic: SmoteDraw | None = None) -> torch.Tensor:
        w = self.conv.proj.weight
        f_in = w.shape[1] // 2
        w_self, w_neigh = w[:, :f_in], w[:, f_in:]
        if x.shape[1] <= w.shape[0]:
            x = _append(x, synthetic)
            return x @ w_self.t() + adj.sum_over_degree_plus_one(x) @ w_neigh.t()
        # wide input: project first (the aggregation is linear), as SAGELayer
        out = _append(self._wide(x, [w_self, w_neigh]), synthetic, [w_self, w_neigh])
        f = w.shape[0]
        return out[:, :f] + adj.sum_over_degree_plus_one(out[:, f:])


CONVS: dict[str, Callable[..., nn.Module]] = {"sage": SAGELayer, "gcn": GCNLayer,
                                              "gat": GATLayer,
                                              "sage_official": SAGEOfficialLayer}


def _append(h: torch.Tensor, synthetic: SmoteDraw | None,
            weights: list[torch.Tensor] | None = None) -> torch.Tensor:
    """``h`` with the synthetic rows (interpolations of its rows, :mod:`~imbgraph.nodecls.
    smote`) appended. A ``synthetic`` object with an ``append(h, weights)`` method appends
    its own rows instead (GraphENS, GraphSHA, Mixup: :mod:`~imbgraph.nodecls.methods.mixup`);
    ``weights`` are the layer's maps when ``h`` is already projected (wide input), else None
    (``h`` is the raw input)."""
    if synthetic is None:
        return h
    if hasattr(synthetic, "append"):
        return synthetic.append(h, weights)
    return torch.cat([h, interpolate(h, synthetic)])


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
        conv: ``"sage"``, ``"gcn"``, ``"gat"`` or ``"sage_official"`` (:data:`CONVS`; the
            last is GraphSMOTE's code's layer, with its head initialisation).
        hidden: width of every convolution (paper: 64).
        encoder_layers, classifier_layers: convolutions in each block (paper: 1 and 1).
        dropout: after every convolution's ReLU (paper: 0.1).
        heads: attention heads of a GAT convolution (BAT's and TAM's code: 4).

    Shapes:
        - **encode:** (N, d), Adjacency -> (N, hidden)
        - **embed:** (N, hidden), Adjacency -> (N, hidden) (classifier convolutions)
        - **head:** (N, hidden) -> (N, C) logits
        - **forward:** (N, d), Adjacency -> (N, C) logits
    """

    def __init__(self, in_channels: int, num_classes: int, *, conv: str = "sage",
                 hidden: int = 64, encoder_layers: int = 1, classifier_layers: int = 1,
                 dropout: float = 0.1, heads: int = 4) -> None:
        super().__init__()
        if conv not in CONVS:
            raise ValueError(f"conv = {conv!r}; expected one of {sorted(CONVS)}")
        if in_channels < 1:
            raise ValueError(f"in_channels = {in_channels}: the graph has no node features "
                             "(compute DeepWalk features first)")
        self.conv_name, self.hidden, self.dropout = conv, int(hidden), float(dropout)
        layer = CONVS[conv] if conv != "gat" else partial(GATLayer, heads=int(heads))
        widths = [in_channels] + [hidden] * encoder_layers
        self.encoder = nn.ModuleList(layer(a, b) for a, b in zip(widths[:-1], widths[1:]))
        self.classifier = nn.ModuleList(layer(hidden, hidden) for _ in range(classifier_layers))
        self.lin = nn.Linear(hidden, num_classes)
        self._official_head()

    def _official_head(self) -> None:
        # GraphSMOTE's code (models.py Sage_Classifier.reset_parameters): the linear head's
        # weight N(0, 0.05^2), its bias torch's default
        if self.conv_name == "sage_official":
            nn.init.normal_(self.lin.weight, std=0.05)

    def reset_parameters(self) -> None:
        for m in [*self.encoder, *self.classifier]:
            m.reset_parameters()
        self.lin.reset_parameters()
        self._official_head()

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


# config model name -> convolution
MODELS: dict[str, str] = {"sage": "sage", "gcn": "gcn", "gat": "gat",
                          "sage_official": "sage_official"}
#: a GAT model's default bound on edges x heads of one layer (``max_attention``): its
#: attention scores and messages grow with it (each edge carries ``hidden`` floats)
MAX_ATTENTION = 20_000_000


def attention_size(spec: dict, num_nodes: int, num_edges: int) -> int:
    """Edges (with GAT's self loops) x heads of one attention layer of model ``spec`` on a
    graph of ``num_nodes`` nodes and ``num_edges`` directed edges; 0 for a model without
    attention."""
    if spec["name"] != "gat":
        return 0
    return (int(num_edges) + int(num_nodes)) * int(spec.get("heads", 4))


def build_model(spec: dict, in_channels: int, num_classes: int) -> GNN:
    """A :class:`GNN` from a resolved model entry ``{name, hidden, dropout, encoder_layers,
    classifier_layers}``."""
    name = spec["name"]
    if name not in MODELS:
        raise ValueError(f"model name = {name!r}; expected one of {sorted(MODELS)}")
    return GNN(in_channels, num_classes, conv=MODELS[name], hidden=int(spec.get("hidden", 64)),
               encoder_layers=int(spec.get("encoder_layers", 1)),
               classifier_layers=int(spec.get("classifier_layers", 1)),
               dropout=float(spec.get("dropout", 0.1)), heads=int(spec.get("heads", 4)))
