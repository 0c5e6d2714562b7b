"""Tests of imbgraph.io.tu: validation of TU raw folders (errors name file and line), reading a
small collection through PyG's TUDataset from a scratch copy, and the real datasets when
IMBGRAPH_DATASETS is set."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from imbgraph.errors import InputError
from imbgraph.io.tu import GraphArrays, read_tu, validate_tu_raw, write_tu_raw

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def tiny_arrays() -> GraphArrays:
    # graph 0: triangle 0-1-2; graph 1: path 3-4; graph 2: single edge 5-6 plus node 7
    und = np.array([[0, 1], [1, 2], [0, 2], [3, 4], [5, 6]])
    e = np.concatenate([und, und[:, ::-1]])
    e = e[np.lexsort((e[:, 1], e[:, 0]))].T
    labels = np.zeros((8, 3), dtype=np.float32)
    labels[np.arange(8), [0, 1, 2, 0, 0, 1, 2, 2]] = 1
    return GraphArrays(edge_index=e.astype(np.int64), node_ptr=np.array([0, 3, 5, 8]),
                       y=np.array([1, 0, 1]), label_values=np.array([-1, 1]),
                       node_labels=labels, source="tiny")


@pytest.fixture()
def raw(tmp_path: Path) -> Path:
    write_tu_raw(tiny_arrays(), tmp_path, "TINY")
    return tmp_path / "TINY" / "raw"


def test_read_tiny_through_tudataset(raw: Path, tmp_path: Path):
    before = sorted(p.name for p in raw.parent.iterdir())
    out = read_tu(tmp_path, "TINY", workdir=tmp_path / "work")
    ref = tiny_arrays()
    assert out.num_graphs == 3 and out.num_nodes == 8
    np.testing.assert_array_equal(out.node_ptr, [0, 3, 5, 8])
    np.testing.assert_array_equal(out.edge_index, ref.edge_index)
    np.testing.assert_array_equal(out.y, [1, 0, 1])
    np.testing.assert_array_equal(out.label_values, [-1, 1])
    np.testing.assert_array_equal(out.node_labels, ref.node_labels)
    assert out.node_attributes is None
    # PyG wrote processed/ only in the scratch copy, never beside the data
    assert sorted(p.name for p in raw.parent.iterdir()) == before


def test_validate_counts(raw: Path):
    assert validate_tu_raw(raw, "TINY") == {"graphs": 3, "nodes": 8, "edges": 10}


def _rewrite(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n")


def test_missing_required_file(raw: Path):
    (raw / "TINY_graph_labels.txt").unlink()
    with pytest.raises(InputError, match=r"TINY_graph_labels\.txt: file not found"):
        validate_tu_raw(raw, "TINY")


def test_graph_labels_missing_lines(raw: Path):
    _rewrite(raw / "TINY_graph_labels.txt", ["1", "-1"])
    with pytest.raises(InputError,
                       match=r"TINY_graph_labels\.txt has 2 lines but .* names 3 graphs"):
        validate_tu_raw(raw, "TINY")


def test_indicator_not_sorted(raw: Path):
    _rewrite(raw / "TINY_graph_indicator.txt", ["1", "1", "2", "1", "2", "3", "3", "3"])
    with pytest.raises(InputError, match=r"TINY_graph_indicator\.txt:4: graph id 1 after 2"):
        validate_tu_raw(raw, "TINY")


def test_indicator_not_integer(raw: Path):
    _rewrite(raw / "TINY_graph_indicator.txt", ["1", "1", "1", "2", "x", "3", "3", "3"])
    with pytest.raises(InputError, match=r"TINY_graph_indicator\.txt:5: expected one graph id"):
        validate_tu_raw(raw, "TINY")


def test_truncated_node_labels(raw: Path):
    lines = (raw / "TINY_node_labels.txt").read_text().split()
    _rewrite(raw / "TINY_node_labels.txt", lines[:6])
    with pytest.raises(InputError, match=r"TINY_node_labels\.txt has 6 lines but .* lists 8 nodes"):
        validate_tu_raw(raw, "TINY")


def test_edge_to_unknown_node(raw: Path):
    lines = (raw / "TINY_A.txt").read_text().splitlines()
    lines[3] = "2, 9"
    _rewrite(raw / "TINY_A.txt", lines)
    with pytest.raises(InputError,
                       match=r"TINY_A\.txt:4: edge \(2, 9\) names a node outside 1\.\.8"):
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
