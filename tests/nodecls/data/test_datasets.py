"""Tests of imbgraph.nodecls.data.datasets: config entries to graphs, DeepWalk features."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from imbgraph.errors import ConfigError, InputError
from imbgraph.nodecls.data.datasets import add_deepwalk, build_graph, synthetic_class_names


def test_synthetic_entries():
    entry = {"source": "synthetic", "generator": "csbm",
             "params": {"profile": "cora", "num_nodes": 500, "feature_dim": 8, "seed": 1}}
    g = build_graph(entry)
    assert g.num_nodes == 500 and g.class_names == synthetic_class_names(entry)
    assert g.class_names[0] == "Theory"
    bots = {"source": "synthetic", "generator": "bots", "params": {"num_nodes": 200}}
    assert build_graph(bots).class_names == synthetic_class_names(bots) == ("genuine", "bot")
    with pytest.raises(ConfigError, match="d.generator = 'x'"):
        build_graph({"source": "synthetic", "generator": "x"}, key="d")


def test_add_deepwalk_appends_log_degree():
    g = build_graph({"source": "synthetic", "generator": "bots",
                     "params": {"num_nodes": 120, "avg_degree": 4}})
    h = add_deepwalk(g, {"dim": 4, "walk_length": 5, "walks_per_node": 2, "window": 2,
                         "seed": 0, "append_degree": True})
    assert h.x.shape == (120, 5)
    np.testing.assert_allclose(h.x[:, -1], np.log1p(g.degree()), rtol=1e-6)
    assert np.array_equal(h.edge_index, g.edge_index)


def test_real_entry_missing_file(tmp_path):
    with pytest.raises(InputError, match="bc.mat: BlogCatalog .mat file not found"):
        build_graph({"source": "blogcatalog", "path": "bc.mat"}, data_root=tmp_path)


def test_real_cora_entry():
    root = os.environ.get("IMBGRAPH_DATASETS")
    if not root or not (Path(root) / "planetoid" / "Cora").is_dir():
        pytest.skip("IMBGRAPH_DATASETS is unset or holds no planetoid/Cora")
    g = build_graph({"source": "planetoid", "path": "planetoid", "name": "Cora"},
                    data_root=root)
    assert (g.num_nodes, g.num_edges, g.num_classes) == (2708, 5278, 7)


def test_nan_in_raw_features_names_the_raw_file_not_the_derived_one(tmp_path, monkeypatch):
    from imbgraph.nodecls.data import datasets

    x = np.ones((3, 2), dtype=np.float32)
    x[1, 1] = np.nan
    edges = np.array([[0, 1], [1, 0]], dtype=np.int64)
    monkeypatch.setitem(datasets.READERS, "blogcatalog",
                        lambda path, entry: (x, edges, np.array([0, 1, 0]), ("a", "b")))
    with pytest.raises(InputError, match=r"/data/bc.mat: the features of node 1 \(row 1, "
                                         r"column 1\) are nan"):
        build_graph({"source": "blogcatalog", "path": "bc.mat"}, data_root=tmp_path / "data")


def test_row_normalize_by_hand():
    from imbgraph.nodecls.data.datasets import row_normalize

    x = np.array([[1, 0, 3], [0, 0, 0], [2, 2, 0]], dtype=np.float32)
    got = row_normalize(x)
    np.testing.assert_allclose(got, [[0.25, 0, 0.75], [0, 0, 0], [0.5, 0.5, 0]])
    assert got.dtype == np.float32


def test_features_row_normalize_entry():
    entry = {"source": "synthetic", "generator": "csbm",
             "params": {"profile": "cora", "num_nodes": 140, "feature_dim": 8, "seed": 0}}
    raw = build_graph(entry)
    normed = build_graph({**entry, "features": "row_normalize"})
    s = raw.x.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(normed.x, raw.x / s, rtol=1e-5)
    np.testing.assert_array_equal(normed.edge_index, raw.edge_index)
    with pytest.raises(ConfigError, match=r"nodecls.datasets.d.features = 'l2'"):
        build_graph({**entry, "features": "l2"}, key="nodecls.datasets.d")
