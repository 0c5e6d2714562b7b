"""Tests of imbgraph.io.splits (round trip) and imbgraph.io.atomic (atomic writes, JSON)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from imbgraph.io.atomic import atomic_path, read_json, write_json
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


def test_atomic_path_success_replaces_target(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp != target
        tmp.write_text("new")
        assert target.read_text() == "old"  # not visible before the body finishes
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


@pytest.mark.parametrize("existing", [True, False])
def test_atomic_path_failure_leaves_target_and_no_temp(tmp_path, existing):
    target = tmp_path / "out.txt"
    if existing:
        target.write_text("old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_path(target) as tmp:
            tmp.write_text("half-written")
            raise RuntimeError("boom")
    if existing:
        assert target.read_text() == "old"
        assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    else:
        assert list(tmp_path.iterdir()) == []


def test_atomic_path_suffix_kept_for_np_save(tmp_path):
    target = tmp_path / "x.npy"
    with atomic_path(target, suffix=".npy") as tmp:
        assert tmp.name.endswith(".npy")
        np.save(tmp, np.arange(3))
    np.testing.assert_array_equal(np.load(target), np.arange(3))
    assert [p.name for p in tmp_path.iterdir()] == ["x.npy"]


def test_write_json_null_for_non_finite_and_sorted_keys(tmp_path):
    path = tmp_path / "m.json"
    obj = {"b": math.nan, "a": [1.5, math.inf, {"z": -math.inf, "y": 2}], "c": (math.nan, "s")}
    write_json(obj, path)
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert text.endswith("\n")
    assert json.loads(text) == {"a": [1.5, None, {"y": 2, "z": None}], "b": None, "c": [None, "s"]}
    assert read_json(path) == json.loads(text)
    # keys sorted at every level
    assert text.index('"a"') < text.index('"b"') < text.index('"c"')
    assert text.index('"y"') < text.index('"z"')
    # same content in a different insertion order gives the same bytes
    write_json({"c": (math.nan, "s"), "a": [1.5, math.inf, {"y": 2, "z": -math.inf}], "b": 0.0 * math.nan}, tmp_path / "n.json")
    assert (tmp_path / "n.json").read_bytes() == path.read_bytes()
