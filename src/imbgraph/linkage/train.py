"""Training and inference loops for linkage models over materialised IPS supersets."""

from __future__ import annotations

import logging
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from imbgraph.linkage.batching import build_batch
from imbgraph.linkage.samplers import Sampler
from imbgraph.linkage.subgraphs import Supersets
from imbgraph.losses import Loss

log = logging.getLogger(__name__)

# torch warns that sparse CSR is "beta" on first use; the ops used here are stable.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta state")


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings (L-GCN's: SGD lr 0.01, momentum 0.9, wd 1e-4, batch 16,
    4 epochs, lr x0.1 after every epoch)."""

    k1: int
    epochs: int = 4
    batch_size: int = 16
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 1e-4
    lr_decay: float = 0.1
    seed: int = 0


@dataclass
class TrainHistory:
    epoch_loss: list[float] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    subgraphs: int = 0
    resumed_from_epoch: int = 0


def candidate_positive(sets: Supersets, labels: np.ndarray) -> np.ndarray:
    """(P, n_cand) bool: does each candidate share its pivot's identity?"""
    cand_global = sets.nodes[sets.offset[:-1, None] + sets.cand]
    return labels[cand_global] == labels[sets.pivot][:, None]


def _save_checkpoint(path: Path, state: dict) -> None:
    from imbgraph.io.atomic import atomic_path

    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def train_linkage(
    model: nn.Module,
    sets: Supersets,
    features: np.ndarray,
    labels: np.ndarray,
    sampler: Sampler,
    loss_fn: Loss,
    cfg: TrainConfig,
    *,
    device: torch.device | None = None,
    checkpoint: str | os.PathLike | None = None,
    fingerprint: str = "",
    progress: bool = False,
) -> TrainHistory:
    """Train ``model`` on every pivot of ``sets`` for ``cfg.epochs`` epochs.

    Each epoch shuffles the pivots, and for every batch the ``sampler`` picks k1 of each
    pivot's candidates anew. With ``checkpoint`` the model, optimiser and both random
    generators are saved after every epoch, and a run that finds a checkpoint continues from
    it, giving the same final weights as an uninterrupted run. ``fingerprint`` identifies the
    run's settings; a checkpoint written under another fingerprint (the method's
    hyperparameters changed since) is ignored rather than resumed.
    """
    device = device or default_device()
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    model.to(device)
    opt = torch.optim.SGD(
        model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay
    )
    history = TrainHistory()
    positive = candidate_positive(sets, labels)
    start_epoch = 0
    ckpt = Path(checkpoint) if checkpoint else None
    state = _load_checkpoint(ckpt, fingerprint, device) if ckpt is not None else None
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        rng.bit_generator.state = state["numpy_rng"]
        torch.set_rng_state(state["torch_rng"])
        start_epoch = int(state["epoch"])
        history.epoch_loss = list(state["epoch_loss"])
        history.resumed_from_epoch = start_epoch
        log.info("resumed from %s after epoch %d", ckpt, start_epoch)

    n = len(sets)
    norm = getattr(model, "normalization", "row")
    for epoch in range(start_epoch, cfg.epochs):
        for group in opt.param_groups:
            group["lr"] = cfg.lr * cfg.lr_decay**epoch
        model.train()
        t0 = time.perf_counter()
        order = rng.permutation(n)
        starts = range(0, n, cfg.batch_size)
        if progress:
            from tqdm import tqdm

            starts = tqdm(starts, desc=f"epoch {epoch + 1}/{cfg.epochs}", unit="batch")
        total, count = 0.0, 0
        for s in starts:
            rows = order[s : s + cfg.batch_size]
            chosen = sampler(positive[rows], cfg.k1, rng)
            batch = build_batch(sets, rows, chosen, features).to(device)
            target = torch.from_numpy(labels[batch.target] == labels[batch.pivot]).long()
            logits = model(batch.x, batch.adjacency(norm), batch.hop1)
            loss = loss_fn(logits, target.to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(rows)
            count += len(rows)
        dt = time.perf_counter() - t0
        history.epoch_loss.append(total / max(count, 1))
        history.epoch_seconds.append(dt)
        history.subgraphs += n
        log.info(
            "epoch %d/%d: loss %.5f, %.1fs, %.0f subgraphs/s",
            epoch + 1, cfg.epochs, history.epoch_loss[-1], dt, n / max(dt, 1e-9),
        )
        if ckpt is not None:
            _save_checkpoint(
                ckpt,
                {
                    "model": model.state_dict(),
                    "optimizer": opt.state_dict(),
                    "numpy_rng": _pack_rng(rng.bit_generator.state),
                    "torch_rng": torch.get_rng_state(),
                    "epoch": epoch + 1,
                    "epoch_loss": history.epoch_loss,
                    "fingerprint": fingerprint,
                },
            )
    return history


def _load_checkpoint(path: Path, fingerprint: str, device: torch.device) -> dict | None:
    if not path.exists():
        return None
    # weights_only: a checkpoint is tensors and plain containers; never unpickle objects.
    state = torch.load(path, map_location=device, weights_only=True)
    if not isinstance(state, dict) or not {"model", "optimizer", "epoch"} <= set(state):
        raise ValueError(f"{path}: not a training checkpoint (expected a dict with model, "
                         "optimizer and epoch); delete it to start afresh")
    if state.get("fingerprint", "") != fingerprint:
        log.warning("ignoring %s: written for other settings", path)
        return None
    return state


def _pack_rng(state: dict) -> dict:
    # weights_only loading accepts plain containers of str/int; PCG64 state is exactly that.
    return {"bit_generator": state["bit_generator"], "state": dict(state["state"]),
            "has_uint32": int(state["has_uint32"]), "uinteger": int(state["uinteger"])}


@torch.no_grad()
def predict_edges(
    model: nn.Module,
    sets: Supersets,
    features: np.ndarray,
    k1: int,
    *,
    batch_size: int = 256,
    device: torch.device | None = None,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Score every (pivot, hop-1) pair of the test supersets with the k1 nearest candidates.

    Returns
    -------
    edges : (E, 2) int64 undirected pairs (min id, max id), unique, sorted
    scores : (E,) float64 mean of softmax[:, 1] over the pair's occurrences
    """
    device = device or default_device()
    model.to(device).eval()
    n = len(sets)
    starts = range(0, n, batch_size)
    if progress:
        from tqdm import tqdm

        starts = tqdm(starts, desc="predict", unit="batch")
    pivots, targets, scores = [], [], []
    for s in starts:
        rows = np.arange(s, min(s + batch_size, n))
        chosen = np.broadcast_to(np.arange(k1), (len(rows), k1))  # plain kNN at test time
        batch = build_batch(sets, rows, chosen, features).to(device)
        logits = model(batch.x, batch.adjacency(getattr(model, "normalization", "row")), batch.hop1)
        prob = torch.softmax(logits, dim=1)[:, 1]
        pivots.append(batch.pivot)
        targets.append(batch.target)
        scores.append(prob.double().cpu().numpy())
        log.info("predict: %d / %d pivots", rows[-1] + 1, n)
    return undirected_mean(np.concatenate(pivots), np.concatenate(targets), np.concatenate(scores))


def undirected_mean(
    a: np.ndarray, b: np.ndarray, score: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Merge directed scored pairs into undirected edges (min, max), averaging duplicates."""
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    keep = lo != hi
    lo, hi, score = lo[keep], hi[keep], score[keep]
    n = int(hi.max(initial=0)) + 1
    key, inv = np.unique(lo.astype(np.int64) * n + hi, return_inverse=True)
    sums = np.bincount(inv, weights=score, minlength=len(key))
    counts = np.bincount(inv, minlength=len(key))
    edges = np.stack([key // n, key % n], axis=1)
    return edges, sums / counts
