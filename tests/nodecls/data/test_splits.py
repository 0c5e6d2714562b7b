"""Tests of imbgraph.nodecls.data.splits: exact per-class counts of the three protocols, seeding,
class resolution, errors naming the key, and the Parquet round trip."""

from __future__ import annotations

import numpy as np
import pytest

from imbgraph.errors import ConfigError, InputError
from imbgraph.nodecls.data.splits import (
    NodeSplit,
    artificial_split,
    genuine_split,
    longtail_counts,
    longtail_remove_counts,
    longtail_remove_split,
    longtail_split,
    make_split,
    make_splits,
    natural_counts,
    natural_split,
    oversampling_targets,
    read_split,
    read_splits,
    resolve_classes,
    resolve_spec,
    step_split,
    train_counts_of,
    write_splits,
)


def labels(sizes, seed=0):
    y = np.repeat(np.arange(len(sizes)), sizes)
    return np.random.default_rng(seed).permutation(y).astype(np.int64)


def counts(split, y, c):
    return {p: v.tolist() for p, v in split.counts(y, c).items()}


def assert_valid(split, y):
    allnodes = np.concatenate([split.train, split.val, split.test])
    assert np.unique(allnodes).size == allnodes.size
    assert allnodes.min() >= 0 and allnodes.max() < y.size


def test_artificial_counts_graphsmote():
    y = labels([100, 100, 100, 90])
    s = artificial_split(y, [2, 3], imbalance_ratio=0.5, rng=np.random.default_rng(0))
    assert counts(s, y, 4) == {"train": [20, 20, 10, 10], "val": [25] * 4, "test": [55] * 4}
    assert s.minority == (2, 3)
    assert_valid(s, y)


def test_artificial_fractions_ecgn_and_rest():
    y = labels([300, 300, 60])
    s = artificial_split(y, [2], imbalance_ratio=0.1, train_per_class=200, val_fraction=0.3,
                         test_fraction=0.7, rng=np.random.default_rng(1))
    # rest 100 -> 30 / 70; minority: int(200 * 0.1) = 20, rest 40 -> 12 / 28
    assert counts(s, y, 3) == {"train": [200, 200, 20], "val": [30, 30, 12],
                               "test": [70, 70, 28]}
    s = artificial_split(y, [2], imbalance_ratio=0.5, val_per_class=25, test_per_class=None,
                         rng=np.random.default_rng(1))
    assert counts(s, y, 3)["test"] == [255, 255, 25]  # every remaining node


def test_artificial_int_truncation():
    y = labels([50, 50])
    s = artificial_split(y, [1], imbalance_ratio=0.27, val_per_class=5, test_per_class=None,
                         rng=np.random.default_rng(0))
    assert counts(s, y, 2) == {"train": [20, 5], "val": [5, 5], "test": [25, 40]}  # int(5.4)


def test_genuine_counts():
    y = labels([100, 9, 3])
    s = genuine_split(y, rng=np.random.default_rng(0))
    assert counts(s, y, 3) == {"train": [25, 2, 1], "val": [25, 2, 1], "test": [50, 5, 1]}
    assert s.minority == (1, 2)  # below the mean of 28 / 3 training nodes
    s = genuine_split(y, rng=np.random.default_rng(0), minority_max_size=9)
    assert s.minority == (1, 2)
    s = genuine_split(y, rng=np.random.default_rng(0), minority_max_size=3)
    assert s.minority == (2,)


def test_longtail_counts_hand_computed():
    sizes = np.array([100, 400, 200, 300])
    # budget 100, mu = 100^(1/3): profile 1, .2154, .0464, .01 -> n_max 78.6
    assert longtail_counts(sizes, 100, 100).tolist() == [1, 78, 3, 16]
    assert longtail_counts(sizes, 1, 100).tolist() == [25, 25, 25, 25]
    assert longtail_counts(np.array([5, 400]), 1, 100).tolist() == [5, 50]  # capped at size
    y = labels(sizes.tolist())
    s = longtail_split(y, rho=100, rng=np.random.default_rng(0))
    c = counts(s, y, 4)
    assert c["train"] == [1, 78, 3, 16]
    assert c["val"] == [25] * 4  # int(0.1 * 1000 / 4)
    assert c["test"] == [74, 297, 172, 259]
    assert s.minority == (0, 2, 3)  # below the mean 24.5


