"""Synthetic attributed graphs that stand in for GraphSMOTE's datasets.

* :func:`contextual_sbm` — a degree-corrected contextual stochastic block model: classes of
  given sizes, homophilous edges drawn with Pareto-distributed degree propensities, Gaussian
  class-conditional features. With :data:`CORA_CLASS_SIZES` and Cora's class names it stands
  in for Cora (2708 nodes, 7 classes of Cora's sizes, ~3.9 mean degree, edge homophily ~0.8);
  with the BlogCatalog size profile, no features (DeepWalk supplies them) and low homophily,
  for BlogCatalog.
* :func:`bot_graph` — a stand-in for GraphSMOTE's Twitter bot graph, which is not publicly
  available (61,122 genuine users and 2,045 bots crawled by its authors): genuine users form
  homophilous communities; bots (about 1 in 31) attach to genuine users across communities
  and a little to each other. No features: as in the paper, DeepWalk embeddings plus the
  node degree supply them.

Everything is vectorised numpy from one seeded Generator (no loop over nodes or edges). PyG's
``StochasticBlockModelDataset(num_channels=...)`` would generate features with scikit-learn's
``make_classification``, which fails under scikit-learn 1.9, and has no degree correction.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from imbgraph.io.planetoid import PLANETOID_CLASS_NAMES
from imbgraph.nodecls.data.graph import NodeGraph

__all__ = ["BLOGCATALOG_CLASS_SIZES", "CLASS_PROFILES", "CORA_CLASS_SIZES", "bot_graph",
           "class_sizes", "contextual_sbm"]

#: Planetoid Cora's class sizes, in Planetoid id order (Theory, Reinforcement_Learning, ...)
CORA_CLASS_SIZES = (351, 217, 418, 818, 426, 298, 180)
#: BlogCatalog's 38 class sizes under GraphSMOTE's arg-max labels, largest first
BLOGCATALOG_CLASS_SIZES = (1423, 843, 759, 735, 586, 582, 581, 514, 338, 317, 307, 275, 255,
                           236, 230, 218, 218, 192, 185, 184, 183, 177, 167, 148, 97, 95, 66,
                           59, 54, 54, 47, 46, 34, 32, 28, 27, 17, 3)
CLASS_PROFILES = {"cora": CORA_CLASS_SIZES, "blogcatalog": BLOGCATALOG_CLASS_SIZES}
_PROFILE_NAMES = {"cora": PLANETOID_CLASS_NAMES["cora"]}


def class_sizes(profile: str | Sequence[int], num_nodes: int | None = None) -> np.ndarray:
    """Class sizes of a named profile (``cora``, ``blogcatalog``) or a list, rescaled to
    ``num_nodes`` when given: 3 nodes per class (a genuine split needs one each for
    training, validation and test) plus the rest shared in proportion to the profile
    (largest remainders), the classes keeping their rank."""
    sizes = np.asarray(CLASS_PROFILES[profile] if isinstance(profile, str) else profile,
                       dtype=np.int64)
    if num_nodes is None or num_nodes == sizes.sum():
        return sizes
    c = sizes.shape[0]
    if num_nodes < 3 * c:
        raise ValueError(f"num_nodes = {num_nodes}: {c} classes need at least {3 * c} nodes")
    raw = 3 + (num_nodes - 3 * c) * sizes / sizes.sum()
    out = np.floor(raw).astype(np.int64)
    short = num_nodes - out.sum()
    out[np.argsort(-(raw - out), kind="stable")[:short]] += 1
    rank = np.argsort(-sizes, kind="stable")
    out[rank] = np.sort(out)[::-1]  # rounding must not reorder the classes
    return out


def profile_names(profile: str | Sequence[int], count: int) -> tuple[str, ...]:
    """Class names of a named profile (Cora's LINQS names), else ``c0 .. c{C-1}``."""
    if isinstance(profile, str) and profile in _PROFILE_NAMES:
        return tuple(_PROFILE_NAMES[profile])
    return tuple(f"c{i}" for i in range(count))


def _propensity(rng: np.random.Generator, n: int, exponent: float | None) -> np.ndarray:
    # Pareto (power-law tail P(theta > t) ~ t^-exponent) degree propensities; None: equal.
    if exponent is None:
        return np.ones(n)
    return 1.0 + rng.pareto(exponent, n)


def _sample_in(rng, cum: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """One node per row, drawn in the id range [lo, hi) with probability proportional to
    its propensity (``cum`` is the inclusive cumulative sum over all nodes)."""
    base = np.where(lo > 0, cum[np.maximum(lo - 1, 0)], 0.0)
    top = cum[hi - 1]
    target = base + rng.random(lo.shape[0]) * (top - base)
    return np.minimum(np.searchsorted(cum, target, side="right"), hi - 1)


def _block_edges(rng, block: np.ndarray, theta: np.ndarray, m: int, homophily: float,
                 same_block_only: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``m`` edges among nodes whose ids are sorted by ``block``: source by propensity, target
    in the source's block with probability ``homophily``, else in another block."""
    n = block.shape[0]
    cum = np.cumsum(theta)
    starts = np.searchsorted(block, np.arange(block.max() + 1))
    stops = np.searchsorted(block, np.arange(block.max() + 1), side="right")
    src = _sample_in(rng, cum, np.zeros(m, np.int64), np.full(m, n))
    b = block[src]
    intra = rng.random(m) < homophily
    dst = np.empty(m, dtype=np.int64)
    dst[intra] = _sample_in(rng, cum, starts[b[intra]], stops[b[intra]])
    todo = np.flatnonzero(~intra)
    for _ in range(64):  # rejection: redraw targets that fell in the source's own block
        if todo.size == 0:
            break
        dst[todo] = _sample_in(rng, cum, np.zeros(todo.size, np.int64), np.full(todo.size, n))
        todo = todo[block[dst[todo]] == b[todo]]
    return src, dst


def contextual_sbm(
    sizes: Sequence[int], *, avg_degree: float = 3.9, homophily: float = 0.8,
    degree_exponent: float | None = 2.5, feature_dim: int = 64, feature_signal: float = 1.0,
    feature_noise: float = 1.0, class_names: Sequence[str] | None = None, seed: int = 0,
) -> NodeGraph:
    """A degree-corrected contextual SBM.

    Parameters
    ----------
    sizes : nodes per class (class id = position)
    avg_degree : target mean degree (duplicates and self loops are dropped after drawing
        n * avg_degree / 2 edges, so the realised mean is a little lower)
    homophily : probability that an edge's target shares its source's class
    degree_exponent : Pareto tail exponent of the degree propensities (None: equal)
    feature_dim : d; 0 gives a structure-only graph (features from DeepWalk)
    feature_signal : norm of each class mean (random directions)
    feature_noise : standard deviation of the isotropic Gaussian noise per dimension
    class_names : default ``c0 .. c{C-1}``
    seed : the generator's seed

    Returns
    -------
    NodeGraph with node ids in random order (classes interleaved).
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    if sizes.ndim != 1 or (sizes < 1).any():
        raise ValueError(f"class sizes must be positive integers: {sizes.tolist()}")
    rng = np.random.default_rng(seed)
    n, c = int(sizes.sum()), sizes.shape[0]
    block = np.repeat(np.arange(c), sizes)
    theta = _propensity(rng, n, degree_exponent)
    m = int(round(n * avg_degree / 2))
    src, dst = _block_edges(rng, block, theta, m, homophily)
    if feature_dim > 0:
        means = rng.standard_normal((c, feature_dim))
        means *= feature_signal / np.linalg.norm(means, axis=1, keepdims=True)
        x = means[block] + feature_noise * rng.standard_normal((n, feature_dim))
    else:
        x = np.zeros((n, 0))
    perm = rng.permutation(n)  # node id -> position in the class-sorted order
    inv = np.empty(n, dtype=np.int64)
    inv[perm] = np.arange(n)
    names = tuple(class_names) if class_names is not None else tuple(f"c{i}" for i in range(c))
    return NodeGraph.from_edges(x[perm].astype(np.float32), inv[src], inv[dst], block[perm],
                                names)


def bot_graph(
    num_nodes: int = 3100, *, bot_fraction: float = 1 / 31, avg_degree: float = 8.0,
    communities: int = 10, homophily: float = 0.9, degree_exponent: float | None = 2.5,
    bot_degree_factor: float = 1.0, bot_homophily: float = 0.1, seed: int = 0,
) -> NodeGraph:
    """Twitter-bot stand-in: class 0 ``genuine``, class 1 ``bot`` (see the module docstring).

    Parameters
    ----------
    num_nodes : n (paper's subgraph: 63,167)
    bot_fraction : share of bots (paper: 2,045 / 63,167, about 1 : 30)
    avg_degree : target mean degree
    communities : hidden communities of genuine users (not labels)
    homophily : probability that a genuine user's edge stays in its community
    degree_exponent : Pareto tail exponent of degree propensities
    bot_degree_factor : bots' propensity multiplier (> 1: bots follow more accounts)
    bot_homophily : probability that a bot's edge goes to another bot
    seed : the generator's seed

    Returns
    -------
    NodeGraph without features (d = 0) and class names ("genuine", "bot").
    """
    rng = np.random.default_rng(seed)
    n_bot = max(1, int(round(num_nodes * bot_fraction)))
    n_hum = num_nodes - n_bot
    # Block ids: communities 0..K-1 for genuine users, K for bots; ids sorted by block.
    comm = np.sort(rng.integers(0, communities, n_hum))
    block = np.concatenate([comm, np.full(n_bot, communities)])
    theta = _propensity(rng, num_nodes, degree_exponent)
    theta[n_hum:] *= bot_degree_factor
    m = int(round(num_nodes * avg_degree / 2))
    src, dst = _block_edges(rng, block, theta, m, homophily)
    # Edges out of bots: mostly to genuine users anywhere, a share to other bots.
    from_bot = block[src] == communities
    to_bot = rng.random(int(from_bot.sum())) < bot_homophily
    cum = np.cumsum(theta)
    lo = np.where(to_bot, n_hum, 0)
    hi = np.where(to_bot, num_nodes, n_hum)
    dst[from_bot] = _sample_in(rng, cum, lo.astype(np.int64), hi.astype(np.int64))
    y = (block == communities).astype(np.int64)
    perm = rng.permutation(num_nodes)
    inv = np.empty(num_nodes, dtype=np.int64)
    inv[perm] = np.arange(num_nodes)
    return NodeGraph.from_edges(np.zeros((num_nodes, 0), np.float32), inv[src], inv[dst],
                                y[perm], ("genuine", "bot"))
