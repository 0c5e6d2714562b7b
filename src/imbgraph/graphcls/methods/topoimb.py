"""``topoimb``: TopoImb (Zhao et al., "TopoImb: Toward Topology-level Imbalance in Learning from
Graphs", LoG 2022), as IGL-Bench reimplements it for graph classification (RingBDStack/IGL-Bench,
``IGL_Bench/algorithm/TopoImb``: solver.py, trainer.py, model.py, layers.py, topo_util.py;
config/graph/class/TopoImb.yml and config/graph/topology/TopoImb.yml).

Steps, each after the file named:

* **Topology groups** (topo_util.py ``generate_topo_labels``): every graph's Weisfeiler-Lehman
  colour histogram after ``wl_iterations`` rounds (the code's ``WLConv`` x n_layer on the node
  labels ``x.argmax(-1)``, the last round's colours, L2-normalised:
  ``WLConv.histogram(norm=True)``), clustered into ``topo_groups`` groups by scikit-learn's
  ``SpectralClustering(affinity="nearest_neighbors", assign_labels="discretize",
  random_state=0)``, over all graphs of the dataset (no graph labels).
* **Re-weighter** (model.py ``StructGraphGNN``, layers.py ``StructConv`` / ``MemModule`` /
  ``MLP``): a linear input map, then per layer a GIN-like convolution whose MLP reads
  [sum of neighbours, self] (Linear(2h, h)-LeakyReLU(0.1)-Linear(h, h)), ReLU, and a memory of
  ``n_mem`` + 1 templates: s = sigmoid(x V) with the last column set to 0.2 (the default
  template), softmax over templates, output softmax(s) V^T; the layers' outputs concatenated,
  max- and mean-pooled per graph. Heads: a classifier (``lin``) and the weight
  w = sigmoid(lin_weight(e)) * B / sum_batch sigmoid(...) (the sum held fixed): mean 1 per batch.
* **Training** (trainer.py ``ReweighterGraphTrainer`` / ``TopoGraphTrainer``, solver.py
  ``train``), per training batch: the classifier's loss (1 - lambda) NLL + lambda mean(w_i
  NLL_i) with the weights of the re-weighter before its update (lambda = ``reweight_weight``);
  ``adv_step`` re-weighter steps (its non-memory parameters, Adam at ``reweight_lr``) on
  mean(w_i (-NLL_i)) + NLL(re-weighter's classifier) (it up-weights the graphs the classifier
  finds hard); one step of the topology task (the re-weighter and an MLP(2 L h, h, groups, L
  layers) on its embedding, NLL of the graph's topology group, Adam at the main ``lr``). After
  the epoch a second pass over the epoch's batches moves the memory only (Adam at
  ``reweight_lr``) on mean(w_i NLL_i) - NLL(re-weighter's classifier), the classifier in
  training mode (as the code: its BatchNorm statistics move). The re-weighter's and the
  memory's steps clip the re-weighter's gradients at norm 2 (the code's
  ``clip_grad_norm_(..., 2.0)`` after ``backward``; the topology step clips before
  ``backward``, i.e. not at all, and so does the classifier's).

The code's defaults (class imbalance yml): reweight_weight 0.2, reweight_lr 0.005, adv_step 1,
n_mem 8 per layer, ``att: dp``, ``use_key: False``, 8 topology groups, 3 layers, hidden 128
(the re-weighter takes the backbone's width and depth, as the code's shared hidden_dim /
n_layer). Deviations: the classifier is the shared GIN backbone + MLP head (the code's
``GIN_graph``); the topology task reads each batch's own groups (the code slices the group
array of the unshuffled training set by position within a shuffled loader, pairing graphs
with other graphs' groups); the memory pass reuses the epoch's batches in a fresh random
order (the code draws new batches).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from torch import nn

from imbgraph.errors import ConfigError
from imbgraph.graphcls.collection import GraphBatch, GraphCollection
from imbgraph.graphcls.methods.base import Built, MethodInputs
from imbgraph.graphcls.models import MLPHead, adjacency
from imbgraph.graphcls.train import Learner
from imbgraph.sparse import SpMM

__all__ = ["MemModule", "StructGNN", "TopoImb", "build", "node_colours", "topology_groups",
           "wl_histograms"]

#: similarity of the default template (layers.py ``MemModule(thresh=0.2)``)
DEFAULT_TEMPLATE = 0.2


def node_colours(c: GraphCollection, *, key: str = "params.topo_initial") -> np.ndarray:
    """The code's initial WL colours ``x.argmax(-1)``: one discrete label per node, which needs
    node features that are one-hot (TU node labels, degree one-hot) or a single column;
    ConfigError naming ``key`` otherwise (continuous attributes have no label to count)."""
    x = c.x
    if x.shape[1] == 1:
        return np.unique(x[:, 0], return_inverse=True)[1].reshape(-1).astype(np.int64)
    if not (np.isin(x, (0.0, 1.0)).all() and (x.sum(axis=1) == 1).all()):
        raise ConfigError(f"{key} = 'label': TopoImb's topology groups count WL colours of "
                          f"discrete node labels, but dataset {c.name!r} has node features "
                          f"{c.features or 'of another kind'!r} that are not one-hot; use "
                          "node_features: labels or degree")
    return x.argmax(axis=1).astype(np.int64)


def wl_histograms(c: GraphCollection, colours: np.ndarray, iterations: int) -> sp.csr_matrix:
    """(G, D) L2-normalised counts of every graph's node colours after ``iterations`` WL
    rounds (a node's new colour is its (colour, multiset of neighbour colours); the multiset
    is hashed as a sum of random 40-bit codes per colour, exact in int64)."""
    rng = np.random.default_rng(0)
    adj = sp.csr_matrix((np.ones(c.edge_index.shape[1], dtype=np.int64),
                         (c.edge_index[0], c.edge_index[1])), shape=(c.num_nodes, c.num_nodes))
    lab = colours
    for _ in range(iterations):
        code = rng.integers(0, 1 << 40, size=int(lab.max()) + 1, dtype=np.int64)
        _, lab = np.unique(np.stack([lab, adj @ code[lab]], axis=1), axis=0, return_inverse=True)
        lab = lab.reshape(-1)
    h = sp.csr_matrix((np.ones(lab.shape[0]), (c.graph_of_node, lab)),
                      shape=(c.num_graphs, int(lab.max()) + 1))
    h.sum_duplicates()
    norms = np.sqrt(np.asarray(h.multiply(h).sum(axis=1)).ravel())
    return sp.csr_matrix(sp.diags(1.0 / norms) @ h)


def topology_groups(c: GraphCollection, *, groups: int = 8, iterations: int = 3,
                    key: str = "params.topo_initial") -> np.ndarray:
    """(G,) int64 topology group of every graph: spectral clustering of the WL histograms
    (topo_util.py's ``clust``)."""
    from sklearn.cluster import SpectralClustering

    h = wl_histograms(c, node_colours(c, key=key), iterations)
    n_neighbors = min(10, c.num_graphs - 1)  # sklearn's default, within tiny collections
    sc = SpectralClustering(n_clusters=groups, assign_labels="discretize", random_state=0,
                            affinity="nearest_neighbors", n_neighbors=n_neighbors)
    return sc.fit(h).labels_.astype(np.int64)


class MemModule(nn.Module):
    """layers.py ``MemModule`` (``att="dp"``, no key memory): ``k`` templates plus the default
    one, the output softmax(s) V^T with s = sigmoid(x V), its last column replaced by 0.2.

    Shapes:
        - **input:** (n, h)
        - **output:** (n, h), the template weights softmax(s) (n, k + 1)
    """

    def __init__(self, hidden: int, k: int) -> None:
        super().__init__()
        self.value_memory = nn.Parameter(torch.zeros(hidden, k + 1))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.kaiming_uniform_(self.value_memory, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s = torch.sigmoid(x @ self.value_memory)
        s = torch.cat([s[:, :-1], s.new_full((s.shape[0], 1), DEFAULT_TEMPLATE)], dim=1)
        s = torch.softmax(s, dim=-1)
        return s @ self.value_memory.t(), s


def _mlp(i: int, h: int, o: int, layers: int = 2) -> nn.Sequential:
    """layers.py ``MLP``: (layers - 1) x [Linear, LeakyReLU(0.1)], then Linear."""
    mods: list[nn.Module] = []
    for _ in range(layers - 1):
        mods += [nn.Linear(i, h), nn.LeakyReLU(0.1)]
        i = h
    return nn.Sequential(*mods, nn.Linear(i, o))


class StructGNN(nn.Module):
    """The re-weighter (model.py ``StructGraphGNN``, ``res=True``, dropout 0).

    Shapes:
        - **embedding:** GraphBatch of B graphs (n nodes) -> (B, 2 L h)
        - **log_proba / weight:** (B, 2 L h) -> (B, C) / (B,)
    """

    def __init__(self, in_channels: int, hidden: int, n_classes: int, *, layers: int = 3,
                 n_mem: int = 8) -> None:
        super().__init__()
        self.pre_conv = nn.Linear(in_channels, hidden)
        self.convs = nn.ModuleList([_mlp(2 * hidden, hidden, hidden) for _ in range(layers)])
        self.mem_cells = nn.ModuleList([MemModule(hidden, n_mem) for _ in range(layers)])
        self.lin = nn.Linear(2 * layers * hidden, n_classes)
        self.lin_weight = nn.Linear(2 * layers * hidden, 1)

    def reset_parameters(self) -> None:
        for m in self.modules():
            if m is not self and hasattr(m, "reset_parameters"):
                m.reset_parameters()

    def embedding(self, b: GraphBatch) -> torch.Tensor:
        x = self.pre_conv(b.x)
        adj = adjacency(b.edge_index, x.shape[0], x.dtype, symmetric_sorted=True)
        xs = []
        for conv, mem in zip(self.convs, self.mem_cells):
            agg = SpMM.apply(adj[0], adj[1], x)  # StructConv: sum over in-neighbours
            x = F.relu(conv(torch.cat([agg, x], dim=1)))
            x = mem(x)[0]
            xs.append(x)
        x = torch.cat(xs, dim=1)
        # a graph's nodes are contiguous in a batch: segment reductions (max and mean pool)
        sizes = b.ptr[1:] - b.ptr[:-1]
        return torch.cat([torch.segment_reduce(x, "max", lengths=sizes, axis=0),
                          torch.segment_reduce(x, "mean", lengths=sizes, axis=0)], dim=1)

    def log_proba(self, e: torch.Tensor) -> torch.Tensor:
        return F.log_softmax(self.lin(e), dim=1)

    def weight(self, e: torch.Tensor) -> torch.Tensor:
        """model.py ``predict_weight``: sigmoid weights scaled to mean 1 (the scale fixed)."""
        w = torch.sigmoid(self.lin_weight(e)).squeeze(1)
        return w * (w.shape[0] / w.sum().detach())


class TopoImb(Learner):
    """Classifier (backbone + MLP head) trained with TopoImb's re-weighting; the re-weighter
    and the topology head move by their own optimizers inside :meth:`loss` and
    :meth:`end_epoch` (the job's optimizer gets no gradient for them).

    Args:
        encoder: the GIN backbone; n_classes: C; weight: (C,) class weights of the plain NLL
            term, or None.
        groups: (G,) int64 topology group of every graph of the collection.
        in_channels: node feature width of the re-weighter's input.
        reweight_weight, reweight_lr, adv_step, n_mem: TopoImb's (see the module).
        lr, weight_decay: the topology task's Adam (the code's main lr and weight decay; the
            re-weighter's Adam shares the weight decay).
        head_dropout: the classifier head's dropout.
        rng: the run's generator (order of the memory pass).

    Shapes:
        - **loss:** GraphBatch of B graphs -> scalar
        - **log_proba:** GraphBatch of B graphs -> (B, C)
    """

    def __init__(self, encoder: nn.Module, n_classes: int, weight: torch.Tensor | None, *,
                 groups: np.ndarray, in_channels: int, reweight_weight: float = 0.2,
                 reweight_lr: float = 5e-3, adv_step: int = 1, n_mem: int = 8,
                 lr: float = 1e-3, weight_decay: float = 5e-4, head_dropout: float = 0.5,
                 rng: np.random.Generator) -> None:
        super().__init__()
        if not 0 <= reweight_weight <= 1:
            raise ValueError(f"reweight_weight = {reweight_weight} outside [0, 1]")
        self.encoder = encoder
        self.head = MLPHead(encoder.hidden, n_classes, head_dropout)
        layers = len(encoder.convs)
        self.reweighter = StructGNN(in_channels, encoder.hidden, n_classes, layers=layers,
                                    n_mem=n_mem)
        n_groups = int(groups.max()) + 1
        self.topo_head = _mlp(2 * layers * encoder.hidden, encoder.hidden, n_groups, layers)
        self.register_buffer("groups", torch.from_numpy(groups))
        self.register_buffer("weight", weight)
        self.lam, self.adv_step, self.rng = float(reweight_weight), int(adv_step), rng
        mem = [p for n, p in self.reweighter.named_parameters() if "value_memory" in n]
        rest = [p for n, p in self.reweighter.named_parameters() if "value_memory" not in n]
        self.opt_re = torch.optim.Adam(rest, lr=reweight_lr, weight_decay=weight_decay)
        self.opt_mem = torch.optim.Adam(mem, lr=reweight_lr, weight_decay=weight_decay)
        self.opt_topo = torch.optim.Adam([*self.reweighter.parameters(),
                                          *self.topo_head.parameters()],
                                         lr=lr, weight_decay=weight_decay)
        self._seen: list[GraphBatch] = []

    def _logp(self, b: GraphBatch) -> torch.Tensor:
        return F.log_softmax(self.head(self.encoder(b)[0]), dim=1)

    def _step(self, opt: torch.optim.Optimizer, loss: torch.Tensor, clip: bool = True) -> None:
        opt.zero_grad()
        loss.backward()
        if clip:
            nn.utils.clip_grad_norm_(self.reweighter.parameters(), 2.0)
        opt.step()
        for p in [*self.reweighter.parameters(), *self.topo_head.parameters()]:
            p.grad = None  # none reach the job's optimizer

    def loss(self, b: GraphBatch) -> torch.Tensor:
        logp = self._logp(b)
        nll_i = F.nll_loss(logp.detach(), b.y, reduction="none")
        w0 = None
        for _ in range(self.adv_step):  # trainer.py: update the re-weighter
            e = self.reweighter.embedding(b)
            w = self.reweighter.weight(e)
            if w0 is None:
                w0 = w.detach()  # the weights before the update (the code's no_grad pass)
            self._step(self.opt_re, (w * -nll_i).mean()
                       + F.nll_loss(self.reweighter.log_proba(e), b.y))
        # TopoGraphTrainer: the topology task on the re-weighter's embedding
        topo = F.log_softmax(self.topo_head(self.reweighter.embedding(b)), dim=1)
        # (the code clips before backward there: no clipping)
        self._step(self.opt_topo, F.nll_loss(topo, self.groups[b.ids]), clip=False)
        self._seen.append(b)
        return ((1 - self.lam) * F.nll_loss(logp, b.y, weight=self.weight)
                + self.lam * (w0 * F.nll_loss(logp, b.y, reduction="none")).mean())

    def end_epoch(self) -> None:
        """trainer.py ``train_mem_step`` over the epoch's batches: the memory only."""
        was = self.training
        self.train()
        for i in self.rng.permutation(len(self._seen)):
            b = self._seen[i]
            with torch.no_grad():
                nll_i = F.nll_loss(self._logp(b), b.y, reduction="none")
            e = self.reweighter.embedding(b)
            self._step(self.opt_mem, (self.reweighter.weight(e) * nll_i).mean()
                       - F.nll_loss(self.reweighter.log_proba(e), b.y))
        self._seen = []
        self.train(was)

    def log_proba(self, b: GraphBatch) -> torch.Tensor:
        return self._logp(b)

    def summary(self) -> dict[str, Any]:
        return {"topology_group_sizes": torch.bincount(self.groups).tolist()}


def build(inputs: MethodInputs) -> Built:
    encoder, graph_batch = inputs.backbone()
    p, key = inputs.params, f"method {inputs.settings['label']!r}: params"
    if p["topo_initial"] != "label":
        raise ConfigError(f"{key}.topo_initial = {p['topo_initial']!r}; expected 'label'")
    groups = topology_groups(inputs.collection, groups=int(p["topo_groups"]),
                             iterations=int(p["wl_iterations"]), key=f"{key}.topo_initial")
    learner = TopoImb(encoder, inputs.num_classes, inputs.class_weight, groups=groups,
                      in_channels=inputs.collection.num_features,
                      reweight_weight=float(p["reweight_weight"]),
                      reweight_lr=float(p["reweight_lr"]), adv_step=int(p["adv_step"]),
                      n_mem=int(p["n_mem"]), lr=inputs.train.lr,
                      weight_decay=inputs.train.weight_decay,
                      head_dropout=float(p["head_dropout"]), rng=inputs.rng)
    return learner, graph_batch