def test_longtail_val_leaves_a_test_node():
    y = labels([400, 12, 30])
    s = longtail_split(y, rho=1, rng=np.random.default_rng(0))
    # budget int(0.1 * 442) = 44 -> 14 per class, class 1 capped at its 12 nodes;
    # val int(0.1 * 442 / 3) = 14, at most size - train - 1
    assert counts(s, y, 3) == {"train": [14, 12, 14], "val": [14, 0, 14],
                               "test": [372, 0, 2]}


def test_seeding_fixed_and_per_run():
    y = labels([60, 60, 60])
    spec = {"protocol": "artificial", "minority": [1], "imbalance_ratio": 0.5,
            "val_per_class": 10, "test_per_class": 20, "seed": 7}
    a = make_splits(y, ["a", "b", "c"], spec, [0, 1])
    assert a[0] != a[1]
    assert make_split(y, ["a", "b", "c"], spec, seed=1) == a[1]
    fixed = make_splits(y, ["a", "b", "c"], {**spec, "per_run": False}, [0, 1])
    assert fixed[0] == fixed[1]


def test_resolve_classes_by_name_and_id():
    names = ["Theory", "RL", "GA"]
    assert resolve_classes(["GA", 0], names, key="k") == (2, 0)
    with pytest.raises(ConfigError, match="nodecls.splits.s.minority: unknown class 'Nope'"):
        resolve_classes(["Nope"], names, key="nodecls.splits.s.minority")
    with pytest.raises(ConfigError, match="k: class id 3 does not exist"):
        resolve_classes([3], names, key="k")


def test_cora_minority_names_give_graphsmote_ids():
    from imbgraph.io.planetoid import PLANETOID_CLASS_NAMES

    ids = resolve_classes(["Theory", "Rule_Learning", "Genetic_Algorithms"],
                          PLANETOID_CLASS_NAMES["cora"], key="k")
    assert ids == (0, 6, 2)


@pytest.mark.parametrize("ratio", [0.0, 1.5, -0.1])
def test_bad_imbalance_ratio_names_key(ratio):
    with pytest.raises(ConfigError, match=r"splits\.s\.imbalance_ratio"):
        artificial_split(labels([50, 50]), [1], imbalance_ratio=ratio,
                         rng=np.random.default_rng(0), key="splits.s")


def test_zero_training_nodes_and_over_asking():
    y = labels([100, 30])
    with pytest.raises(ConfigError, match="0 training nodes"):
        artificial_split(y, [1], imbalance_ratio=0.01, rng=np.random.default_rng(0))
    with pytest.raises(ConfigError, match=r"asks for 35 nodes of class 1 \('b'\), which has "
                                          r"only 30"):
        artificial_split(y, [1], imbalance_ratio=0.5, class_names=["a", "b"],
                         rng=np.random.default_rng(0))
    with pytest.raises(ConfigError, match="rho = 0.5"):
        longtail_split(y, rho=0.5, rng=np.random.default_rng(0), key="splits.lt")
    with pytest.raises(ConfigError, match="protocol = 'x'"):
        make_split(y, ["a", "b"], {"protocol": "x"}, seed=0)
    with pytest.raises(ConfigError, match="one train, one val and one test node"):
        genuine_split(labels([100, 2]), rng=np.random.default_rng(0))


def test_resolve_spec_fills_every_default():
    spec = resolve_spec({"protocol": "artificial", "minority": [1], "imbalance_ratio": 0.5})
    assert spec == {"protocol": "artificial", "minority": [1], "imbalance_ratio": 0.5,
                    "seed": 0, "per_run": True, "train_per_class": 20, "val_per_class": 25,
                    "test_per_class": None, "val_fraction": None, "test_fraction": None}
    # a val fraction replaces the count
    assert resolve_spec({"protocol": "artificial", "val_fraction": 0.3})["val_per_class"] is None
    assert resolve_spec({"protocol": "longtail", "rho": 10, "per_run": False}) == {
        "protocol": "longtail", "rho": 10, "seed": 0, "per_run": False, "train_fraction": 0.1,
        "val_fraction": 0.1, "minority_max_size": None}
    assert resolve_spec({"protocol": "genuine"})["train_fraction"] == 0.25
    with pytest.raises(ConfigError, match=r"splits.x.protocol = 'y'; expected one of"):
        resolve_spec({"protocol": "y"}, key="splits.x")
    # a resolved entry draws the split the entry as written draws
    y = labels([150, 120, 60])
    for entry in ({"protocol": "artificial", "minority": [2], "imbalance_ratio": 0.5},
                  {"protocol": "artificial", "minority": [2], "imbalance_ratio": 0.5,
                   "val_fraction": 0.3, "test_fraction": 0.5, "train_per_class": 10},
                  {"protocol": "genuine", "minority_max_size": 25},
                  {"protocol": "longtail", "rho": 5}):
        a = make_split(y, ["a", "b", "c"], entry, seed=4)
        b = make_split(y, ["a", "b", "c"], resolve_spec(entry), seed=4)
        assert a == b and a.minority == b.minority


