"""Hop-1 samplers: which k1 of a pivot's ceil(k1 * gamma) candidates enter its IPS.

A sampler sees, for a batch of pivots, whether each candidate is a positive (same identity
as the pivot) and returns k1 candidate positions per pivot. It is applied each epoch anew
when batches are built, from the training job's seeded generator.

* ``knn``  — L-GCN: the k1 nearest candidates.
* ``rs``   — random re-sampling (DIGL's RS baseline): from the top ceil(k1 * ratio)
  candidates draw k1 distinct ones, k1/2 positives and k1/2 negatives as far as the pool
  allows (a short side is taken whole and the other side fills the rest): the minority is
  over-sampled relative to kNN and the majority under-sampled. With ratio = 1 the pool is the
  k1 nearest and RS reduces to kNN, as the expansion coefficient's definition requires.
* ``riws`` — reverse-imbalance weighted sampling (DIGL eq. 4.4): each positive candidate
  among the top ceil(k1 * gamma) weighs 0.5 / #pos, each negative 0.5 / #neg, and k1 are
  drawn without replacement with probabilities proportional to the weights.

When one side is empty (no positive or no negative candidate), RS and RIWS fall back to the
k1 nearest candidates, as there is nothing to rebalance. With gamma = ratio = 1 both
samplers return exactly the kNN choice.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

Sampler = Callable[[np.ndarray, int, np.random.Generator], np.ndarray]


# The key of each sampler's expansion coefficient (DIGL's gamma): its pool is the top
# ceil(k1 * coefficient) candidates. kNN has none (its pool is the k1 nearest: gamma = 1).
EXPANSION_KEY = {"rs": "ratio", "riws": "gamma"}


def n_candidates(k1: int, gamma: float) -> int:
    """ceil(k1 * gamma): the candidates a pool of expansion ``gamma`` holds. The 1e-9 keeps
    float noise (k1 * 1.2 = 12.000000000000002) from adding a candidate."""
    return math.ceil(k1 * gamma - 1e-9)


def expansion(sampler: dict) -> float:
    """The expansion coefficient of a sampler entry ({name, ratio | gamma}); 1 for kNN."""
    key = EXPANSION_KEY.get(sampler["name"])
    return 1.0 if key is None else float(sampler[key])


def with_expansion(sampler: dict, gamma: float) -> dict:
    """``sampler`` with its expansion coefficient set to ``gamma`` (DIGL Fig. 3's sweep).

    At gamma = 1 both RS and RIWS draw the k1 nearest candidates, exactly the kNN sampler
    (tests/linkage/test_samplers.py shows it), so the entry becomes ``{"name": "knn"}``.
    """
    name = sampler["name"]
    if name not in EXPANSION_KEY:
        raise ValueError(f"sampler {name!r} has no expansion coefficient "
                         f"(sweepable: {sorted(EXPANSION_KEY)})")
    if gamma <= 1.0 + 1e-12:
        return {"name": "knn"}
    return {"name": name, EXPANSION_KEY[name]: float(gamma)}


def _pool(positive: np.ndarray, k1: int, factor: float, key: str) -> np.ndarray:
    size = n_candidates(k1, factor)
    if size > positive.shape[1]:
        raise ValueError(
            f"sampler {key} = {factor} needs ceil(k1*{key}) = {size} candidates but the stored "
            f"subgraphs hold {positive.shape[1]}; raise subgraphs.train.max_gamma"
        )
    return positive[:, :size]


def knn_sampler(positive: np.ndarray, k1: int, rng: np.random.Generator) -> np.ndarray:
    """The k1 nearest candidates. positive : (B, n_cand) bool. Returns (B, k1) int64."""
    return np.broadcast_to(np.arange(k1), (positive.shape[0], k1)).copy()


def rs_sampler(
    positive: np.ndarray, k1: int, rng: np.random.Generator, *, ratio: float = 1.2
) -> np.ndarray:
    """Balanced draw of k1 distinct candidates from the top ceil(k1 * ratio). Returns (B, k1)."""
    pos = _pool(positive, k1, ratio, "ratio")
    b, width = pos.shape
    n_pos = pos.sum(axis=1)
    n_neg = width - n_pos
    # How many of each side: k1 // 2 positives, unless a side is short, then the other fills.
    take_pos = np.clip(k1 // 2, k1 - n_neg, n_pos)
    # Random order within each side (positives first), then the first take_pos positives and
    # the first k1 - take_pos negatives: a uniform draw without replacement on each side.
    order = np.lexsort((rng.random((b, width)), ~pos), axis=1)
    j = np.arange(width)
    keep = (j < take_pos[:, None]) | ((j >= n_pos[:, None]) & (j < (n_pos + k1 - take_pos)[:, None]))
    chosen = order[keep].reshape(b, k1)
    chosen[(n_pos == 0) | (n_neg == 0)] = np.arange(k1)
    return np.sort(chosen, axis=1)


def riws_weights(positive: np.ndarray) -> np.ndarray:
    """Eq. 4.4: 0.5 / #pos for each positive, 0.5 / #neg for each negative (rows with both
    sides sum to 1; one-sided rows are never drawn from, the samplers fall back to kNN)."""
    n_pos = positive.sum(axis=1, keepdims=True)
    n_neg = positive.shape[1] - n_pos
    with np.errstate(divide="ignore"):
        w = np.where(positive, 0.5 / n_pos, 0.5 / n_neg)
    return w


def riws_sampler(
    positive: np.ndarray, k1: int, rng: np.random.Generator, *, gamma: float = 2.0
) -> np.ndarray:
    """Eq. 4.4 weighted draw of k1 without replacement from ceil(k1 * gamma). Returns (B, k1)."""
    pos = _pool(positive, k1, gamma, "gamma")
    w = riws_weights(pos)
    # Efraimidis-Spirakis: the k1 largest keys log(U)/w are a weighted draw without
    # replacement (successive sampling), vectorised over the batch.
    keys = np.log(rng.random(pos.shape)) / w
    chosen = np.argsort(-keys, axis=1, kind="stable")[:, :k1]
    n_pos = pos.sum(axis=1)
    one_sided = (n_pos == 0) | (n_pos == pos.shape[1])
    chosen[one_sided] = np.arange(k1)
    return np.sort(chosen, axis=1)


SAMPLERS: dict[str, Callable[..., np.ndarray]] = {
    "knn": knn_sampler,
    "rs": rs_sampler,
    "riws": riws_sampler,
}


def get_sampler(name: str, **params: float) -> Sampler:
    """Resolve a sampler by config name, binding its hyperparameters."""
    if name not in SAMPLERS:
        raise KeyError(f"sampler = {name!r}; expected one of {sorted(SAMPLERS)}")
    fn = SAMPLERS[name]
    return lambda positive, k1, rng: fn(positive, k1, rng, **params)
