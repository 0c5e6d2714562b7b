"""Tests of imbgraph.io.gnn_benchmark on small .npz / .zip files written here, and on the
shared Amazon Photo when IMBGRAPH_DATASETS is set."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from imbgraph.errors import InputError
from imbgraph.io.gnn_benchmark import read_gnn_benchmark

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def arrays(with_names=True):
    adj = sp.csr_matrix(np.array([[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 0], [0, 0, 0, 0]],
                                 dtype=np.float32))  # directed, one self loop
    attr = sp.csr_matrix(np.array([[2, 0], [0, 1], [1, 1], [0, 0]], dtype=np.float32))
    out = {"adj_data": adj.data, "adj_indices": adj.indices, "adj_indptr": adj.indptr,
           "adj_shape": np.array(adj.shape), "attr_data": attr.data,
           "attr_indices": attr.indices, "attr_indptr": attr.indptr,
           "attr_shape": np.array(attr.shape), "labels": np.array([0, 1, 1, 0])}
    if with_names:
        out["class_names"] = np.array(["Cameras", "Lenses"])
    return out


def test_npz(tmp_path):
    np.savez(tmp_path / "g.npz", **arrays())
    x, ei, y, names = read_gnn_benchmark(tmp_path / "g.npz")
    assert x.tolist() == [[1, 0], [0, 1], [1, 1], [0, 0]]  # binarised as PyG does
    assert sorted(map(tuple, ei.T.tolist())) == [(0, 1), (1, 0), (1, 2), (2, 1)]
    assert y.tolist() == [0, 1, 1, 0] and names == ("Cameras", "Lenses")


def test_zip_and_default_names(tmp_path):
    np.savez(tmp_path / "g.npz", **arrays(with_names=False))
    with zipfile.ZipFile(tmp_path / "g.zip", "w") as zf:
        zf.write(tmp_path / "g.npz", "inner/amazon_electronics_x.npz")
    x, ei, y, names = read_gnn_benchmark(tmp_path / "g.zip")
    assert x.shape == (4, 2) and names == ("class_0", "class_1")


def test_bad_inputs_name_the_file(tmp_path):
    with pytest.raises(InputError, match="nope.npz: gnn-benchmark file not found"):
        read_gnn_benchmark(tmp_path / "nope.npz")
    bad = arrays()
    del bad["labels"]
    np.savez(tmp_path / "nolabels.npz", **bad)
    with pytest.raises(InputError, match=r"nolabels.npz: not a gnn-benchmark graph: arrays "
                                         r"\['labels'\] are missing"):
        read_gnn_benchmark(tmp_path / "nolabels.npz")
    np.savez(tmp_path / "g.npz", **arrays())
    data = (tmp_path / "g.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="cut.npz: not a readable .npz"):
        read_gnn_benchmark(tmp_path / "cut.npz")
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as zf:
        zf.write(tmp_path / "g.npz", "a.npz")
        zf.write(tmp_path / "g.npz", "b.npz")
    with pytest.raises(InputError, match="two.zip: expected exactly one .npz"):
        read_gnn_benchmark(tmp_path / "two.zip")


def test_real_photo():
    root = os.environ.get("IMBGRAPH_DATASETS")
    path = Path(root or "") / "npz" / "amazon_electronics_photo.zip"
    if not root or not path.is_file():
        pytest.skip("IMBGRAPH_DATASETS is unset or holds no npz/amazon_electronics_photo.zip")
    x, ei, y, names = read_gnn_benchmark(path)
    assert x.shape == (7650, 745) and ei.shape == (2, 238162)
    assert np.bincount(y).tolist() == [369, 1686, 703, 915, 882, 823, 1941, 331]
    assert names[1] == "Digital Cameras"


def test_object_array_class_names_are_decoded_without_unpickling(tmp_path):
    # Coauthor CS / Physics store class_names as an object array (a pickle inside the .npy)
    a = arrays(with_names=False)
    a["class_names"] = np.array(["Cameras", "Lenses"], dtype=object)
    np.savez(tmp_path / "g.npz", **a)
    with pytest.raises(ValueError, match="Object arrays cannot be loaded"):
        np.load(tmp_path / "g.npz")["class_names"]  # what the reader used to do
    _, _, _, names = read_gnn_benchmark(tmp_path / "g.npz")
    assert names == ("Cameras", "Lenses")


class _Evil:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_a_pickle_naming_other_globals_is_refused(tmp_path, monkeypatch, caplog):
    monkeypatch.chdir(tmp_path)
    a = arrays(with_names=False)
    a["class_names"] = np.array([_Evil(), "Lenses"], dtype=object)
    np.savez(tmp_path / "g.npz", **a)
    _, _, _, names = read_gnn_benchmark(tmp_path / "g.npz")
    assert names == ("class_0", "class_1") and not (tmp_path / "pwned").exists()
    assert "system is not allowed" in caplog.text
    a["class_names"] = np.array([1, 2], dtype=object)  # not strings: default names
    np.savez(tmp_path / "g.npz", **a)
    assert read_gnn_benchmark(tmp_path / "g.npz")[3] == ("class_0", "class_1")


def test_real_coauthor_cs():
    root = os.environ.get("IMBGRAPH_DATASETS")
    path = Path(root or "") / "npz" / "ms_academic_cs.zip"
    if not root or not path.is_file():
        pytest.skip("IMBGRAPH_DATASETS is unset or holds no npz/ms_academic_cs.zip")
    x, ei, y, names = read_gnn_benchmark(path)
    assert x.shape == (18333, 6805) and ei.shape == (2, 163788)
    assert len(names) == 15 and names[:3] == ("bioinformatics", "machine_learning",
                                              "computer_vision")
    assert np.bincount(y).sum() == 18333 and np.bincount(y).shape == (15,)


@pytest.mark.parametrize("labels, match", [
    ([0, 1, 2, 0], r"bad.npz: labels\[2\] = 2 is outside the 2 classes of its class_names "
                   r"\(expected ids in \[0, 2\)\)"),
    ([0, -1, 1, 0], r"bad.npz: labels\[1\] = -1; expected class ids >= 0"),
])
def test_a_label_outside_the_classes_names_the_file_and_the_label(tmp_path, labels, match):
    bad = {**arrays(), "labels": np.array(labels)}
    np.savez(tmp_path / "bad.npz", **bad)
    with pytest.raises(InputError, match=match):
        read_gnn_benchmark(tmp_path / "bad.npz")


def test_nan_features_name_the_raw_file_and_row(tmp_path):
    bad = arrays()
    bad["attr_data"] = bad["attr_data"].copy()
    bad["attr_data"][2] = np.nan  # the third stored value: node 2's (row 2, column 0)
    np.savez(tmp_path / "g.npz", **bad)
    with zipfile.ZipFile(tmp_path / "g.zip", "w") as zf:
        zf.write(tmp_path / "g.npz", "inner.npz")
    with pytest.raises(InputError, match=r"g.zip!inner.npz: the features of node 2 \(row 2, "
                                         r"column 0\) are nan; 1 node\(s\)"):
        read_gnn_benchmark(tmp_path / "g.zip")
