"""Synthetic face embeddings shaped like MS-Celeb-1M's learn-to-cluster features.

Each identity has a centre on the unit sphere; a sample is the centre plus isotropic noise
plus a *shared nuisance* drawn from a low-rank subspace common to every identity (pose,
light, age: the reason two different people photographed alike can be nearer than two photos
of one person). A fraction of identities are *confusable*: their centre is a perturbed copy of
another identity's centre, so some negatives are genuinely hard. Identity sizes follow a
truncated power law: a few hundred images for the head, a handful for most of the tail.
Train and test identities are disjoint (independent centres) but share the nuisance subspace,
as two parts of one photo collection would.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imbgraph.io.splits import Split


@dataclass(frozen=True)
class FaceDomain:
    """Parameters of a synthetic face domain (all keys of ``datasets.<name>.synthetic``).

    dim                 embedding dimension D
    identities          identities per split, e.g. ``{"train": 800, "test": 800}``
    max_size, min_size  images of the largest identity / floor for the tail
    tail_exponent       size of the identity at rank r is max_size * r**-tail_exponent
    spread              median per-identity noise norm (cosine to the centre ~ 1/sqrt(1+s^2))
    spread_jitter       log-normal sigma of the per-identity spread
    nuisance_rank       dimension of the shared nuisance subspace
    nuisance_scale      norm of the nuisance component relative to the identity noise
    confusable_fraction share of identities whose centre copies another's, perturbed
    confusable_distance norm of that perturbation (smaller = harder)
    seed                one seed for the whole domain
    """

    dim: int = 64
    identities: dict[str, int] | None = None
    max_size: int = 300
    min_size: int = 2
    tail_exponent: float = 1.0
    spread: float = 1.0
    spread_jitter: float = 0.25
    nuisance_rank: int = 8
    nuisance_scale: float = 0.5
    confusable_fraction: float = 0.2
    confusable_distance: float = 0.6
    seed: int = 0


def identity_sizes(
    n_identities: int, max_size: int, min_size: int, tail_exponent: float, rng: np.random.Generator
) -> np.ndarray:
    """Long-tailed identity sizes: ``max_size * rank**-tail_exponent``, jittered, floored.

    Returns ndarray of shape (n_identities,), int64, in random identity order.
    """
    ranks = np.arange(1, n_identities + 1, dtype=np.float64)
    base = max_size * ranks**-tail_exponent
    jitter = rng.lognormal(mean=0.0, sigma=0.2, size=n_identities)
    sizes = np.clip(np.rint(base * jitter), min_size, max_size).astype(np.int64)
    return rng.permutation(sizes)


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _centres(n: int, dim: int, frac: float, dist: float, rng: np.random.Generator) -> np.ndarray:
    centres = _unit(rng.standard_normal((n, dim)))
    n_conf = int(round(frac * n))
    if n_conf and n > 1:
        # Each confusable identity copies a random *other* identity's centre, perturbed.
        who = rng.choice(n, size=n_conf, replace=False)
        partner = (who + rng.integers(1, n, size=n_conf)) % n
        noise = rng.standard_normal((n_conf, dim)) * (dist / np.sqrt(dim))
        centres[who] = _unit(centres[partner] + noise)
    return centres


def synthesize_faces(domain: FaceDomain) -> dict[str, Split]:
    """Generate the domain's splits (``train``, ``test``, ...) with disjoint identities.

    Labels are identity ids, unique across splits (test ids follow train ids). Samples are
    shuffled, float32 and L2-normalised; the same ``domain`` always gives the same arrays.
    """
    if not domain.identities:
        raise ValueError("synthetic domain needs identities per split, e.g. {train: 800, test: 800}")
    rng = np.random.default_rng(domain.seed)
    dim = domain.dim
    nuisance_basis = _unit(rng.standard_normal((domain.nuisance_rank, dim)))
    splits: dict[str, Split] = {}
    first_label = 0
    for name, n_ids in domain.identities.items():
        sizes = identity_sizes(n_ids, domain.max_size, domain.min_size, domain.tail_exponent, rng)
        centres = _centres(n_ids, dim, domain.confusable_fraction, domain.confusable_distance, rng)
        spreads = domain.spread * rng.lognormal(0.0, domain.spread_jitter, size=n_ids)
        ident = np.repeat(np.arange(n_ids), sizes)
        n = len(ident)
        iso = rng.standard_normal((n, dim)) / np.sqrt(dim)
        coeff = rng.standard_normal((n, domain.nuisance_rank)) / np.sqrt(domain.nuisance_rank)
        nuisance = domain.nuisance_scale * (coeff @ nuisance_basis)
        x = centres[ident] + spreads[ident, None] * (iso + nuisance)
        order = rng.permutation(n)
        feats = _unit(x[order]).astype(np.float32)
        labels = (ident[order] + first_label).astype(np.int64)
        splits[name] = Split(feats, labels, np.arange(n, dtype=np.int64))
        first_label += n_ids
    return splits
