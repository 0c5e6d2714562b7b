"""Tests of imbgraph.io.gin_text: the GIN/DGCNN text reader agrees with TUDataset on a
collection written in both formats, names file and line on malformed input, and reads the
zipped real datasets when IMBGRAPH_DATASETS is set."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from imbgraph.errors import InputError
from imbgraph.io.gin_text import parse_gin_text, read_gin_text, write_gin_text
from imbgraph.io.tu import read_tu, write_tu_raw

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

GOOD = """4
3 1
0 2 1 2
1 2 0 2
2 2 0 1
2 0
0 1 1
0 1 0
3 1
1 1 1
2 1 0
2 0
2 0
0 1 1
1 1 0
"""


def test_parse_hand_built():
    a = parse_gin_text(GOOD.encode())
    np.testing.assert_array_equal(a.node_ptr, [0, 3, 5, 8, 10])
    np.testing.assert_array_equal(a.y, [1, 0, 1, 0])
    np.testing.assert_array_equal(a.label_values, [0, 1])
    assert a.edge_index.T.tolist() == [[0, 1], [0, 2], [1, 0], [1, 2], [2, 0], [2, 1],
                                       [3, 4], [4, 3], [5, 6], [6, 5], [8, 9], [9, 8]]
    assert a.node_labels.argmax(axis=1).tolist() == [0, 1, 2, 0, 0, 1, 2, 2, 0, 1]


def test_agrees_with_tudataset(tmp_path: Path):
    from imbgraph.graphcls.synthetic import ClassSpec, SyntheticSpec, synthesize_graphs

    arrays = synthesize_graphs(SyntheticSpec(classes=(
        ClassSpec(6, 8, 0.3, 2.5, {"cycle5": 1.0}), ClassSpec(5, 10, 0.3, 2.5, {"star6": 1.0})),
        n_tags=4, seed=3))
    # the TU writer lists each undirected edge in both directions, as TU files do
    e = arrays.edge_index
    both = np.unique(np.concatenate([e, e[::-1]], axis=1), axis=1)
    arrays = type(arrays)(**{**arrays.__dict__, "edge_index": both})
    write_tu_raw(arrays, tmp_path / "tu", "SYN")
    write_gin_text(arrays, tmp_path / "SYN.txt")
    tu = read_tu(tmp_path / "tu", "SYN", workdir=tmp_path / "work")
    gin = read_gin_text(tmp_path / "SYN.txt")
    np.testing.assert_array_equal(gin.node_ptr, tu.node_ptr)
    np.testing.assert_array_equal(gin.edge_index, tu.edge_index)
    np.testing.assert_array_equal(gin.y, tu.y)
    np.testing.assert_array_equal(gin.node_labels, tu.node_labels)


def test_reads_zip_member(tmp_path: Path):
    z = tmp_path / "TOY.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("TOY/TOY.txt", GOOD)
        zf.writestr("TOY/10fold_idx/test_idx-1.txt", "0\n")
        zf.writestr("__MACOSX/TOY/._TOY.txt", "junk")
    a = read_gin_text(z, name="TOY")
    assert a.num_graphs == 4 and a.source.endswith("TOY.zip:TOY/TOY.txt")


@pytest.mark.parametrize("text, match", [
    ("x\n", r"data\.txt:1: expected numbers"),
    ("2 3\n", r"data\.txt:1: expected the number of graphs alone"),
    ("1\n2 0\n0 1 1\n", r"graph 1 \(header on line 2\) declares 2 nodes but the file ends after 1"),
    ("1\n2\n0 1 1\n0 1 0\n", r"data\.txt:2: expected a graph header 'n label'"),
    ("1\n2 0\n0 1 5\n0 1 0\n", r"data\.txt:3: neighbour 5 outside 0\.\.1"),
    ("1\n2 0\n0 3 1\n0 1 0\n", r"data\.txt:3: node line declares m = 3 neighbours but holds 1"),
    ("1\n2 0\n0 1 1\n0 1 0\n1 0\n", r"data\.txt:5: unexpected data after the 1 graphs"),
    ("2\n2 0\n0 1 1\n0 1 0\n", r"ends at line 4 after 1 of 2 graphs"),
    ("1\n2 0.5\n0 1 1\n0 1 0\n", r"data\.txt:2: expected an integer node count / label"),
    # values that parse but cannot be right (two graphs of class 0 unless said otherwise)
    ("2\n2 0\n0 1 1\n-7 1 0\n1 0\n1 0\n", r"data\.txt:4: node tag -7 is negative"),
    ("2\n2 0\n0 1 1\n100000 1 0\n1 0\n1 0\n",
     r"data\.txt:4: node tag 100000 is out of range: labels span 0\.\.100000"),
    ("3\n1 0\n0 0\n1 0\n0 0\n1 7\n0 0\n",
     r"data\.txt:6: graph label 7 is held by 1 graph.*The other labels: 0 \(2 graphs\)"),
    ("2\n2 0\n0 1 1 0.5\n0 1 0 nan\n1 0\n0 0 1.0\n",
     r"data\.txt:4: node attribute 1 is nan; expected finite numbers"),
    ("2\n1 0\n0 0 1.0 2.0\n1 0\n0 0 1.0 -inf\n",
     r"data\.txt:5: node attribute 2 is -inf; expected finite numbers"),
])
def test_malformed_names_line(tmp_path: Path, text: str, match: str):
    path = tmp_path / "data.txt"
    path.write_text(text)
    with pytest.raises(InputError, match=match):
        read_gin_text(path)


def test_missing_file(tmp_path: Path):
    with pytest.raises(InputError, match="file not found"):
        read_gin_text(tmp_path / "none.txt")


def test_zip_without_member(tmp_path: Path):
    z = tmp_path / "X.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a.txt", GOOD)
        zf.writestr("b.txt", GOOD)
    with pytest.raises(InputError, match="expected one GIN text file"):
        read_gin_text(z, name="X")


def test_real_dd():
    root = os.environ.get("IMBGRAPH_DATASETS")
    path = Path(root or "/nonexistent") / "gin" / "DD.zip"
    if not path.is_file():
        pytest.skip("IMBGRAPH_DATASETS is not set or has no gin/DD.zip")
    a = read_gin_text(path, name="DD")
    assert (a.num_graphs, a.num_nodes, a.edge_index.shape[1]) == (1178, 334925, 1686092)
    assert np.bincount(a.y).tolist() == [691, 487]
    assert a.node_labels.shape[1] == 89
