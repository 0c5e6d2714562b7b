"""``datadec``: DataDec (Zhang et al., "When Sparsity Meets Contrastive Models: Less Graph Data
Can Bring Better Class-Balanced Representations", ICML 2023), as IGL-Bench reimplements it
(RingBDStack/IGL-Bench, ``IGL_Bench/algorithm/DataDec``: solver.py, contrast.py, model.py,
prune.py; config/graph/class/DataDec.yml): contrastive pre-training of the encoder on a
dynamically pruned subset of the training graphs, then a classifier on the frozen embeddings.

Steps, each after the file named:

* **Views** (solver.py ``initializtion``, PyGCL augmentors): view 1 is the graph itself
  (``Identity``), view 2 one augmentation drawn per batch from random-walk subgraph sampling
  (``RWSampling(num_seeds=1000, walk_length=10)``: the subgraph induced by the nodes of walks
  from ``rw_seeds`` random nodes of the batch), node dropping, feature masking and edge
  removing (each ratio ``aug_ratio`` = 0.1).
* **Loss** (contrast.py ``DualBranchContrast_diet``, PyGCL ``InfoNCE(tau=0.2)``, mode G2G):
  both views' graph embeddings through a projection Linear-ReLU-Linear; for anchor view a and
  sample view b, -log(exp(s_ii / tau) / sum_j exp(s_ij / tau)) with s the cosine similarity
  (the positive in the denominator, as PyGCL), averaged over graphs and the two directions.
* **Data diet** (solver.py ``train_epoch``): every graph trained on this epoch gets the error
  score ||softmax(a_i) - b_i||_1 of both directions (``get_lord_error_fn`` on the projected
  anchor / sample embeddings), summed; the next epoch trains on the ``int(N keep_fraction) -
  int(N explore_rate)`` highest-scored of them plus ``int(N explore_rate)`` graphs drawn from
  those pruned so far (N the graphs available for pre-training; 0.5 and 0.1 in the code).
* **Fine-tune share** (solver.py ``__init__``): ``fine_tune_ratio`` of the training graphs are
  held out of pre-training (the code fits its classifier on them).

The code's defaults (DataDec.yml): 500 epochs, lr 0.005, weight decay 5e-4, batch 128,
keep 0.5 (hard-coded ``data_prune_rate``), explore_rate 0.1, fine_tune_ratio 0.3.
Deviations: the encoder is the shared GIN backbone (the code's GINV, sum-pooled concatenated
layers); the classifier is the house's MLP head on the frozen embeddings trained by the shared
loop on the training graphs with selection on the validation loss (the InfoGraph / GraphCL rows'
head), not a linear SVM grid-searched on the fine-tune graphs; the pre-training trains on the
pruned subset (IGL-Bench's loader iterates over every training graph whatever the diet
selects, so its pruning changes nothing; the paper trains on the subset); model sparsity is not
built: the code's magnitude / random mask is applied only in a no-grad pass whose output is
never used (and its magnitude share prune_percent - random_prune_percent is 0 at the defaults),
so it changes nothing there either; the code's extra pass of the unaugmented graphs (unused by
the loss; it moves only BatchNorm statistics, as view 1 does) is skipped.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from imbgraph.graphcls.collection import GraphBatch
from imbgraph.graphcls.methods.base import Built, MethodInputs
from imbgraph.graphcls.methods.pretrained import EmbeddingHead
from imbgraph.graphcls.train import batches

__all__ = ["DataDecLoss", "build", "diet", "error_scores", "infonce", "view"]

log = logging.getLogger(__name__)

VIEWS = ("rw_sampling", "node_dropping", "feature_masking", "edge_removing")


def infonce(anchor: torch.Tensor, sample: torch.Tensor, tau: float) -> torch.Tensor:
    """PyGCL's InfoNCE in G2G mode: positives on the diagonal, the other graphs of the other
    view negatives, the positive in the denominator."""
    sim = F.normalize(anchor, dim=1) @ F.normalize(sample, dim=1).t() / tau
    return -(sim.diagonal() - torch.logsumexp(sim, dim=1)).mean()


def error_scores(anchor: torch.Tensor, sample: torch.Tensor) -> np.ndarray:
    """contrast.py ``get_lord_error_fn`` (ord 1): ||softmax(anchor_i) - sample_i||_1, (B,)."""
    return (torch.softmax(anchor.detach(), dim=1) - sample.detach()).abs().sum(dim=1).cpu().numpy()


def diet(trained: np.ndarray, scores: np.ndarray, unsampled: np.ndarray, n: int, *,
         keep_fraction: float, explore_rate: float,
         rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """solver.py ``train_epoch``'s selection: the next epoch's graphs and the pruned pool.

    ``trained``: the graphs of this epoch, ``scores`` their error scores, ``unsampled`` the
    pool pruned so far, ``n`` the graphs available. Keeps the int(n keep_fraction) -
    int(n explore_rate) highest-scored graphs (ties: stable), moves the rest to the pool,
    shuffles it and takes int(n explore_rate) graphs from it back."""
    explore = int(explore_rate * n)
    keep = int(n * keep_fraction) - explore
    ranked = trained[np.argsort(-scores, kind="stable")]
    pool = np.concatenate([unsampled, ranked[keep:]])
    pool = pool[rng.permutation(pool.shape[0])]
    return np.concatenate([ranked[:keep], pool[:explore]]), pool[explore:]


def _rw_subgraph(b: GraphBatch, seeds: int, length: int) -> torch.Tensor:
    """Edges of the subgraph induced by the nodes of ``seeds`` random walks of ``length``
    steps from uniformly drawn nodes of the batch (a node without edges stays put)."""
    n, (src, dst) = b.x.shape[0], b.edge_index
    dev = src.device
    rowptr = torch.searchsorted(src, torch.arange(n + 1, device=dev))  # edges sorted by source
    deg = rowptr[1:] - rowptr[:-1]
    cur = torch.randint(0, n, (seeds,), device=dev)
    seen = torch.zeros(n, dtype=torch.bool, device=dev)
    seen[cur] = True
    for _ in range(length):
        d = deg[cur]
        step = (torch.rand(seeds, device=dev) * d).long()
        nxt = dst[(rowptr[cur] + step).clamp(max=max(dst.shape[0] - 1, 0))] if dst.numel() else cur
        cur = torch.where(d > 0, nxt, cur)
        seen[cur] = True
    return b.edge_index[:, seen[src] & seen[dst]]


def view(b: GraphBatch, name: str, ratio: float, *, rw_seeds: int = 1000,
         rw_length: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    """(x, edge_index) of one PyGCL augmentation of the batch (see the module)."""
    x, ei = b.x, b.edge_index
    if name == "rw_sampling":
        return x, _rw_subgraph(b, rw_seeds, rw_length)
    if name == "node_dropping":  # drop_node: the dropped nodes lose their edges
        keep = torch.rand(x.shape[0], device=x.device) >= ratio
        return x, ei[:, keep[ei[0]] & keep[ei[1]]]
    if name == "feature_masking":  # drop_feature: the same feature columns of every node
        return x * (torch.rand(x.shape[1], device=x.device) >= ratio).to(x.dtype), ei
    if name == "edge_removing":
        return x, ei[:, torch.rand(ei.shape[1], device=ei.device) >= ratio]
    raise ValueError(f"view {name!r}; expected one of {VIEWS}")


class DataDecLoss(nn.Module):
    """Both views through the encoder and the projection, InfoNCE both ways; returns the loss
    and each graph's error score.

    Shapes: (encoder, GraphBatch of B graphs) -> (scalar, (B,) ndarray)
    """

    def __init__(self, dim: int, *, tau: float = 0.2, aug_ratio: float = 0.1,
                 rw_seeds: int = 1000, rw_length: int = 10) -> None:
        super().__init__()
        self.proj = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))
        self.tau, self.ratio, self.rw = tau, aug_ratio, (rw_seeds, rw_length)

    def reset_parameters(self) -> None:
        for m in self.proj:
            if isinstance(m, nn.Linear):
                m.reset_parameters()

    def forward(self, encoder: nn.Module, b: GraphBatch) -> tuple[torch.Tensor, np.ndarray]:
        g1 = self.proj(encoder(b)[0])  # Identity
        name = VIEWS[int(torch.randint(len(VIEWS), ()))]
        x, ei = view(b, name, self.ratio, rw_seeds=self.rw[0], rw_length=self.rw[1])
        g2 = self.proj(encoder(b, x=x, edge_index=ei)[0])
        loss = 0.5 * (infonce(g1, g2, self.tau) + infonce(g2, g1, self.tau))
        return loss, error_scores(g1, g2) + error_scores(g2, g1)


def pretrain(encoder: nn.Module, objective: DataDecLoss, batcher, ids: np.ndarray, *,
             epochs: int, lr: float, weight_decay: float, batch_size: int, keep_fraction: float,
             explore_rate: float, rng: np.random.Generator) -> dict:
    """DataDec's pre-training loop on graphs ``ids`` (see the module); returns a summary."""
    opt = torch.optim.Adam([*encoder.parameters(), *objective.parameters()], lr=lr,
                           weight_decay=weight_decay)
    sampled, unsampled = ids.copy(), np.empty(0, dtype=ids.dtype)
    losses, sizes, t0 = [], [], time.perf_counter()
    encoder.train()
    objective.train()
    for epoch in range(epochs):
        order = sampled[rng.permutation(sampled.shape[0])]
        total, trained, scores = 0.0, [], []
        for chunk in batches(order, batch_size, drop_single=True):
            loss, s = objective(encoder, batcher(chunk))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * chunk.shape[0]
            trained.append(chunk)
            scores.append(s)
        seen = np.concatenate(trained) if trained else order[:0]
        losses.append(total / max(seen.shape[0], 1))
        sizes.append(int(seen.shape[0]))
        # a trailing single graph (dropped: BatchNorm) has no score: back to the pool
        unsampled = np.concatenate([unsampled, order[seen.shape[0]:]])
        sampled, unsampled = diet(seen, np.concatenate(scores) if scores else np.empty(0),
                                  unsampled, ids.shape[0], keep_fraction=keep_fraction,
                                  explore_rate=explore_rate, rng=rng)
        log.info("DataDec epoch %d/%d: loss %.4f on %d graphs", epoch + 1, epochs, losses[-1],
                 sizes[-1])
    return {"pretrain_loss": losses, "pretrain_graphs_per_epoch": sizes,
            "pretrain_seconds": time.perf_counter() - t0}