def test_oversampling_targets():
    c = np.array([20, 20, 10, 5])
    assert oversampling_targets(c, [2, 3], 2.0).tolist() == [0, 0, 20, 10]
    assert oversampling_targets(c, [2, 3], 0.5).tolist() == [0, 0, 5, 2]  # int(2.5)
    # balance: up to the mean training class (55 // 4 = 13)
    assert oversampling_targets(c, [2, 3], "balance").tolist() == [0, 0, 3, 8]
    assert oversampling_targets(c, [], 2.0).tolist() == [0, 0, 0, 0]
    # majority (ECGN's Over-Sampling): up to the largest training class
    assert oversampling_targets(c, [2, 3], "majority").tolist() == [0, 0, 10, 15]


def test_write_read_round_trip(tmp_path):
    y = labels([60, 60, 60])
    spec = {"protocol": "artificial", "minority": [2], "imbalance_ratio": 0.5,
            "val_per_class": 10, "test_per_class": 20}
    splits = make_splits(y, ["a", "b", "c"], spec, [0, 3])
    write_splits(splits, tmp_path / "s.parquet")
    back = read_splits(tmp_path / "s.parquet")
    assert sorted(back) == [0, 3] and back[0] == splits[0] and back[3] == splits[3]
    assert back[3].minority == (2,)
    write_splits({3: splits[3]}, tmp_path / "seed3.parquet")  # one file per seed
    assert read_split(tmp_path / "seed3.parquet", 3) == splits[3]
    with pytest.raises(InputError, match=r"seed3.parquet: no split for seed 0 \(it holds "
                                         r"seeds \[3\]\)"):
        read_split(tmp_path / "seed3.parquet", 0)
    (tmp_path / "bad.parquet").write_bytes(b"PAR1junk")
    with pytest.raises(InputError, match="bad.parquet: not a splits table"):
        read_splits(tmp_path / "bad.parquet")


def test_nodesplit_rejects_overlap():
    with pytest.raises(ValueError, match="disjoint"):
        NodeSplit(np.array([0, 1]), np.array([1]), np.array([2]))


# --- BAT's step and natural protocols -------------------------------------------------------------
def public_of(y, per_class=20, val=500, test=1000):
    """A Planetoid-like public split: the first ``per_class`` nodes of each class train, then
    ``val`` and ``test`` of the others in node order."""
    c = int(y.max()) + 1
    train = np.concatenate([np.flatnonzero(y == k)[:per_class] for k in range(c)])
    rest = np.setdiff1d(np.arange(y.size), train)
    return {"train": np.sort(train), "val": rest[:val], "test": rest[val:val + test]}


def test_step_on_the_public_split_cora_shape():
    # Cora's 7 classes: the last 3 keep 20 // 10 = 2 of their public training nodes;
    # validation and test are the public ones
    y = labels([351, 217, 418, 818, 426, 298, 180])
    public = public_of(y)
    s = step_split(y, rho=10, public=public, rng=np.random.default_rng(0))
    c = counts(s, y, 7)
    assert c["train"] == [20, 20, 20, 20, 2, 2, 2]
    assert sum(c["val"]) == 500 and sum(c["test"]) == 1000
    np.testing.assert_array_equal(s.val, public["val"])
    np.testing.assert_array_equal(s.test, public["test"])
    assert set(s.train) <= set(public["train"]) and s.minority == (4, 5, 6)
    # head classes keep every public training node
    assert set(public["train"][y[public["train"]] < 4]) <= set(s.train)
    s20 = step_split(y, rho=20, public=public, rng=np.random.default_rng(0))
    assert counts(s20, y, 7)["train"] == [20, 20, 20, 20, 1, 1, 1]
    # CiteSeer's 6 classes: 3 tail classes
    y6 = labels([264, 590, 668, 701, 596, 508])
    s6 = step_split(y6, rho=10, public=public_of(y6), rng=np.random.default_rng(0))
    assert counts(s6, y6, 6)["train"] == [20, 20, 20, 2, 2, 2] and s6.minority == (3, 4, 5)
    assert_valid(s6, y6)


