"""The training loop of linkage models over materialised IPS supersets."""

from __future__ import annotations

import logging
import os
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from imbgraph.linkage.batching import build_batch
from imbgraph.linkage.samplers import Sampler
from imbgraph.linkage.subgraphs import Supersets
from imbgraph.losses import Loss
from imbgraph.training import (
    MomentumSGD,
    default_device,
    load_checkpoint,
    pack_numpy_rng,
    restore_numpy_rng,
    save_checkpoint,
)

log = logging.getLogger(__name__)

# torch warns that sparse CSR is "beta" on first use; the ops used here are stable.
warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta state")


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
    opt = MomentumSGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum,
                      weight_decay=cfg.weight_decay)
    history = TrainHistory()
    positive = candidate_positive(sets, labels)
    start_epoch = 0
    state = load_checkpoint(checkpoint, fingerprint, device=device) if checkpoint else None
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        restore_numpy_rng(rng, state["numpy_rng"])
        torch.set_rng_state(state["torch_rng"])
        start_epoch = int(state["epoch"])
        history.epoch_loss = list(state["epoch_loss"])
        history.resumed_from_epoch = start_epoch
        log.info("resumed from %s after epoch %d", checkpoint, start_epoch)

    n = len(sets)
    norm = getattr(model, "normalization", "row")
    for epoch in range(start_epoch, cfg.epochs):
        opt.lr = cfg.lr * cfg.lr_decay**epoch
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
            opt.zero_grad()
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
        if checkpoint:
            save_checkpoint(
                checkpoint,
                {
                    "model": model.state_dict(),
                    "optimizer": opt.state_dict(),
                    "numpy_rng": pack_numpy_rng(rng),
                    "torch_rng": torch.get_rng_state(),
                    "epoch": epoch + 1,
                    "epoch_loss": history.epoch_loss,
                    "fingerprint": fingerprint,
                },
            )
    return history
