"""Tests of imbgraph.io.planetoid on tiny raw files written here, and on the real Cora /
CiteSeer when IMBGRAPH_DATASETS points at the shared datasets folder."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from imbgraph.errors import InputError
from imbgraph.io.planetoid import PLANETOID_FILES, read_planetoid

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


N, N_TEST = 520, 10  # PyG's reader marks the 500 nodes after x/y as validation nodes


def write_tiny(root: Path, name: str = "Tiny") -> Path:
    """N nodes on a ring: 2 labelled (x/y), the first N - 10 in allx/ally, the last 10 test
    nodes in tx/ty in a shuffled test.index order."""
    raw = root / name / "raw"
    raw.mkdir(parents=True)
    p = name.lower()
    rng = np.random.default_rng(0)
    feats = (rng.random((N, 3)) < 0.5).astype(np.float32)
    labels = np.arange(N) % 2
    onehot = np.eye(2)[labels]
    test = rng.permutation(np.arange(N - N_TEST, N))
    parts = {"x": sp.csr_matrix(feats[:2]), "y": onehot[:2],
             "allx": sp.csr_matrix(feats[: N - N_TEST]), "ally": onehot[: N - N_TEST],
             "tx": sp.csr_matrix(feats[test]), "ty": onehot[test],
             "graph": {i: [(i - 1) % N, (i + 1) % N] for i in range(N)}}
    for key, obj in parts.items():
        with open(raw / f"ind.{p}.{key}", "wb") as fh:
            pickle.dump(obj, fh)
    (raw / f"ind.{p}.test.index").write_text("".join(f"{i}\n" for i in test))
    return raw, feats, labels


def test_tiny_files(tmp_path):
    _, feats, labels = write_tiny(tmp_path)
    x, ei, y, names = read_planetoid(tmp_path, "Tiny")
    assert x.dtype == np.float32 and x.shape == (N, 3)
    np.testing.assert_array_equal(x, feats)  # test rows put back in node order
    assert y.tolist() == labels.tolist()
    pairs = set(map(tuple, ei.T.tolist()))
    assert len(pairs) == 2 * N and (0, N - 1) in pairs and (5, 6) in pairs
    assert names == ("class_0", "class_1")
    assert not (tmp_path / "Tiny" / "processed").exists()  # nothing written


def test_tiny_public_split(tmp_path):
    write_tiny(tmp_path)
    *_, public = read_planetoid(tmp_path, "Tiny", public=True)
    # PyG: train = the x/y rows (2), validation = the next 500, test = test.index (10)
    assert public.dtype == np.int8 and public.shape == (N,)
    assert np.flatnonzero(public == 1).tolist() == [0, 1]
    assert np.flatnonzero(public == 2).tolist() == list(range(2, 502))
    assert np.flatnonzero(public == 3).tolist() == list(range(N - N_TEST, N))
    assert (public == 0).sum() == N - 2 - 500 - N_TEST


@pytest.mark.parametrize("part", ["graph", "allx", "test.index"])
def test_missing_file_named(tmp_path, part):
    raw = write_tiny(tmp_path)[0]
    (raw / f"ind.tiny.{part}").unlink()
    with pytest.raises(InputError, match=rf"ind\.tiny\.{part}: Planetoid raw file not found"):
        read_planetoid(tmp_path, "Tiny")


@pytest.mark.parametrize("part", ["graph", "ty", "x"])
def test_truncated_file_named(tmp_path, part):
    raw = write_tiny(tmp_path)[0]
    path = raw / f"ind.tiny.{part}"
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(InputError, match=rf"ind\.tiny\.{part}: not a readable Planetoid"):
        read_planetoid(tmp_path, "Tiny")


def test_graph_not_a_dict(tmp_path):
    raw = write_tiny(tmp_path)[0]
    with open(raw / "ind.tiny.graph", "wb") as fh:
        pickle.dump([1, 2], fh)
    with pytest.raises(InputError, match=r"ind\.tiny\.graph: expected a pickled dict"):
        read_planetoid(tmp_path, "Tiny")


def datasets_root() -> Path:
    root = os.environ.get("IMBGRAPH_DATASETS")
    if not root or not (Path(root) / "planetoid" / "Cora" / "raw").is_dir():
        pytest.skip("IMBGRAPH_DATASETS is unset or holds no planetoid/Cora/raw")
    return Path(root) / "planetoid"


def test_real_cora(tmp_path):
    root = datasets_root()
    before = sorted(p.name for p in (root / "Cora").iterdir())
    x, ei, y, names = read_planetoid(root, "Cora")
    assert x.shape == (2708, 1433) and ei.shape == (2, 10556)
    assert np.bincount(y).tolist() == [351, 217, 418, 818, 426, 298, 180]
    assert names[0] == "Theory" and names[6] == "Rule_Learning" and names[2] == "Genetic_Algorithms"
    assert sorted(p.name for p in (root / "Cora").iterdir()) == before  # read-only use
    *_, public = read_planetoid(root, "Cora", public=True)
    # the public split: 20 per class (the first 140 nodes), 500 validation, 1000 test
    assert np.bincount(y[public == 1]).tolist() == [20] * 7
    assert np.flatnonzero(public == 1).tolist() == list(range(140))
    assert (public == 2).sum() == 500 and (public == 3).sum() == 1000


def test_real_citeseer_truncated_copy(tmp_path):
    root = datasets_root()
    shutil.copytree(root / "CiteSeer", tmp_path / "CiteSeer")
    x, ei, y, names = read_planetoid(tmp_path, "CiteSeer")
    assert x.shape[0] == 3327 and np.bincount(y).tolist() == [264, 590, 668, 701, 596, 508]
    assert names == ("AI", "ML", "IR", "DB", "Agents", "HCI")
    path = tmp_path / "CiteSeer" / "raw" / "ind.citeseer.allx"
    path.write_bytes(path.read_bytes()[: 1000])
    with pytest.raises(InputError, match="ind.citeseer.allx"):
        read_planetoid(tmp_path, "CiteSeer")


def test_every_part_is_checked():
    assert len(PLANETOID_FILES) == 8


def test_cora_class_orders_of_the_codes():
    """ECGN's code (DGL's CoraGraphDataset: Planetoid's ids) and GraphSMOTE's loader take
    their last three class ids as minority; the same names differ between them."""
    from imbgraph.io.planetoid import CORA_CLASS_ORDER, last_classes, relabel

    assert last_classes("dgl", 3) == ("Probabilistic_Methods", "Case_Based", "Rule_Learning")
    assert last_classes("graphsmote", 3) == ("Theory", "Rule_Learning", "Genetic_Algorithms")
    assert sorted(CORA_CLASS_ORDER["dgl"]) == sorted(CORA_CLASS_ORDER["graphsmote"])
    # a tiny fixture: one node of each Planetoid class, Theory (0) .. Rule_Learning (6)
    y = np.arange(7)
    gs = relabel(y, "dgl", "graphsmote")
    np.testing.assert_array_equal(gs, [4, 1, 6, 0, 2, 3, 5])
    np.testing.assert_array_equal(relabel(gs, "graphsmote", "dgl"), y)
    # GraphSMOTE's minority ids 4, 5, 6 are Planetoid's 0, 6, 2 (the config's comment)
    assert sorted(y[gs >= 4].tolist()) == [0, 2, 6]
    with pytest.raises(ValueError, match="order"):
        last_classes("pyg", 3)
