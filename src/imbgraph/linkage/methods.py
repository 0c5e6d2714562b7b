"""The training job of the face-clustering path, from loaded inputs to outputs: build the
method's model, sampler and loss, train, and return the weights with a summary; and the
rebuilding of a model from such weights.

Evaluation lives in :mod:`imbgraph.linkage.evaluation`, so a training job does not import
scikit-learn and scipy (a second per job)."""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
import torch

from imbgraph.linkage.models import get_model
from imbgraph.linkage.samplers import get_sampler
from imbgraph.linkage.subgraphs import Supersets
from imbgraph.linkage.train import TrainConfig, train_linkage
from imbgraph.losses import get_loss


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
    """Train a resolved method (see :func:`imbgraph.linkage.config.resolve_method`).

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
    """Rebuild ``method``'s model from ``state``, what ``torch.load(path, weights_only=True)``
    returned for a file written by a training job (see :func:`train_method`).

    ``weights_only=True`` already refuses pickled objects other than tensors and plain
    containers; this checks the container is an imbgraph model file and the weights fit the
    method's model, raising ValueError naming ``path`` otherwise.
    """
    expected = "expected a dict with a 'model' state dict and 'in_channels', as training writes"
    if not isinstance(state, dict):
        raise ValueError(f"{path}: not an imbgraph model file (a {type(state).__name__}; "
                         f"{expected})")
    missing = [k for k in ("model", "in_channels") if k not in state]
    if missing:
        raise ValueError(f"{path}: not an imbgraph model file (no {missing} among keys "
                         f"{sorted(map(str, state))}; {expected})")
    weights, in_channels = state["model"], state["in_channels"]
    if not isinstance(weights, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in weights.items()
    ):
        raise ValueError(f"{path}: 'model' is not a state dict (expected a mapping of "
                         "parameter names to tensors)")
    if isinstance(in_channels, bool) or not isinstance(in_channels, int) or in_channels < 1:
        raise ValueError(f"{path}: 'in_channels' = {in_channels!r}; expected a positive integer")
    model = build_model(method, in_channels)
    try:
        model.load_state_dict(weights)
    except RuntimeError as err:
        raise ValueError(f"{path}: the weights do not fit the method's model "
                         f"{method['model']['name']!r}: {err}") from None
    return model
