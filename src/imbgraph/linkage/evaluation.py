"""The evaluation job of the face-clustering path: score every test (pivot, hop-1) pair,
measure PR-AUC, propagate pseudo labels (CDP) and measure the clusters."""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
import pyarrow as pa
import torch

from imbgraph.clustering.propagate import propagate
from imbgraph.graph import undirected_mean
from imbgraph.linkage.inference import predict_pairs
from imbgraph.linkage.subgraphs import Supersets
from imbgraph.metrics import clustering_report, pr_auc

log = logging.getLogger(__name__)


def evaluate_model(
    model: torch.nn.Module,
    sets: Supersets,
    features: np.ndarray,
    labels: np.ndarray,
    *,
    k1: int,
    propagation: dict,
    progress: bool = False,
) -> tuple[pa.Table, np.ndarray, dict, dict]:
    """Score test edges, measure PR-AUC, propagate pseudo labels, measure clustering.

    Returns the scored edge table (src, dst, score, label), the cluster id of every test
    node, the metrics (a function of config and seed only, so reruns give identical files)
    and the timings (seconds; ``wall_s`` = inference + propagation).
    """
    t0 = time.perf_counter()
    pivot, target, raw = predict_pairs(model, sets, features, k1, progress=progress)
    # Test edges are undirected: (min, max), the scores of a pair seen twice averaged.
    edges, scores = undirected_mean(pivot, target, raw)
    t_pred = time.perf_counter() - t0
    truth = labels[edges[:, 0]] == labels[edges[:, 1]]
    metrics: dict[str, Any] = dict(pr_auc(truth, scores))
    metrics.update(n_edges=int(len(edges)), positive_rate=float(truth.mean()))
    t0 = time.perf_counter()
    # L-GCN and DIGL propagate over the directed pairs, the threshold starting at their
    # lowest raw score and the two scores of a pair averaged.
    clusters = propagate(
        np.stack([pivot, target], axis=1), raw, len(labels),
        max_size=propagation["max_size"], step=propagation["step"],
        max_iter=propagation.get("max_iter"), pool="avg", progress=progress,
    )
    t_prop = time.perf_counter() - t0
    metrics.update(clustering_report(labels, clusters))
    timings = {"seconds_predict": t_pred, "seconds_propagate": t_prop, "wall_s": t_pred + t_prop}
    log.info("PR-AUC (AP) %.4f, BCubed F %.4f", metrics["pr_auc_ap"], metrics["bcubed_f"])
    table = pa.table(
        {
            "src": pa.array(edges[:, 0], pa.int32()),
            "dst": pa.array(edges[:, 1], pa.int32()),
            "score": pa.array(scores, pa.float64()),
            "label": pa.array(truth),
        }
    )
    return table, clusters, metrics, timings
