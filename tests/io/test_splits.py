"""Tests of imbgraph.io.splits: the features.npy + labels.parquet round trip."""

from __future__ import annotations

import numpy as np
import pytest

from imbgraph.io.splits import Split, read_split, write_split


def make_split(n=7, dim=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return Split(x, rng.integers(0, 3, n).astype(np.int64), np.arange(10, 10 + n, dtype=np.int64))


@pytest.mark.parametrize("mmap", [False, True])
def test_split_round_trip(tmp_path, mmap):
    split = make_split()
    fpath, lpath = tmp_path / "sub" / "features.npy", tmp_path / "sub" / "labels.parquet"
    write_split(split, fpath, lpath)
    back = read_split(fpath, lpath, mmap=mmap)
    assert back.features.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(back.features), split.features)
    assert back.labels.dtype == np.int64 and back.source.dtype == np.int64
    np.testing.assert_array_equal(back.labels, split.labels)
    np.testing.assert_array_equal(back.source, split.source)
    # nothing but the two outputs is left in the directory (no temporaries)
    assert sorted(p.name for p in fpath.parent.iterdir()) == ["features.npy", "labels.parquet"]


def test_read_split_row_mismatch(tmp_path):
    write_split(make_split(n=5), tmp_path / "a.npy", tmp_path / "a.parquet")
    write_split(make_split(n=6), tmp_path / "b.npy", tmp_path / "b.parquet")
    with pytest.raises(ValueError, match="has 6 labels but .*a.npy holds 5 rows"):
        read_split(tmp_path / "a.npy", tmp_path / "b.parquet")


def test_split_shape_check():
    with pytest.raises(ValueError, match="Split needs features"):
        Split(np.zeros((3, 2), np.float32), np.zeros(2, np.int64), np.zeros(3, np.int64))
