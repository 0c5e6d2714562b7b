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
    longtail_split,
    make_split,
    make_splits,
    oversampling_targets,
    read_split,
    read_splits,
    resolve_classes,
    resolve_spec,
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
