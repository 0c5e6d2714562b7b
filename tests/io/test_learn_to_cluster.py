"""Tests of imbgraph.io.learn_to_cluster on .bin/.meta files written in tmp_path."""

from __future__ import annotations

import re

import numpy as np
import pytest

from imbgraph.io.learn_to_cluster import read_learn_to_cluster


def write_pair(tmp_path, feats, meta_text, name="part0"):
    fpath = tmp_path / f"{name}.bin"
    lpath = tmp_path / f"{name}.meta"
    np.asarray(feats, dtype="<f4").tofile(fpath)
    lpath.write_text(meta_text)
    return fpath, lpath


def test_happy_path_normalises_rows_and_reads_labels(tmp_path):
    feats = np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 2.0], [1.0, 1.0, 1.0], [-6.0, 0.0, 8.0]])
    fpath, lpath = write_pair(tmp_path, feats, "7\n-1\n 3 \n7\n")
    split = read_learn_to_cluster(fpath, lpath, dim=3)
    expected = np.array(
        [[0.6, 0.8, 0.0], [0.0, 0.0, 1.0], [3**-0.5] * 3, [-0.6, 0.0, 0.8]], dtype=np.float32
    )
    assert split.features.dtype == np.float32
    np.testing.assert_allclose(split.features, expected, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(np.linalg.norm(split.features, axis=1), 1.0, rtol=1e-6)
    assert split.labels.dtype == np.int64
    assert split.labels.tolist() == [7, -1, 3, 7]
    assert split.source.tolist() == [0, 1, 2, 3]
    assert len(split) == 4


def test_n_comes_from_meta_line_count(tmp_path):
    # 6 floats: N=3 with D=2 or N=2 with D=3; the .meta decides.
    feats = np.arange(1, 7, dtype=np.float32)
    fpath, lpath = write_pair(tmp_path, feats, "0\n1\n")
    split = read_learn_to_cluster(fpath, lpath, dim=3)
    assert split.features.shape == (2, 3)
    with pytest.raises(ValueError, match="expected N x D x 4 = 2 x 2 x 4 = 16"):
        read_learn_to_cluster(fpath, lpath, dim=2)


@pytest.mark.parametrize("n_rows_written", [2, 4])
def test_wrong_bin_size_names_file_and_n_d_4(tmp_path, n_rows_written):
    feats = np.ones((n_rows_written, 5), dtype=np.float32)
    fpath, lpath = write_pair(tmp_path, feats, "1\n2\n3\n")
    actual = n_rows_written * 5 * 4
    msg = rf"{re.escape(str(fpath))} is {actual} bytes; expected N x D x 4 = 3 x 5 x 4 = 60"
    with pytest.raises(ValueError, match=msg):
        read_learn_to_cluster(fpath, lpath, dim=5)


def test_truncated_by_a_few_bytes(tmp_path):
    fpath, lpath = write_pair(tmp_path, np.ones((3, 2)), "0\n0\n1\n")
    fpath.write_bytes(fpath.read_bytes()[:-3])
    with pytest.raises(ValueError, match=r"is 21 bytes; expected N x D x 4 = 3 x 2 x 4 = 24"):
        read_learn_to_cluster(fpath, lpath, dim=2)


def test_non_integer_meta_line_names_file_line_and_text(tmp_path):
    fpath, lpath = write_pair(tmp_path, np.ones((3, 2)), "0\n1\nabc\n")
    msg = rf"{re.escape(str(lpath))}:3: expected one integer label per line, got 'abc'"
    with pytest.raises(ValueError, match=msg):
        read_learn_to_cluster(fpath, lpath, dim=2)


def test_float_meta_line_rejected(tmp_path):
    fpath, lpath = write_pair(tmp_path, np.ones((2, 2)), "1.5\n2\n")
    with pytest.raises(ValueError, match=r":1: .*got '1\.5'"):
        read_learn_to_cluster(fpath, lpath, dim=2)


def test_empty_meta(tmp_path):
    fpath, lpath = write_pair(tmp_path, np.ones((0, 2)), "")
    with pytest.raises(ValueError, match=rf"{re.escape(str(lpath))}: no labels"):
        read_learn_to_cluster(fpath, lpath, dim=2)


def test_missing_meta(tmp_path):
    fpath, lpath = write_pair(tmp_path, np.ones((1, 2)), "0\n")
    lpath.unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(f"{lpath}: label file (.meta) not found")):
        read_learn_to_cluster(fpath, lpath, dim=2)


def test_missing_bin(tmp_path):
    fpath, lpath = write_pair(tmp_path, np.ones((1, 2)), "0\n")
    fpath.unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(f"{fpath}: feature file (.bin) not found")):
        read_learn_to_cluster(fpath, lpath, dim=2)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_features(tmp_path, bad):
    feats = np.ones((4, 3), dtype=np.float32)
    feats[2, 1] = bad
    feats[3, 0] = bad
    fpath, lpath = write_pair(tmp_path, feats, "0\n0\n1\n1\n")
    with pytest.raises(ValueError, match=r"2 feature rows contain NaN or inf \(first row 2\)"):
        read_learn_to_cluster(fpath, lpath, dim=3)


def test_zero_norm_rows(tmp_path):
    feats = np.ones((4, 3), dtype=np.float32)
    feats[1] = 0
    fpath, lpath = write_pair(tmp_path, feats, "0\n0\n1\n1\n")
    msg = rf"{re.escape(str(fpath))}: 1 feature rows have zero norm \(first row 1\)"
    with pytest.raises(ValueError, match=msg):
        read_learn_to_cluster(fpath, lpath, dim=3)
