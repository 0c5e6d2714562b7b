"""Tests of imbgraph.graphcls.collection: vectorised batching against PyG's Batch of per-graph
Data objects, subsets, the .npz round trip and the cached per-node / per-graph arrays."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imbgraph.errors import InputError
from imbgraph.graphcls.collection import GraphBatch, GraphCollection, load_array, ranges, save_array


def test_ranges():
    assert ranges(np.array([2, 0, 3])).tolist() == [0, 1, 0, 1, 2]


def test_from_edges_symmetrises_and_drops_loops():
    c = GraphCollection.from_edges(np.zeros((5, 1)), np.array([0, 1, 1, 3, 4]),
                                   np.array([1, 0, 1, 4, 3]), np.array([0, 3, 5]), np.array([0, 1]))
    assert c.edge_index.T.tolist() == [[0, 1], [1, 0], [3, 4], [4, 3]]
    assert c.edge_ptr.tolist() == [0, 2, 4]


def test_batch_matches_pyg(tiny):
    from torch_geometric.data import Batch

    ids = np.array([5, 0, 17, 5, 3])
    pe = np.random.default_rng(0).random((tiny.num_nodes, 2)).astype(np.float32)
    b = tiny.batch(ids, pe)
    ref = Batch.from_data_list([tiny.to_data_list(pe)[i] for i in ids])
    torch.testing.assert_close(b.x, ref.x)
    torch.testing.assert_close(b.pe, ref.pe)
    assert torch.equal(b.edge_index, ref.edge_index)
    assert torch.equal(b.batch, ref.batch)
    assert torch.equal(b.ptr, ref.ptr)
    assert torch.equal(b.y, ref.y.view(-1))
    assert b.ids.tolist() == ids.tolist()


def test_batch_gathers_lap_like_pe(tiny):
    """The optional per-node ``lap`` rides along like ``pe``; without it the batch is as
    before (the field defaults to None, so 7-field GraphBatch construction still works)."""
    ids = np.array([5, 0, 17, 5])
    per_node = np.random.default_rng(1).random((tiny.num_nodes, 2)).astype(np.float32)
    b = tiny.batch(ids, per_node, lap=per_node * 2)
    torch.testing.assert_close(b.lap, b.pe * 2)
    plain = tiny.batch(ids)
    assert plain.lap is None and plain.pe is None and len(plain) == 8
    assert GraphBatch(*plain[:7]).lap is None
    moved = b.to("cpu")
    assert torch.equal(moved.lap, b.lap) and moved.to("cpu").ids.tolist() == ids.tolist()


def test_subset_and_roundtrip(tiny, tmp_path):
    sub = tiny.subset([3, 1])
    assert sub.num_graphs == 2 and sub.y.tolist() == [tiny.y[3], tiny.y[1]]
    assert sub.sizes.tolist() == [tiny.sizes[3], tiny.sizes[1]]
    tiny.save(tmp_path / "c.npz")
    back = GraphCollection.load(tmp_path / "c.npz")
    for name in ("x", "edge_index", "node_ptr", "y"):
        np.testing.assert_array_equal(getattr(back, name), getattr(tiny, name))
    assert back.name == "tiny" and back.features == tiny.features


def test_load_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        GraphCollection.load(tmp_path / "none.npz")
    (tmp_path / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(InputError, match=r"bad\.npz: not a graph collection"):
        GraphCollection.load(tmp_path / "bad.npz")
    np.savez(tmp_path / "other.npz", a=np.arange(3))
    with pytest.raises(InputError, match=r"other\.npz: not a graph collection file"):
        GraphCollection.load(tmp_path / "other.npz")


def test_rejects_inconsistent_arrays():
    with pytest.raises(ValueError, match="x must have shape"):
        GraphCollection(np.zeros((4, 1)), np.zeros((2, 0), np.int64), np.array([0, 3]),
                        np.array([0]))


def test_cached_arrays_roundtrip_and_name_the_file(tmp_path):
    pe = np.arange(12, dtype=np.float32).reshape(6, 2)
    save_array(pe, tmp_path / "rwpe.npy")
    assert [p.name for p in tmp_path.iterdir()] == ["rwpe.npy"]  # no temporary left
    np.testing.assert_array_equal(load_array(tmp_path / "rwpe.npy", rows=6, what="PE"), pe)
    with pytest.raises(InputError, match=r"rwpe\.npy: PE of shape \(6, 2\); expected \(5, \.\.\.\)"):
        load_array(tmp_path / "rwpe.npy", rows=5, what="PE")
    with pytest.raises(InputError, match=r"knn\.npy: kNN table file not found"):
        load_array(tmp_path / "knn.npy", rows=5, what="kNN table")
    (tmp_path / "bad.npy").write_text("not numpy")
    with pytest.raises(InputError, match=r"bad\.npy: not a \.npy file of PE"):
        load_array(tmp_path / "bad.npy", rows=6, what="PE")


def test_arrays_alone_need_no_torch():
    """Split and encoding jobs load collections without paying for torch's import."""
    import subprocess
    import sys

    code = ("import sys, imbgraph.graphcls.collection, imbgraph.graphcls.encodings, "
            "imbgraph.graphcls.kernel_knn, imbgraph.graphcls.datasets; "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)
