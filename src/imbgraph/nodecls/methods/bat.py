"""``bat``, a *graph* add-on: BAT, BAlanced Topological augmentation (Liu, Qiu, Xu, Wang and
Tong, "Class-Imbalanced Graph Learning without Class Rebalancing", ICML 2024; public code
ZhiningLiu1998/BAT, ``bat.py``: ``BatAugmenter``; its combination with other methods:
``dev/experiment_example.ipynb``).

Before every training step BAT rewrites the training graph; the base method then trains on
the rewritten graph with its own loss (any method the shared job trains: the virtual nodes
are training nodes of its :class:`~imbgraph.nodecls.methods.base.Batch`, as in the code's
combination with re-weighting, ReNode, over-sampling, SMOTE, GraphSMOTE and GraphENS).
Validation and test use the original graph (``NodeClassificationTrainer.model_eval``).
One step, following ``BatAugmenter.augment``:

1. the current model predicts every node of the original graph in eval mode, without
   gradient: probabilities ``p`` (n, C); ``y_pred = argmax p``, a training node's replaced
   by its label (``predict_proba``);
2. *node risk* (``get_node_risk``): the uncertainty ``u_i = 1 - max_c p_ic``, minus the mean
   uncertainty of the nodes predicted in the same class (all nodes), clipped at 0, times the
   training-count weight ``n_{y_pred} / max_c n_c`` of its predicted class. A node's risk is
   positive only when its uncertainty is above its predicted class's mean: the threshold;
3. *posterior* of the other classes (``estimate_node_posterior_likelihood``): BAT0 the
   predicted probabilities ``p``; BAT1 the distribution of the predicted labels of the
   node's out-neighbours (``get_connectivity_distribution_sparse``; zeros for a node without
   neighbours);
4. *link probability* (``get_virual_link_proba``): the posterior with the predicted class
   zeroed, renormalised over the other classes (zeros when nothing is left), times the
   risk;
5. one *virtual node* per class, its features the mean features of the nodes predicted in
   that class (``get_virtual_node_features``), its label the class; each (node, class) pair
   with a positive probability becomes an unweighted undirected edge between the node and
   the class's virtual node with that probability (independent Bernoulli draws,
   ``edge_sampling``; ``to_undirected``).

The augmented training graph has n + C nodes (the virtual ones appended, in class order),
the real edges plus the drawn ones, labels extended by the classes and the virtual nodes
added to the training nodes (``adapt_labels_and_train_mask``). ``warmup`` plain steps come
first (the trainer's ``warmup_epoch``, 0 in the code). Settings: ``mode`` ``bat1`` (the
code's default and recommended) or ``bat0``. Draws come from torch's global generator
(seeded per run; the code reseeds per epoch from its own counter). Everything is sparse or
(n, C): no N x N matrix.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from imbgraph.nodecls.adjacency import Adjacency
from imbgraph.nodecls.methods.base import BalancedModel, Batch, MethodInputs
from imbgraph.nodecls.models import append_rows

__all__ = ["BAT", "BATModel", "MODES", "attach", "bat_augment", "link_probability",
           "neighbor_label_distribution", "node_risk", "virtual_features"]

MODES = ("bat0", "bat1")


def node_risk(proba: torch.Tensor, y_pred: torch.Tensor,
              class_weight: torch.Tensor) -> torch.Tensor:
    """(n,) BAT's node risk: ``max(0, u_i - mean_{j: y_pred_j = y_pred_i} u_j) *
    class_weight[y_pred_i]`` with ``u = 1 - max_c proba``."""
    c = proba.shape[1]
    unc = 1.0 - proba.max(dim=1).values
    total = torch.zeros(c, dtype=unc.dtype, device=unc.device).index_add_(0, y_pred, unc)
    count = torch.bincount(y_pred, minlength=c).clamp_min(1).to(unc.dtype)
    return (unc - (total / count)[y_pred]).clamp_min(0.0) * class_weight[y_pred]


def neighbor_label_distribution(y_pred: torch.Tensor, edge_index: torch.Tensor,
                                num_classes: int) -> torch.Tensor:
    """(n, C) share of each class among the predicted labels of each node's out-neighbours
    (edges ``edge_index[0] -> edge_index[1]``; a node without any: zeros)."""
    n = y_pred.shape[0]
    counts = torch.zeros(n * num_classes, dtype=torch.float32, device=y_pred.device)
    counts.index_add_(0, edge_index[0] * num_classes + y_pred[edge_index[1]],
                      torch.ones(edge_index.shape[1], device=y_pred.device))
    counts = counts.view(n, num_classes)
    return (counts / counts.sum(dim=1, keepdim=True)).nan_to_num(0.0)


def link_probability(posterior: torch.Tensor, y_pred: torch.Tensor,
                     risk: torch.Tensor) -> torch.Tensor:
    """(n, C) probability of an edge from each node to each class's virtual node: the
    posterior without the predicted class, clipped at 0 and renormalised (zeros when
    nothing is left), times the node's risk."""
    post = posterior * (1.0 - F.one_hot(y_pred, posterior.shape[1]).to(posterior.dtype))
    post = post.clamp_min(0.0)
    post = (post / post.sum(dim=1, keepdim=True)).nan_to_num(0.0)
    return post * risk[:, None]


