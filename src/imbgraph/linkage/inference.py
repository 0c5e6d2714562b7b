"""Inference of linkage models: score every test (pivot, hop-1) pair."""

from __future__ import annotations

import logging

import numpy as np
import torch
from torch import nn

from imbgraph.linkage.batching import build_batch
from imbgraph.linkage.subgraphs import Supersets
from imbgraph.training import default_device

log = logging.getLogger(__name__)


@torch.no_grad()
def predict_pairs(
    model: nn.Module,
    sets: Supersets,
    features: np.ndarray,
    k1: int,
    *,
    batch_size: int = 256,
    device: torch.device | None = None,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score every (pivot, hop-1) pair of the test supersets with the k1 nearest candidates.

    Returns
    -------
    pivot, target : (P * k1,) int64 global ids of each scored pair, pivot by pivot
    score : (P * k1,) float64 softmax[:, 1], the probability that the pair is linked
    """
    device = device or default_device()
    model.to(device).eval()
    n = len(sets)
    starts = range(0, n, batch_size)
    if progress:
        from tqdm import tqdm

        starts = tqdm(starts, desc="predict", unit="batch")
    pivots, targets, scores = [], [], []
    norm = getattr(model, "normalization", "row")
    for s in starts:
        rows = np.arange(s, min(s + batch_size, n))
        chosen = np.broadcast_to(np.arange(k1), (len(rows), k1))  # plain kNN at test time
        batch = build_batch(sets, rows, chosen, features).to(device)
        logits = model(batch.x, batch.adjacency(norm), batch.hop1)
        pivots.append(batch.pivot)
        targets.append(batch.target)
        scores.append(torch.softmax(logits, dim=1)[:, 1].double().cpu().numpy())
        log.info("predict: %d / %d pivots", rows[-1] + 1, n)
    if not pivots:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0, dtype=np.float64)
    return np.concatenate(pivots), np.concatenate(targets), np.concatenate(scores)