def build(inputs: MethodInputs) -> Built:
    encoder, graph_batch = inputs.backbone()
    p, dev, rng = inputs.params, inputs.device, inputs.rng
    objective = DataDecLoss(encoder.hidden, tau=float(p["tau"]), aug_ratio=float(p["aug_ratio"]),
                            rw_seeds=int(p["rw_seeds"]), rw_length=int(p["rw_length"]))
    train = inputs.split.train
    fine = rng.choice(train, int(train.shape[0] * float(p["fine_tune_ratio"])), replace=False)
    ids = np.setdiff1d(train, fine)
    encoder.to(dev)
    objective.to(dev)
    summary = pretrain(encoder, objective, graph_batch, ids, epochs=int(p["pretrain_epochs"]),
                       lr=float(p["pretrain_lr"]), weight_decay=float(p["pretrain_weight_decay"]),
                       batch_size=int(p["pretrain_batch_size"]),
                       keep_fraction=float(p["keep_fraction"]),
                       explore_rate=float(p["explore_rate"]), rng=rng)
    encoder.eval()
    with torch.no_grad():
        every = np.arange(inputs.collection.num_graphs)
        emb = torch.cat([encoder(graph_batch(c))[0] for c in batches(every, 512)])
    head = EmbeddingHead(emb.detach(), torch.from_numpy(inputs.collection.y).to(dev),
                         inputs.num_classes, inputs.class_weight, float(p["head_dropout"]))
    head.pretrain_summary = {k: summary[k] for k in ("pretrain_loss", "pretrain_seconds",
                                                     "pretrain_graphs_per_epoch")}
    return head, lambda ids: torch.from_numpy(ids).to(dev)