def test_step_random_base_amazon_shape():
    # no public split: 20 random per class, the rest halved (validation gets the floor)
    sizes = [436, 2142, 1414, 542, 5158, 308, 487, 818, 2156, 291]
    y = labels(sizes)
    for base in ("auto", "random"):
        s = step_split(y, rho=20, base=base, rng=np.random.default_rng(3))
        c = counts(s, y, 10)
        assert c["train"] == [20] * 5 + [1] * 5 and s.minority == (5, 6, 7, 8, 9)
        assert c["val"] == [(n - 20) // 2 for n in sizes]
        assert c["test"] == [n - 20 - (n - 20) // 2 for n in sizes]
        assert_valid(s, y)
    # a random base ignores a public split; tail_classes and test_fraction
    y7 = labels([100] * 7)
    s = step_split(y7, rho=10, base="random", public=public_of(y7, val=50, test=50),
                   tail_classes=2, test_fraction=0.25, rng=np.random.default_rng(0))
    c = counts(s, y7, 7)
    assert c["train"] == [20] * 5 + [2] * 2 and c["val"] == [60] * 7 and c["test"] == [20] * 7


def test_step_errors_name_the_key():
    y = labels([50, 50, 50])
    with pytest.raises(ConfigError, match=r"splits.s.base = 'public': the dataset publishes no"):
        step_split(y, rho=10, base="public", rng=np.random.default_rng(0), key="splits.s")
    with pytest.raises(ConfigError, match=r"splits.s.rho = 25: 20 // 25 = 0 training nodes"):
        step_split(y, rho=25, rng=np.random.default_rng(0), key="splits.s")
    with pytest.raises(ConfigError, match=r"splits.s.tail_classes = 3: expected 1 .. 2"):
        step_split(y, rho=10, tail_classes=3, rng=np.random.default_rng(0), key="splits.s")
    with pytest.raises(ConfigError, match=r"splits.s: train_per_class asks for 60 nodes"):
        step_split(y, rho=10, train_per_class=60, rng=np.random.default_rng(0), key="splits.s")


def test_natural_counts_bats_rule():
    # Cora's sizes ranked: 818 (3), 426 (4), 418 (2), 351 (0), 298 (5), 217 (1), 180 (6)
    # int(100 ** ((6 - i) / 6)) = 100, 46, 21, 10, 4, 2, 1
    sizes = np.array([351, 217, 418, 818, 426, 298, 180])
    assert natural_counts(sizes, 100).tolist() == [10, 2, 21, 100, 46, 4, 1]
    assert natural_counts(sizes, 50).tolist() == [
        int(50 ** (3 / 6)), int(50 ** (1 / 6)), int(50 ** (4 / 6)), 50, int(50 ** (5 / 6)),
        int(50 ** (2 / 6)), 1]
    assert natural_counts(np.array([10, 10, 5]), 4).tolist() == [4, 2, 1]  # ties by id
    y = labels(sizes.tolist())
    s = natural_split(y, rho=100, rng=np.random.default_rng(0))
    c = counts(s, y, 7)
    assert c["train"] == [10, 2, 21, 100, 46, 4, 1]
    rest = sizes - np.array(c["train"])
    assert c["val"] == (rest // 2).tolist() and c["test"] == (rest - rest // 2).tolist()
    assert s.minority == (0, 1, 2, 5, 6)  # below the mean training class, 184 / 7 = 26.3
    assert_valid(s, y)
    with pytest.raises(ConfigError, match=r"splits.n: rho = 100 asks for 100 nodes of class 0"):
        natural_split(labels([60, 50]), rho=100, rng=np.random.default_rng(0), key="splits.n")


def test_train_counts_of_every_protocol_equal_the_drawn_splits():
    y = labels([300, 120, 80, 160])
    names = ["a", "b", "c", "d"]
    entries = [{"protocol": "artificial", "minority": [2, 3], "imbalance_ratio": 0.5},
               {"protocol": "genuine"}, {"protocol": "longtail", "rho": 20},
               {"protocol": "step", "rho": 10}, {"protocol": "step", "rho": 20, "tail_classes": 1},
               {"protocol": "natural", "rho": 50}]
    for entry in entries:
        spec = resolve_spec(entry)
        split = make_split(y, names, spec, seed=0)
        assert (train_counts_of(spec, np.bincount(y)).tolist()
                == split.counts(y, 4)["train"].tolist()), entry


def test_make_split_passes_the_public_split():
    y = labels([351, 217, 418, 818, 426, 298, 180])
    public = public_of(y)
    spec = {"protocol": "step", "rho": 10, "seed": 1}
    a = make_split(y, [str(i) for i in range(7)], spec, seed=0, public=public)
    np.testing.assert_array_equal(a.val, public["val"])
    b = make_split(y, [str(i) for i in range(7)], spec, seed=0)  # no public split: random
    assert b.val.size == sum((n - 20) // 2 for n in [351, 217, 418, 818, 426, 298, 180])
    assert make_splits(y, [str(i) for i in range(7)], spec, [0, 1], public=public)[0] == a


@pytest.mark.parametrize("name, train", [("Cora", [20, 20, 20, 20, 2, 2, 2]),
                                         ("CiteSeer", [20, 20, 20, 2, 2, 2])])
def test_step_on_real_planetoid(name, train):
    """BAT's Table 1 protocol on the real graphs: the public split with the last floor(C/2)
    classes at 20 // 10 = 2 training nodes; 500 validation and 1000 test nodes."""
    import os
    from pathlib import Path

    from imbgraph.nodecls.data.datasets import build_graph
    from imbgraph.nodecls.data.graph import public_parts

    root = os.environ.get("IMBGRAPH_DATASETS")
    if not root or not (Path(root) / "planetoid" / name / "raw").is_dir():
        pytest.skip(f"IMBGRAPH_DATASETS is unset or holds no planetoid/{name}")
    g = build_graph({"source": "planetoid", "path": "planetoid", "name": name}, data_root=root)
    public = public_parts(g.public)
    s = make_split(g.y, g.class_names, {"protocol": "step", "rho": 10, "base": "public"},
                   seed=0, public=public)
    c = s.counts(g.y, g.num_classes)
    assert c["train"].tolist() == train
    assert c["val"].sum() == 500 and c["test"].sum() == 1000
    assert set(s.train) <= set(public["train"])


# --- GraphENS's / GraphSHA's long tail (training nodes removed, lowest degree first) --------
def undirected(pairs):
    a = np.array(pairs, dtype=np.int64).T
    return np.concatenate([a, a[::-1]], axis=1)


def test_longtail_remove_counts_graphens_rule():
    # ranked 100 (c0), 80 (c2), 50 (c1), 10 (c3); mu = 0.01^(1/3): 100, 21.5, 4.6, 1.0
    assert longtail_remove_counts(np.array([100, 50, 80, 10]), 100).tolist() == [100, 4, 21, 1]
    # a class smaller than its profile value keeps all of its nodes
    assert longtail_remove_counts(np.array([100, 2, 80]), 4).tolist() == [100, 2, 50]


def test_longtail_remove_takes_the_lowest_degree_recomputed_each_step():
    # class 0: nodes 0-5, class 1: nodes 6-9; rho 2.5 keeps int(6 x 0.4) = 2 of class 1.
    # Degrees 6: 2, 7: 2, 8: 2, 9: 1. Step 1 removes 9; without 9's edge node 8 has degree
    # 1, so step 2 removes 8 (a one-shot removal would take 6, the lowest id of degree 2).
    y = np.array([0] * 6 + [1] * 4, dtype=np.int64)
    edges = undirected([(6, 0), (6, 1), (7, 0), (7, 1), (8, 9), (8, 2)])
    public = {"train": np.arange(10), "val": np.zeros(0, np.int64), "test": np.zeros(0, np.int64)}
    s = longtail_remove_split(y, edges, rho=2.5, rounds=2, public=public,
                              rng=np.random.default_rng(0))
    assert s.removed.tolist() == [8, 9]
    assert s.train.tolist() == [0, 1, 2, 3, 4, 5, 6, 7]
    assert s.minority == (1,)
    # one step: the two of lowest degree in the whole graph at once
    one = longtail_remove_split(y, edges, rho=2.5, rounds=1, public=public,
                                rng=np.random.default_rng(0))
    assert one.removed.tolist() == [6, 9]


def test_longtail_remove_on_the_full_planetoid_split_exact_counts(tmp_path):
    y = labels([351, 217, 418, 818, 426, 298, 180])
    public = public_of(y)
    rng = np.random.default_rng(1)
    edges = undirected(rng.integers(0, y.size, size=(4000, 2)))
    edges = edges[:, edges[0] != edges[1]]
    spec = {"protocol": "longtail_remove", "rho": 100, "per_run": False}
    s = make_split(y, [str(i) for i in range(7)], spec, seed=3, public=public, edge_index=edges)
    np.testing.assert_array_equal(s.val, public["val"])
    np.testing.assert_array_equal(s.test, public["test"])
    held = np.zeros(y.size, bool)
    held[public["val"]] = held[public["test"]] = True
    full = np.bincount(y[~held], minlength=7)  # Planetoid's full split: the rest trains
    want = longtail_remove_counts(full, 100)
    assert s.counts(y, 7)["train"].tolist() == want.tolist()
    assert want.max() == full.max() and want.min() == int(full.max() / 100)
    assert s.removed.size == full.sum() - want.sum()
    assert np.union1d(s.train, s.removed).tolist() == np.flatnonzero(~held).tolist()
    # deterministic, and the removed nodes survive the Parquet round trip
    assert make_split(y, [str(i) for i in range(7)], spec, seed=0, public=public,
                      edge_index=edges) == s
    write_splits({0: s}, tmp_path / "s.parquet")
    assert read_split(tmp_path / "s.parquet", 0) == s
    assert train_counts_of(resolve_spec(spec), np.bincount(y)).max() >= want.max()


def test_longtail_remove_random_base_and_errors():
    y = labels([200, 100, 50])
    edges = undirected([(0, 1), (1, 2)])
    s = longtail_remove_split(y, edges, rho=10, rng=np.random.default_rng(0),
                              val_fraction=0.2, test_fraction=0.4)
    c = s.counts(y, 3)
    assert c["val"].tolist() == [40, 20, 10] and c["test"].tolist() == [80, 40, 20]
    assert c["train"].tolist() == longtail_remove_counts(np.array([80, 40, 20]), 10).tolist()
    with pytest.raises(ConfigError, match="splits.lt.rho = 1000 leaves a class"):
        longtail_remove_split(y, edges, rho=1000, rng=np.random.default_rng(0), key="splits.lt")
    with pytest.raises(ConfigError, match="base = 'public': the dataset publishes no split"):
        longtail_remove_split(y, edges, rho=10, base="public", rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="needs the graph's edges"):
        make_split(y, ["a", "b", "c"], {"protocol": "longtail_remove", "rho": 10}, seed=0)


@pytest.mark.parametrize("name, full, kept", [
    ("Cora", [160, 90, 196, 341, 196, 138, 87], [34, 7, 158, 341, 73, 15, 3]),
    ("CiteSeer", [158, 322, 371, 364, 333, 279], [3, 23, 371, 147, 58, 9])])
def test_longtail_remove_on_real_planetoid(name, full, kept):
    """GraphENS's Cora-LT / CiteSeer-LT (rho 100) from Planetoid's full split: by hand, Cora's
    mu = 0.01^(1/6) gives 341, 158.3, 73.5, 34.1, 15.8, 7.3, 3.4 down the classes ranked
    341 (3), 196 (2; the tie with 4 by id), 196 (4), 160 (0), 138 (5), 90 (1), 87 (6)."""
    import os
    from pathlib import Path

    from imbgraph.nodecls.data.datasets import build_graph
    from imbgraph.nodecls.data.graph import public_parts

    root = os.environ.get("IMBGRAPH_DATASETS")
    if not root or not (Path(root) / "planetoid" / name / "raw").is_dir():
        pytest.skip(f"IMBGRAPH_DATASETS is unset or holds no planetoid/{name}")
    g = build_graph({"source": "planetoid", "path": "planetoid", "name": name}, data_root=root)
    public = public_parts(g.public)
    s = make_split(g.y, g.class_names, {"protocol": "longtail_remove", "rho": 100},
                   seed=0, public=public, edge_index=g.edge_index)
    c = s.counts(g.y, g.num_classes)
    assert c["train"].tolist() == kept
    assert np.bincount(g.y[s.removed], minlength=g.num_classes).tolist() == [
        f - k for f, k in zip(full, kept)]
    assert c["val"].sum() == 500 and c["test"].sum() == 1000
