"""``ecgn``: ECGN itself (paper Algorithm 1), a job of its own on the dataset's METIS
clusters (``inputs.cached["clusters"]``) and, when the pipeline cached it, this seed's
pre-training (``inputs.cached["pretrain"]``), with switches for its ablations
(defaults: :data:`.settings.DEFAULTS`):

  1. pre-training (``pretrain: true``): one network per cluster on its intra-cluster subgraph,
     all from the same initialisation, trained at once
     (:func:`.pretrain.pretrain_clusters`); each node's embedding comes
     from its cluster's network. ``pretrain: false`` keeps the raw features ("Cluster-Aware
     SMOTE only"). ``smooth: true`` (default) then averages the embeddings once over each
     node's neighbours in the whole graph, as the public code does; the paper does not
     mention it (``smooth: false``). We follow the code: the paper's numbers come from it,
     and it raises macro F1 on real Cora / CiteSeer by 0.02 / 0.04 (3 seeds, README);
  2. cluster-aware SMOTE (``smote: true``; false: "ECGN (Without SMOTE)"):
     :mod:`.smote`, once per run on the fixed embeddings;
  3. global integration: a fresh network of the method's model over the augmented graph on
     the embeddings, trained and selected on validation like every other method. The
     pre-trained weights are not transferred (ECGN); ``transfer: average | largest | best``
     initialises the global network from the mean of the trained cluster networks, the
     largest cluster's, or the one with the best validation macro-F1 on its own cluster's
     validation nodes (Table 4), layer by layer where every parameter's shape agrees (the
     first convolution reads hidden-wide embeddings, not d-wide features, so it keeps its
     fresh initialisation);
  4. ``inference: local`` skips global integration and predicts each node with its own
     cluster's network (Table 3).

  The augmented graph (real edges plus each synthetic node's links) is used for training and
  for scoring the validation and test nodes: ECGN adds the synthetic nodes to the graph.

The job touches no file and reseeds everything from the run seed first; the stages after
pre-training draw from :func:`stage_seed`, so a cached pre-training gives the numbers of an
in-process one.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import torch

from imbgraph.nodecls.adjacency import Adjacency
from imbgraph.nodecls.job import fit_full_batch, full_batch, run_summary, score_test, setup_run
from imbgraph.nodecls.methods.base import MethodInputs
from imbgraph.nodecls.methods.ecgn.clusters import boundary_connectivity
from imbgraph.nodecls.methods.ecgn.pretrain import ClusterPretrain, run_pretrain
from imbgraph.nodecls.methods.ecgn.settings import TRANSFER
from imbgraph.nodecls.methods.ecgn.smote import augment_graph, cluster_smote, synthetic_counts
from imbgraph.nodecls.methods.plain import Plain
from imbgraph.nodecls.models import GNN
from imbgraph.training import seed_everything

__all__ = ["run", "stage_seed", "transfer_state"]


# --- ECGN -----------------------------------------------------------------------------------
def transfer_state(pre: ClusterPretrain, strategy: str) -> dict[str, torch.Tensor]:
    """Table 4: the template-named parameters of the cluster networks to start the global
    network from: ``average`` (mean over the clusters that had training nodes), ``largest``
    (most nodes; ties: lowest id), ``best`` (highest validation macro-F1 on its own
    cluster's validation nodes; ties: lowest id; no cluster with validation nodes: largest)."""
    trained = pre.trained
    if not bool(trained.any()):
        raise ValueError("weight transfer: no cluster had a training node")
    if strategy == "average":
        return pre.cluster_state(trained)
    sizes = torch.where(trained, pre.sizes, torch.full_like(pre.sizes, -1))
    largest = int(torch.argmax(sizes))  # argmax returns the first maximum
    if strategy == "largest":
        return pre.cluster_state(largest)
    if strategy == "best":
        score = torch.nan_to_num(pre.val_score, nan=float("-inf"))
        if not bool(torch.isfinite(score).any()):
            return pre.cluster_state(largest)
        return pre.cluster_state(int(torch.argmax(score)))
    raise ValueError(f"transfer = {strategy!r}; expected one of {list(TRANSFER)}")


def _load_matching(gnn: GNN, state: dict[str, torch.Tensor]) -> list[str]:
    """Copy into ``gnn`` every layer (a convolution ``encoder.i`` / ``classifier.i``, or the
    head ``lin``) whose parameters all match ``state`` by name and shape; a layer with any
    mismatch keeps its fresh initialisation whole. Returns the parameter names copied."""

    def layer(name: str) -> str:
        parts = name.split(".")
        return ".".join(parts[:2]) if parts[0] in ("encoder", "classifier") else parts[0]

    params = dict(gnn.named_parameters())
    ok: dict[str, bool] = {}
    for name, p in params.items():
        src = state.get(name)
        ok[layer(name)] = ok.get(layer(name), True) and src is not None and src.shape == p.shape
    copied = [name for name in params if ok[layer(name)]]
    with torch.no_grad():
        for name in copied:
            params[name].copy_(state[name])
    return copied


def _smooth(h: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
    """Each row replaced by the mean of its neighbours' rows (isolated nodes keep theirs)."""
    adj = Adjacency.from_edge_index(edge_index, h.shape[0], device=h.device)
    return torch.where((adj.deg > 0)[:, None], adj.mean(h), h)


def stage_seed(seed: int) -> int:
    """Seed of the stages after pre-training (SMOTE draw, global network), derived from the
    run seed, so that a cached pre-training gives the numbers of an in-process one."""
    return int(np.random.SeedSequence([int(seed), 1]).generate_state(1)[0])


def run(inputs: MethodInputs) -> tuple[dict[str, Any], dict[str, Any]]:
    """ECGN and its ablations (module docstring) on resolved settings (``inputs.params``:
    ``clusters`` (k), ``pretrain``, ``pretrain_epochs``, ``pretrain_patience``, ``smooth``,
    ``smote``, ``target`` or ``scale``, ``max_fraction``, ``seed_fraction``, ``transfer``,
    ``inference``); the cached pre-training is used when given (the numbers are the same
    either way)."""
    graph, split, bal = inputs.graph, inputs.split, inputs.params
    c, k = inputs.cached["clusters"], int(bal["clusters"])
    run = setup_run(inputs)
    n, num_classes = graph.num_nodes, graph.num_classes
    extra: dict[str, Any] = {"clusters": k}
    h, pre = run.x, None
    if bal["pretrain"]:
        pre = inputs.cached.get("pretrain")
        if pre is None:
            pre = run_pretrain(graph, split, inputs.settings, seed=inputs.seed, clusters=c,
                               device=run.device)
        elif pre.k != k or pre.embeddings.shape[0] != n:
            raise ValueError(f"pre-training of {pre.k} clusters and "
                             f"{pre.embeddings.shape[0]} nodes given for a run with {k} "
                             f"clusters and {n} nodes")
        h = pre.embeddings.to(run.device)
        extra.update(pretrain_seconds=pre.seconds, pretrain_epochs=pre.epochs,
                     cluster_best_epoch=pre.best_epoch.tolist(),
                     cluster_val_macro_f1=[None if v != v else float(v)
                                           for v in pre.val_score.tolist()])
        if bal["smooth"]:
            h = _smooth(h, run.edge_index)
    seed_everything(stage_seed(inputs.seed))
    if bal["inference"] == "local":  # the settings' check: local inference needs pretrain
        proba = torch.softmax(pre.logits.to(run.device), dim=1)[run.test]
        summary = {"seconds": time.perf_counter() - run.t0, "train_seconds": 0.0,
                   "epochs": 0, "seconds_per_epoch": 0.0, "synthetic_per_step": 0,
                   "device": str(run.device), **extra}
        return score_test(graph, split, proba, int(pre.best_epoch.max())), summary
    x, edges, y, train = h, graph.edge_index, run.y, run.train
    m = 0
    if bal["smote"]:
        new = synthetic_counts(inputs.train_counts(), split.minority, target=bal.get("target"),
                               scale=bal.get("scale"), max_fraction=bal.get("max_fraction"),
                               key="balancing")
        conn = boundary_connectivity(graph.edge_index, c)
        draw = cluster_smote(h, graph.y, split.train, conn, new,
                             seed_fraction=float(bal["seed_fraction"]))
        m = len(draw)
        if m:
            x = torch.cat([h, draw.features(h)])
            edges = augment_graph(graph.edge_index, draw.seed.cpu().numpy(), n)
            y = torch.cat([run.y, draw.label])
            train = torch.cat([run.train, n + torch.arange(m, device=run.device)])
    edge_t = torch.as_tensor(edges, device=run.device)
    gnn = inputs.backbone(x.shape[1])
    if bal["transfer"] != "none":  # the settings' check: transfer needs pretrain
        extra["transferred"] = _load_matching(gnn, transfer_state(pre, bal["transfer"]))
    model = Plain(gnn, inputs.criterion).to(run.device)
    batch = full_batch(x.detach(), edge_t, run, num_classes, y=y, train=train)
    result, proba = fit_full_batch(model, batch, run, inputs.progress)
    return (score_test(graph, split, proba, result.best_epoch),
            run_summary(run, result, synthetic_nodes=m, **extra))
