"""Tests of imbgraph.io.tu: validation of TU raw folders (errors name file and line), reading a
small collection through PyG's TUDataset from a scratch copy, and the real datasets when
IMBGRAPH_DATASETS is set."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from imbgraph.errors import InputError
from imbgraph.io.tu import (
    GraphArrays,
    check_node_labels,
    read_tu,
    validate_tu_raw,
    write_tu_raw,
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def tiny_arrays() -> GraphArrays:
    # graph 0: triangle 0-1-2; graph 1: path 3-4; graph 2: single edge 5-6 plus node 7;
    # graph 3: single edge 8-9 (each class holds two graphs: a class of one is refused)
    und = np.array([[0, 1], [1, 2], [0, 2], [3, 4], [5, 6], [8, 9]])
    e = np.concatenate([und, und[:, ::-1]])
    e = e[np.lexsort((e[:, 1], e[:, 0]))].T
    labels = np.zeros((10, 3), dtype=np.float32)
    labels[np.arange(10), [0, 1, 2, 0, 0, 1, 2, 2, 0, 1]] = 1
    return GraphArrays(edge_index=e.astype(np.int64), node_ptr=np.array([0, 3, 5, 8, 10]),
                       y=np.array([1, 0, 1, 0]), label_values=np.array([-1, 1]),
                       node_labels=labels, source="tiny")


@pytest.fixture()
def raw(tmp_path: Path) -> Path:
    write_tu_raw(tiny_arrays(), tmp_path, "TINY")
    return tmp_path / "TINY" / "raw"


def test_read_tiny_through_tudataset(raw: Path, tmp_path: Path):
    before = sorted(p.name for p in raw.parent.iterdir())
    out = read_tu(tmp_path, "TINY", workdir=tmp_path / "work")
    ref = tiny_arrays()
    assert out.num_graphs == 4 and out.num_nodes == 10
    np.testing.assert_array_equal(out.node_ptr, [0, 3, 5, 8, 10])
    np.testing.assert_array_equal(out.edge_index, ref.edge_index)
    np.testing.assert_array_equal(out.y, [1, 0, 1, 0])
    np.testing.assert_array_equal(out.label_values, [-1, 1])
    np.testing.assert_array_equal(out.node_labels, ref.node_labels)
    assert out.node_attributes is None
    # PyG wrote processed/ only in the scratch copy, never beside the data
    assert sorted(p.name for p in raw.parent.iterdir()) == before


def test_validate_counts(raw: Path):
    assert validate_tu_raw(raw, "TINY") == {"graphs": 4, "nodes": 10, "edges": 12}


def _rewrite(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n")


def test_missing_required_file(raw: Path):
    (raw / "TINY_graph_labels.txt").unlink()
    with pytest.raises(InputError, match=r"TINY_graph_labels\.txt: file not found"):
        validate_tu_raw(raw, "TINY")


def test_graph_labels_missing_lines(raw: Path):
    _rewrite(raw / "TINY_graph_labels.txt", ["1", "-1"])
    with pytest.raises(InputError,
                       match=r"TINY_graph_labels\.txt has 2 lines but .* names 4 graphs"):
        validate_tu_raw(raw, "TINY")


def test_indicator_not_sorted(raw: Path):
    _rewrite(raw / "TINY_graph_indicator.txt", ["1", "1", "2", "1", "2", "3", "3", "3", "4", "4"])
    with pytest.raises(InputError, match=r"TINY_graph_indicator\.txt:4: graph id 1 after 2"):
        validate_tu_raw(raw, "TINY")


def test_indicator_not_integer(raw: Path):
    _rewrite(raw / "TINY_graph_indicator.txt", ["1", "1", "1", "2", "x", "3", "3", "3", "4", "4"])
    with pytest.raises(InputError, match=r"TINY_graph_indicator\.txt:5: expected one graph id"):
        validate_tu_raw(raw, "TINY")


def test_truncated_node_labels(raw: Path):
    lines = (raw / "TINY_node_labels.txt").read_text().split()
    _rewrite(raw / "TINY_node_labels.txt", lines[:6])
    with pytest.raises(InputError, match=r"TINY_node_labels\.txt has 6 lines but .* lists 10 nodes"):
        validate_tu_raw(raw, "TINY")


def test_edge_to_unknown_node(raw: Path):
    lines = (raw / "TINY_A.txt").read_text().splitlines()
    lines[3] = "2, 11"
    _rewrite(raw / "TINY_A.txt", lines)
    with pytest.raises(InputError,
                       match=r"TINY_A\.txt:4: edge \(2, 11\) names a node outside 1\.\.10"):
        validate_tu_raw(raw, "TINY")


def test_edge_across_graphs(raw: Path):
    lines = (raw / "TINY_A.txt").read_text().splitlines()
    lines[0] = "1, 4"
    _rewrite(raw / "TINY_A.txt", lines)
    with pytest.raises(InputError, match=r"TINY_A\.txt:1: edge \(1, 4\) joins graph 1 and graph 2"):
        validate_tu_raw(raw, "TINY")


def test_edge_line_with_one_value(raw: Path):
    lines = (raw / "TINY_A.txt").read_text().splitlines()
    lines[2] = "3"
    _rewrite(raw / "TINY_A.txt", lines)
    with pytest.raises(InputError, match=r"TINY_A\.txt:3: expected 2 value"):
        validate_tu_raw(raw, "TINY")


def _set_line(path: Path, line: int, text: str) -> None:
    lines = path.read_text().splitlines()
    lines[line - 1] = text
    _rewrite(path, lines)


def test_node_label_far_out_of_range(raw: Path):
    # one stray 100000 among labels 0..2 would build a 100,001-wide one-hot
    _set_line(raw / "TINY_node_labels.txt", 5, "100000")
    with pytest.raises(InputError, match=r"TINY_node_labels\.txt:5: node label 100000 is out of "
                                         r"range: labels span 0\.\.100000.*expected labels in "
                                         r"0\.\.255"):
        validate_tu_raw(raw, "TINY")


def test_negative_node_label(raw: Path):
    # PyG would shift every label by -7 without a word
    _set_line(raw / "TINY_node_labels.txt", 2, "-7")
    with pytest.raises(InputError, match=r"TINY_node_labels\.txt:2: node label -7 is negative"):
        validate_tu_raw(raw, "TINY")


def test_infinite_node_label(raw: Path):
    # 'inf' parses as a float equal to its own rounding: not an integer all the same
    _set_line(raw / "TINY_node_labels.txt", 3, "inf")
    with pytest.raises(InputError, match=r"TINY_node_labels\.txt:3: expected integer node labels "
                                         r"\(integers\), got 'inf'"):
        validate_tu_raw(raw, "TINY")


def test_one_hot_width_rule():
    lines = np.arange(1, 5)
    check_node_labels(np.array([[1], [2], [53], [200]]), lines, "f")  # sparse but <= 256 wide
    check_node_labels(np.array([[0], [10], [20], [39]]), lines, "f")  # 40 <= 10 x 4 distinct
    with pytest.raises(InputError, match=r"f:4: node label 300 is out of range"):
        check_node_labels(np.array([[0], [1], [2], [300]]), lines, "f")
    with pytest.raises(InputError, match=r"f:2: node label \(column 2\) -1 is negative"):
        check_node_labels(np.array([[0, 0], [1, -1]]), lines, "f")


def test_stray_graph_label(tmp_path: Path):
    # ten two-node graphs labelled +-1, one of them 7: a class of one graph, refused at import
    raw = tmp_path / "STRAY" / "raw"
    raw.mkdir(parents=True)
    labels = ["1", "-1"] * 5
    labels[6] = "7"
    _rewrite(raw / "STRAY_graph_labels.txt", labels)
    _rewrite(raw / "STRAY_graph_indicator.txt", [str(g) for g in range(1, 11) for _ in (0, 1)])
    _rewrite(raw / "STRAY_A.txt", [f"{a}, {b}" for i in range(1, 20, 2)
                                   for a, b in ((i, i + 1), (i + 1, i))])
    with pytest.raises(InputError, match=r"STRAY_graph_labels\.txt:7: graph label 7 is held by 1 "
                                         r"graph.*at least 2 graphs.*The other labels: -1 \(5 "
                                         r"graphs\), 1 \(4 graphs\)"):
        validate_tu_raw(raw, "STRAY")


@pytest.mark.parametrize("value", ["nan", "inf", "-Infinity", "1e39"])
def test_non_finite_node_attribute(raw: Path, value: str):
    lines = ["0.5, 1.0"] * 10
    lines[3] = f"0.5, {value}"
    _rewrite(raw / "TINY_node_attributes.txt", lines)
    with pytest.raises(InputError, match=rf"TINY_node_attributes\.txt:4: expected finite numeric "
                                         rf"node attributes, got '{value}' \(value 2 of the line"):
        validate_tu_raw(raw, "TINY")


def test_missing_folder(tmp_path: Path):
    with pytest.raises(InputError, match="TU raw folder not found"):
        read_tu(tmp_path, "NOPE")


def _datasets() -> Path:
    root = os.environ.get("IMBGRAPH_DATASETS")
    if not root or not (Path(root) / "tu").is_dir():
        pytest.skip("IMBGRAPH_DATASETS is not set or has no tu/ folder")
    return Path(root)


@pytest.mark.parametrize("name, graphs, nodes, edges, classes, node_labels", [
    ("MUTAG", 188, 3371, 7442, [63, 125], 7),
    ("PTC_MR", 344, 4915, 10108, [192, 152], 18),
])
def test_real_tu(tmp_path: Path, name, graphs, nodes, edges, classes, node_labels):
    root = _datasets()
    out = read_tu(root / "tu", name, workdir=tmp_path)
    assert out.num_graphs == graphs and out.num_nodes == nodes
    assert out.edge_index.shape == (2, edges)
    assert np.bincount(out.y).tolist() == classes
    assert out.node_labels.shape == (nodes, node_labels)
    assert not (root / "tu" / name / "processed").exists()


def test_real_tu_pass_the_value_checks():
    # every real collection here (sparse DHFR labels, PROTEINS attributes, 0- and 1-based
    # labels) passes validation unchanged
    root = _datasets() / "tu"
    for raw in sorted(root.glob("*/raw")):
        validate_tu_raw(raw, raw.parent.name)
