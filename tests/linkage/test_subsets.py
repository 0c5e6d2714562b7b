"""Tests of imbgraph.linkage.subsets: the (H m, S n) imbalanced subsets on a hand-built split."""

from __future__ import annotations

import numpy as np
import pytest

from imbgraph.io.splits import Split
from imbgraph.linkage.subsets import imbalanced_subset, subset_name

# identity id -> size. Sorted by (size desc, id asc): 40, 2, 8, 30, 11, 5 (2 beats 8 on the tie).
SIZES = {40: 10, 8: 7, 2: 7, 30: 4, 11: 2, 5: 1}


def make_split(seed=123):
    labels = np.repeat(list(SIZES), list(SIZES.values())).astype(np.int64)
    rng = np.random.default_rng(seed)
    labels = labels[rng.permutation(len(labels))]
    n = len(labels)
    feats = rng.standard_normal((n, 3)).astype(np.float32)
    return Split(feats, labels, np.arange(n, dtype=np.int64))


def counts(labels):
    ids, c = np.unique(labels, return_counts=True)
    return dict(zip(ids.tolist(), c.tolist()))


@pytest.mark.parametrize(
    "head, tail, expected",
    [
        (0, 1, {40: 1, 8: 1, 2: 1, 30: 1, 11: 1, 5: 1}),
        (1, 3, {40: 10, 8: 3, 2: 3, 30: 3, 11: 2, 5: 1}),
        (2, 3, {40: 10, 2: 7, 8: 3, 30: 3, 11: 2, 5: 1}),  # tie 7/7: id 2 before id 8
        (3, 2, {40: 10, 2: 7, 8: 7, 30: 2, 11: 2, 5: 1}),
        (4, 1, {40: 10, 2: 7, 8: 7, 30: 4, 11: 1, 5: 1}),
        (2, 100, dict(SIZES)),
        (6, 1, dict(SIZES)),
    ],
)
def test_exact_counts(head, tail, expected):
    split = make_split()
    sub = imbalanced_subset(split, head, tail, seed=0)
    assert counts(sub.labels) == expected
    assert len(sub) == sum(expected.values())
    # source: rows of the parent split, ascending, and features/labels are those rows
    assert np.all(np.diff(sub.source) > 0)
    np.testing.assert_array_equal(sub.labels, split.labels[sub.source])
    np.testing.assert_array_equal(sub.features, split.features[sub.source])


def test_tie_breaking_by_id_for_head():
    # Two identities of equal size: H1 keeps the smaller id whole.
    labels = np.array([9, 9, 9, 4, 4, 4, 7], dtype=np.int64)
    split = Split(np.zeros((7, 2), np.float32), labels, np.arange(7, dtype=np.int64))
    sub = imbalanced_subset(split, 1, 1, seed=0)
    assert counts(sub.labels) == {4: 3, 7: 1, 9: 1}


def test_head_identities_kept_whole_for_every_seed():
    split = make_split()
    for seed in range(5):
        sub = imbalanced_subset(split, 2, 2, seed=seed)
        for ident in (40, 2):
            np.testing.assert_array_equal(
                np.sort(sub.source[sub.labels == ident]), np.flatnonzero(split.labels == ident)
            )


def test_seeded_determinism_and_seeds_differ():
    split = make_split()
    a = imbalanced_subset(split, 1, 3, seed=7)
    b = imbalanced_subset(split, 1, 3, seed=7)
    np.testing.assert_array_equal(a.source, b.source)
    np.testing.assert_array_equal(a.features, b.features)
    drawn = {tuple(imbalanced_subset(split, 1, 3, seed=s).source.tolist()) for s in range(6)}
    assert len(drawn) > 1
    assert tuple(a.source.tolist()) != tuple(imbalanced_subset(split, 1, 3, seed=8).source.tolist())


def test_tail_draw_is_uniform_within_identity():
    split = make_split()
    rows_40 = np.flatnonzero(split.labels == 40)
    hits = np.zeros(len(split), dtype=np.int64)
    n_draws = 1500
    for s in range(n_draws):
        hits[imbalanced_subset(split, 0, 3, seed=s).source] += 1
    freq = hits[rows_40] / n_draws  # each of 10 rows drawn with probability 3/10
    sd = np.sqrt(0.3 * 0.7 / n_draws)
    assert np.all(np.abs(freq - 0.3) < 5 * sd)
    assert np.all(hits[split.labels == 5] == n_draws)  # a singleton identity is always kept


def test_head_exceeds_identities():
    with pytest.raises(ValueError, match="H7 exceeds the 6 identities"):
        imbalanced_subset(make_split(), 7, 1, seed=0)


def test_fewer_than_two_identities():
    split = Split(np.zeros((4, 2), np.float32), np.full(4, 3, np.int64), np.arange(4, dtype=np.int64))
    with pytest.raises(ValueError, match=r"\(H1, S2\) holds 1 identity; at least 2 are needed"):
        imbalanced_subset(split, 1, 2, seed=0)


@pytest.mark.parametrize("head, tail", [(-1, 3), (2, 0)])
def test_invalid_head_tail(head, tail):
    with pytest.raises(ValueError, match="head must be >= 0 and tail >= 1"):
        imbalanced_subset(make_split(), head, tail, seed=0)


def test_subset_name():
    assert subset_name(200, 3) == "H200_S3"
    assert subset_name(0, 10) == "H0_S10"
