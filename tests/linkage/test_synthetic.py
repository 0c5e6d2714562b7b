"""Tests of imbgraph.linkage.synthetic: shapes, norms, disjoint identities, determinism,
long-tailed identity sizes."""

from __future__ import annotations

import numpy as np
import pytest

from imbgraph.linkage.synthetic import FaceDomain, identity_sizes, synthesize_faces

DOMAIN = FaceDomain(dim=16, identities={"train": 30, "test": 20}, max_size=20, min_size=2, seed=3)


@pytest.fixture(scope="module")
def splits():
    return synthesize_faces(DOMAIN)


def test_split_names_shapes_and_unit_rows(splits):
    assert list(splits) == ["train", "test"]
    for split in splits.values():
        assert split.features.dtype == np.float32
        assert split.features.shape[1] == 16
        assert split.labels.dtype == np.int64
        np.testing.assert_allclose(np.linalg.norm(split.features, axis=1), 1.0, atol=1e-5)
        np.testing.assert_array_equal(split.source, np.arange(len(split)))


def test_labels_disjoint_and_contiguous(splits):
    train, test = set(splits["train"].labels.tolist()), set(splits["test"].labels.tolist())
    assert train == set(range(30))
    assert test == set(range(30, 50))
    assert not train & test


def test_identity_counts_within_bounds(splits):
    for split in splits.values():
        _, c = np.unique(split.labels, return_counts=True)
        assert c.min() >= DOMAIN.min_size and c.max() <= DOMAIN.max_size


def test_determinism_and_seed_sensitivity(splits):
    again = synthesize_faces(DOMAIN)
    for name in splits:
        np.testing.assert_array_equal(again[name].features, splits[name].features)
        np.testing.assert_array_equal(again[name].labels, splits[name].labels)
    other = synthesize_faces(FaceDomain(**{**DOMAIN.__dict__, "seed": 4}))
    assert not np.array_equal(other["train"].features[:5], splits["train"].features[:5])


def test_same_identity_is_closer_on_average(splits):
    x, y = splits["train"].features, splits["train"].labels
    sim = x @ x.T
    same = (y[:, None] == y[None, :]) & ~np.eye(len(y), dtype=bool)
    diff = y[:, None] != y[None, :]
    assert sim[same].mean() > sim[diff].mean() + 0.2


def test_missing_identities_raises():
    with pytest.raises(ValueError, match="needs identities per split"):
        synthesize_faces(FaceDomain(dim=8))


def test_identity_sizes_bounds_and_long_tail():
    sizes = identity_sizes(200, 300, 2, 1.0, np.random.default_rng(0))
    assert sizes.shape == (200,) and sizes.dtype == np.int64
    assert sizes.min() >= 2 and sizes.max() <= 300
    desc = np.sort(sizes)[::-1]
    assert desc[0] >= 200  # the head is near max_size
    assert np.median(sizes) <= 6  # most identities are small (300 / 100 = 3 before jitter)
    assert desc[:20].sum() > 0.5 * sizes.sum()  # top 10% hold most images
    assert (sizes == 2).sum() >= 20  # the floor is reached for the far tail
    # random identity order, not sorted
    assert not np.array_equal(sizes, desc)
    np.testing.assert_array_equal(sizes, identity_sizes(200, 300, 2, 1.0, np.random.default_rng(0)))


def test_identity_sizes_floor_and_ceiling_clip():
    sizes = identity_sizes(50, 10, 4, 3.0, np.random.default_rng(1))
    assert sizes.min() == 4 and sizes.max() <= 10
