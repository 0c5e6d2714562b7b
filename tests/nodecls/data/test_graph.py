"""Tests of imbgraph.nodecls.data.graph: canonical edge lists and the three-file layout."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from imbgraph.errors import InputError
from imbgraph.io.tables import write_parquet_table
from imbgraph.nodecls.data.graph import (
    NodeGraph,
    public_parts,
    read_graph,
    read_labels,
    read_public,
    write_features,
    write_graph,
)


def small():
    x = np.arange(10, dtype=np.float32).reshape(5, 2)
    # duplicates, both directions, a self loop, node 4 isolated
    src = np.array([0, 1, 1, 2, 3, 2, 0])
    dst = np.array([1, 0, 2, 1, 3, 0, 1])
    return NodeGraph.from_edges(x, src, dst, np.array([0, 0, 1, 1, 0]), ["a", "b"])


def test_from_edges_canonical():
    g = small()
    assert g.edge_index.tolist() == [[0, 0, 1, 1, 2, 2], [1, 2, 0, 2, 0, 1]]
    assert g.edge_index.dtype == np.int64 and g.x.dtype == np.float32
    assert (g.num_nodes, g.num_edges, g.num_features, g.num_classes) == (5, 3, 2, 2)
    assert g.degree().tolist() == [2, 2, 2, 0, 0]
    assert g.class_counts().tolist() == [3, 2]
    # edges 0-1 (a-a), 0-2 (a-b), 1-2 (a-b): 2 of 6 directed ends agree
    assert g.edge_homophily() == pytest.approx(2 / 6)
    a = g.adjacency().toarray()
    assert (a == a.T).all() and a.trace() == 0 and a.sum() == 6


def test_validation_errors():
    with pytest.raises(ValueError, match="labels outside"):
        NodeGraph(np.zeros((2, 1), np.float32), np.zeros((2, 0), np.int64),
                  np.array([0, 2]), ("a", "b"))
    with pytest.raises(ValueError, match="x must be float32"):
        NodeGraph(np.zeros((3, 1), np.float32), np.zeros((2, 0), np.int64),
                  np.array([0, 1]), ("a", "b"))
    with pytest.raises(ValueError, match="node ids in"):
        NodeGraph(np.zeros((2, 1), np.float32), np.array([[0], [5]]), np.array([0, 1]),
                  ("a", "b"))


def test_round_trip(tmp_path):
    g = small()
    paths = [tmp_path / "features.npy", tmp_path / "edges.parquet", tmp_path / "nodes.parquet"]
    write_graph(g, *paths)
    h = read_graph(*paths)
    assert np.array_equal(h.x, g.x) and np.array_equal(h.edge_index, g.edge_index)
    assert np.array_equal(h.y, g.y) and h.class_names == ("a", "b")
    before = [p.read_bytes() for p in paths]
    write_graph(h, *paths)
    assert [p.read_bytes() for p in paths] == before  # byte-stable


def test_structure_only_graph_round_trip(tmp_path):
    g = small().with_features(np.zeros((5, 0)))
    paths = [tmp_path / "f.npy", tmp_path / "e.parquet", tmp_path / "n.parquet"]
    write_graph(g, *paths)
    assert read_graph(*paths).num_features == 0


def test_bad_files_name_the_file(tmp_path):
    g = small()
    paths = [tmp_path / "features.npy", tmp_path / "edges.parquet", tmp_path / "nodes.parquet"]
    write_graph(g, *paths)
    np.save(tmp_path / "short.npy", np.zeros((3, 2), np.float32))
    with pytest.raises(InputError, match="short.npy has shape"):
        read_graph(tmp_path / "short.npy", paths[1], paths[2])
    (tmp_path / "junk.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputError, match="junk.parquet: not an edge table"):
        read_graph(paths[0], tmp_path / "junk.parquet", paths[2])
    with pytest.raises(InputError, match="junk.parquet: not a nodes table"):
        read_graph(paths[0], paths[1], tmp_path / "junk.parquet")
    write_parquet_table(pa.table({"src": np.array([0]), "dst": np.array([9])}),
                        tmp_path / "far.parquet")
    with pytest.raises(InputError, match=r"far.parquet: node ids outside \[0, 5\)"):
        read_graph(paths[0], tmp_path / "far.parquet", paths[2])


def test_labels_and_features_alone(tmp_path):
    g = small()
    paths = [tmp_path / "features.npy", tmp_path / "edges.parquet", tmp_path / "nodes.parquet"]
    write_graph(g, *paths)
    y, names = read_labels(paths[2])
    assert y.tolist() == g.y.tolist() and names == ("a", "b")
    write_features(np.arange(10, dtype=np.float64).reshape(5, 2), tmp_path / "dw.npy")
    x = np.load(tmp_path / "dw.npy")
    assert x.dtype == np.float32 and x.shape == (5, 2)
    assert read_graph(tmp_path / "dw.npy", paths[1], paths[2]).num_features == 2
    write_parquet_table(pa.table({"y": np.array([0, 5])}), tmp_path / "bad.parquet",
                        metadata={"class_names": '["a", "b"]'})
    with pytest.raises(InputError, match=r"bad.parquet: labels outside \[0, 2\)"):
        read_labels(tmp_path / "bad.parquet")


def test_public_split_round_trip(tmp_path):
    g = small()
    paths = [tmp_path / "features.npy", tmp_path / "edges.parquet", tmp_path / "nodes.parquet"]
    write_graph(g, *paths)
    assert g.public is None and read_public(paths[2]) is None  # no column written
    pub = NodeGraph.from_edges(g.x, *g.edge_index, g.y, g.class_names,
                               np.array([1, 1, 2, 3, 0]))
    assert pub.public.dtype == np.int8 and pub.with_features(g.x * 2).public is pub.public
    write_graph(pub, *paths)
    np.testing.assert_array_equal(read_public(paths[2]), [1, 1, 2, 3, 0])
    np.testing.assert_array_equal(read_graph(*paths).public, [1, 1, 2, 3, 0])
    parts = public_parts(read_public(paths[2]))
    assert {k: v.tolist() for k, v in parts.items()} == {"train": [0, 1], "val": [2],
                                                         "test": [3]}
    with pytest.raises(ValueError, match="public must hold one code"):
        NodeGraph(g.x, g.edge_index, g.y, g.class_names, np.array([0, 1, 5, 0, 0]))
    write_parquet_table(pa.table({"y": g.y, "public": np.array([0, 9, 0, 0, 0], np.int8)}),
                        tmp_path / "bad.parquet", metadata={"class_names": '["a", "b"]'})
    with pytest.raises(InputError, match=r"bad.parquet: column 'public' holds codes"):
        read_public(tmp_path / "bad.parquet")