def virtual_features(x: torch.Tensor, y_pred: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(C, d) mean feature row of the nodes predicted in each class (the class prototypes;
    every class has one: its training nodes keep their labels)."""
    total = torch.zeros(num_classes, x.shape[1], dtype=x.dtype, device=x.device)
    total.index_add_(0, y_pred, x)
    count = torch.bincount(y_pred, minlength=num_classes).clamp_min(1).to(x.dtype)
    return total / count[:, None]


@torch.no_grad()
def bat_augment(proba: torch.Tensor, batch: Batch, class_weight: torch.Tensor,
                mode: str = "bat1") -> tuple[Batch, dict[str, torch.Tensor]]:
    """One BAT step on ``batch`` (see the module docstring) from the model's probabilities
    ``proba`` (n, C) of its nodes.

    Returns
    -------
    batch : the augmented :class:`Batch` (n + C nodes; the virtual ones appended in class
        order, labelled and training)
    info : ``y_pred`` (n,), ``risk`` (n,), ``link`` (n, C) the edge probabilities, ``edges``
        (2, k) the drawn (node, class) pairs
    """
    if mode not in MODES:
        raise ValueError(f"mode = {mode!r}; expected one of {list(MODES)}")
    n, c = proba.shape
    dev = proba.device
    y_pred = proba.argmax(dim=1)
    y_pred[batch.train] = batch.y[batch.train]
    risk = node_risk(proba, y_pred, class_weight)
    posterior = (proba if mode == "bat0"
                 else neighbor_label_distribution(y_pred, batch.edge_index, c))
    link = link_probability(posterior, y_pred, risk)
    node, cls = torch.nonzero(link > 0, as_tuple=True)
    keep = torch.rand(node.shape[0], device=dev) < link[node, cls]
    node, cls = node[keep], cls[keep]
    virtual = n + cls
    edge_index = torch.cat([batch.edge_index, torch.stack([virtual, node]),
                            torch.stack([node, virtual])], dim=1)
    classes = torch.arange(c, device=dev)
    out = Batch(x=append_rows(batch.x, virtual_features(batch.x, y_pred, c)),
                adj=Adjacency.from_edge_index(edge_index, n + c, device=dev),
                y=torch.cat([batch.y, classes]), train=torch.cat([batch.train, n + classes]),
                new_per_class=batch.new_per_class, class_weight=batch.class_weight,
                edge_index=edge_index)
    return out, {"y_pred": y_pred, "risk": risk, "link": link,
                 "edges": torch.stack([node, cls])}


class BAT(nn.Module):
    """The add-on's state: the training class weights ``n_c / max n_c``, the mode and the
    warm-up (training steps counted; reset by :meth:`reset_parameters`).

    Args:
        train_counts: (C,) training nodes per class.
        mode: ``"bat1"`` (code default) or ``"bat0"``.
        warmup: plain steps first (code: 0).

    Shapes:
        - **input:** the model, a :class:`Batch` of n nodes
        - **output:** a :class:`Batch` of n + C nodes (the batch itself while warming up)
    """

    def __init__(self, train_counts: torch.Tensor, *, mode: str = "bat1",
                 warmup: int = 0) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"mode = {mode!r}; expected one of {list(MODES)}")
        counts = torch.as_tensor(train_counts, dtype=torch.float32)
        self.register_buffer("class_weight", counts / counts.max())
        self.mode, self.warmup = mode, int(warmup)
        self.steps = 0

    def reset_parameters(self) -> None:
        self.steps = 0

    def forward(self, model: BalancedModel, batch: Batch) -> Batch:
        """The training graph of the next step: ``batch`` itself during the warm-up, else
        BAT's augmentation from ``model``'s current predictions on ``batch``."""
        self.steps += 1
        if self.steps <= self.warmup:
            return batch
        was_training = model.training
        model.eval()
        with torch.no_grad():
            proba = torch.softmax(model(batch.x, batch.adj), dim=1)
        model.train(was_training)
        return bat_augment(proba, batch, self.class_weight, self.mode)[0]

    def extra_repr(self) -> str:
        return f"mode={self.mode}, warmup={self.warmup}"


class BATModel(BalancedModel):
    """A method's model (``inner``) trained on BAT's augmented graph: :meth:`loss` is the
    inner loss on the augmented batch; inference, pre-training, the logit add-ons and the
    parameters are the inner model's.

    Shapes:
        - **forward:** (N, d), Adjacency -> logits (N, C) (the original graph)
        - **loss:** Batch -> scalar
    """

    def __init__(self, inner: BalancedModel, bat: BAT) -> None:
        super().__init__(inner.gnn, inner.criterion)
        self.inner, self.bat = inner, bat
        self.addons = inner.addons  # TAM attached before or after sees the same list
        self.pretrain_epochs = inner.pretrain_epochs

    def reset_parameters(self) -> None:
        self.inner.reset_parameters()
        self.bat.reset_parameters()

    def forward(self, x: torch.Tensor, adj: Adjacency) -> torch.Tensor:
        return self.inner(x, adj)

    def loss(self, batch: Batch) -> torch.Tensor:
        return self.inner.loss(self.bat(self.inner, batch))

    def pretrain_loss(self, batch: Batch) -> torch.Tensor:
        return self.inner.pretrain_loss(batch)

    def pretrain_parameters(self) -> list[nn.Parameter]:
        return self.inner.pretrain_parameters()


def attach(model: BalancedModel, inputs: MethodInputs, settings: dict) -> BATModel:
    """``model`` wrapped to train on BAT's augmented graph (``settings``: the resolved add-on
    block)."""
    counts = torch.as_tensor(inputs.train_counts(), dtype=torch.float32)
    return BATModel(model, BAT(counts, **{k: v for k, v in settings.items() if k != "name"}))
