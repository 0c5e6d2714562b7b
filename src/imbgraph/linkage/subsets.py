"""Imbalanced training subsets (H m, S n) of the DIGL paper (section 5.1.1).

Identities are sorted by sample count (descending, ties by id ascending); every sample of the
top ``m`` ("head") identities is kept, and ``min(n, size)`` samples are drawn without
replacement from each remaining ("tail") identity.
"""

from __future__ import annotations

import numpy as np

from imbgraph.io.splits import Split


def subset_name(head: int, tail: int) -> str:
    """The split name used in paths and config, e.g. ``H200_S3``."""
    return f"H{head}_S{tail}"


def imbalanced_subset(
    split: Split, head: int, tail: int, *, seed: int, source: str | None = None
) -> Split:
    """Draw the (H ``head``, S ``tail``) subset of ``split``.

    Returns a :class:`Split` whose ``source`` holds the chosen rows of ``split`` in ascending
    order. Raises ValueError when ``head`` exceeds the identity count or the subset would hold
    fewer than two identities; the message starts with ``source`` (what the split is, e.g.
    its file) when given.
    """
    where = f"{source}: " if source else ""
    if head < 0 or tail < 1:
        raise ValueError(f"{where}subset (H{head}, S{tail}): head must be >= 0 and tail >= 1")
    ids, inverse, counts = np.unique(split.labels, return_inverse=True, return_counts=True)
    if head > len(ids):
        raise ValueError(
            f"{where}subset (H{head}, S{tail}): head count H{head} exceeds the {len(ids)} "
            f"identities of the split; expected at most {len(ids)} (lower subsets.heads)"
        )
    # Descending by count, ties by id ascending (ids are sorted, so a stable sort keeps them).
    order = np.argsort(-counts, kind="stable")
    is_head = np.zeros(len(ids), dtype=bool)
    is_head[order[:head]] = True

    rng = np.random.default_rng(seed)
    # One random key per sample; within each tail identity keep the `tail` smallest keys.
    # That is a uniform draw without replacement, vectorised over identities.
    keys = rng.random(len(split.labels))
    by_id = np.lexsort((keys, inverse))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank_in_id = np.empty(len(by_id), dtype=np.int64)
    rank_in_id[by_id] = np.arange(len(by_id)) - np.repeat(starts, counts)
    keep = is_head[inverse] | (rank_in_id < tail)
    rows = np.flatnonzero(keep)
    n_ids = len(np.unique(inverse[rows]))
    if n_ids < 2:
        raise ValueError(
            f"{where}subset (H{head}, S{tail}) holds {n_ids} identity; at least 2 are "
            f"needed to learn links (the split has {len(ids)} identities of {len(split)} "
            "samples)"
        )
    return Split(np.asarray(split.features[rows]), split.labels[rows], split.source[rows])
