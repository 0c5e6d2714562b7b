"""Tests of imbgraph.io.blogcatalog: GraphSMOTE's arg-max labels, files written here, and the
real blogcatalog.mat when IMBGRAPH_DATASETS is set."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

from imbgraph.errors import InputError
from imbgraph.io.blogcatalog import argmax_labels, read_blogcatalog


def test_argmax_labels_ties_and_empty_groups():
    group = sp.csr_matrix(np.array([[0, 1, 0, 1],   # tie -> first (group 1)
                                    [0, 0, 0, 1],
                                    [0, 1, 0, 0],
                                    [0, 0, 0, 1]]))  # groups 0 and 2 never win
    y, kept = argmax_labels(group)
    assert y.tolist() == [0, 1, 0, 1] and kept.tolist() == [1, 3]


def write(tmp_path, **mats):
    path = tmp_path / "bc.mat"
    scipy.io.savemat(path, mats)
    return path


def test_small_file(tmp_path):
    net = sp.csc_matrix(np.array([[0, 1, 1], [1, 0, 0], [1, 0, 1]], dtype=float))  # a loop
    group = sp.csc_matrix(np.array([[1, 0, 0], [0, 0, 1], [0, 0, 1]], dtype=float))
    x, ei, y, names = read_blogcatalog(write(tmp_path, network=net, group=group))
    assert x.shape == (3, 0)
    assert sorted(map(tuple, ei.T.tolist())) == [(0, 1), (0, 2), (1, 0), (2, 0)]
    assert y.tolist() == [0, 1, 1] and names == ("group_0", "group_2")


def test_bad_files_name_the_file(tmp_path):
    with pytest.raises(InputError, match="missing.mat: BlogCatalog .mat file not found"):
        read_blogcatalog(tmp_path / "missing.mat")
    path = write(tmp_path, network=sp.csc_matrix(np.eye(2)))
    with pytest.raises(InputError, match=r"bc.mat: no \['group'\] matrix \(found \['network'\]\)"):
        read_blogcatalog(path)
    path = write(tmp_path, network=sp.csc_matrix(np.eye(2)), group=np.ones((3, 2)))
    with pytest.raises(InputError, match="bc.mat: 'network' has shape"):
        read_blogcatalog(path)
    data = write(tmp_path, network=sp.csc_matrix(np.ones((50, 50))),
                 group=np.eye(50)).read_bytes()
    (tmp_path / "cut.mat").write_bytes(data[: len(data) // 3])
    with pytest.raises(InputError, match="cut.mat: not a readable MATLAB"):
        read_blogcatalog(tmp_path / "cut.mat")


def test_real_blogcatalog():
    root = os.environ.get("IMBGRAPH_DATASETS")
    path = Path(root or "") / "blogcatalog" / "blogcatalog.mat"
    if not root or not path.is_file():
        pytest.skip("IMBGRAPH_DATASETS is unset or holds no blogcatalog/blogcatalog.mat")
    x, ei, y, names = read_blogcatalog(path)
    assert x.shape == (10312, 0) and ei.shape == (2, 667966)
    counts = np.bincount(y)
    assert counts.shape == (38,) and (counts < 100).sum() == 14 and (counts > 500).sum() == 8
    assert "group_16" not in names and names[16] == "group_17"
