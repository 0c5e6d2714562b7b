"""The two jobs of the face-clustering path, from loaded inputs to outputs: train one
method on one split, and evaluate a trained model on the test split."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import numpy as np
import pyarrow as pa
import torch

from imbgraph.linkage.models import get_model
from imbgraph.linkage.propagate import propagate
from imbgraph.linkage.samplers import get_sampler
from imbgraph.linkage.subgraphs import Supersets
from imbgraph.linkage.train import TrainConfig, predict_edges, train_linkage
from imbgraph.losses import get_loss
from imbgraph.metrics import clustering_report, pr_auc

log = logging.getLogger(__name__)


def _params(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if k != "name"}


def build_model(method: dict, in_channels: int) -> torch.nn.Module:
    m = method["model"]
    return get_model(m["name"], in_channels, **_params(m))


def train_method(
    method: dict,
    sets: Supersets,
    features: np.ndarray,
    labels: np.ndarray,
    *,
    k1: int,
    seed: int,
    checkpoint: str | None = None,
    progress: bool = False,
) -> tuple[dict, dict]:
    """Train a resolved method (see :func:`imbgraph.config.resolve_method`).

    Returns the model's state (weights and the settings needed to rebuild it; plain tensors
    and containers, loadable with ``weights_only=True``) and a JSON-able training summary.
    """
    torch.manual_seed(seed)  # model initialisation
    model = build_model(method, features.shape[1])
    sampler = get_sampler(method["sampler"]["name"], **_params(method["sampler"]))
    loss_fn = get_loss(method["loss"]["name"], **_params(method["loss"]))
    cfg = TrainConfig(k1=k1, seed=seed, **method["train"])
    fingerprint = json.dumps({"method": method, "k1": k1, "seed": seed, "pivots": len(sets)},
                             sort_keys=True)
    t0 = time.perf_counter()
    hist = train_linkage(
        model, sets, features, labels, sampler, loss_fn, cfg,
        checkpoint=checkpoint, fingerprint=fingerprint, progress=progress,
    )
    seconds = time.perf_counter() - t0
    state = {"model": model.state_dict(), "in_channels": int(features.shape[1])}
    summary = {
        "method": method["label"],
        "pivots": len(sets),
        "epoch_loss": hist.epoch_loss,
        "epoch_seconds": hist.epoch_seconds,
        "resumed_from_epoch": hist.resumed_from_epoch,
        "subgraphs_per_second": hist.subgraphs / max(sum(hist.epoch_seconds), 1e-9),
        "seconds": seconds,
    }
    return state, summary


def load_model(method: dict, state: Any, path: str) -> torch.nn.Module:
    if not isinstance(state, dict) or "model" not in state or "in_channels" not in state:
        raise ValueError(f"{path}: not an imbgraph model file (expected a dict with "
                         "'model' state dict and 'in_channels')")
    model = build_model(method, int(state["in_channels"]))
    model.load_state_dict(state["model"])
    return model


def evaluate_model(
    model: torch.nn.Module,
    sets: Supersets,
    features: np.ndarray,
    labels: np.ndarray,
    *,
    k1: int,
    propagation: dict,
    progress: bool = False,
) -> tuple[pa.Table, np.ndarray, dict]:
    """Score test edges, measure PR-AUC, propagate pseudo labels, measure clustering.

    Returns the scored edge table (src, dst, score, label), the cluster id of every test
    node and the metrics dict.
    """
    t0 = time.perf_counter()
    edges, scores = predict_edges(model, sets, features, k1, progress=progress)
    t_pred = time.perf_counter() - t0
    truth = labels[edges[:, 0]] == labels[edges[:, 1]]
    metrics: dict[str, Any] = dict(pr_auc(truth, scores))
    metrics.update(n_edges=int(len(edges)), positive_rate=float(truth.mean()))
    t0 = time.perf_counter()
    clusters = propagate(
        edges, scores, len(labels),
        max_size=propagation["max_size"], step=propagation["step"],
        max_iter=propagation.get("max_iter"), progress=progress,
    )
    t_prop = time.perf_counter() - t0
    metrics.update(clustering_report(labels, clusters))
    metrics.update(seconds_predict=t_pred, seconds_propagate=t_prop)
    log.info("PR-AUC (AP) %.4f, BCubed F %.4f", metrics["pr_auc_ap"], metrics["bcubed_f"])
    table = pa.table(
        {
            "src": pa.array(edges[:, 0], pa.int32()),
            "dst": pa.array(edges[:, 1], pa.int32()),
            "score": pa.array(scores, pa.float64()),
            "label": pa.array(truth),
        }
    )
    return table, clusters, metrics
