"""Tests of imbgraph.graphcls.splits: exact sizes and class / head proportions of every
protocol, the code's multi-class arithmetic, up-sampling, seeding and the too-small error."""

from __future__ import annotations

import numpy as np
import pytest

from imbgraph.errors import ConfigError, InputError
from imbgraph.graphcls.splits import (
    head_mask,
    make_split,
    multiclass_train_counts,
    read_graph_split,
    upsample,
    write_graph_split,
)

Y2 = np.array([0] * 300 + [1] * 200)
SIZES = np.random.default_rng(0).integers(5, 100, size=500)


def counts(y, ids, c):
    return np.bincount(y[ids], minlength=c).tolist()


def test_binary_class_imbalance_exact():
    s = make_split(Y2, SIZES, "class_imbalance", {"train": 100, "val": 60, "minority": 1}, seed=0)
    assert counts(Y2, s.train, 2) == [90, 10]
    assert counts(Y2, s.val, 2) == [54, 6]
    assert counts(Y2, s.test, 2) == [300 - 144, 200 - 16]  # test = the rest (UniImb's code)
    assert np.unique(np.concatenate([s.train, s.val, s.test])).shape[0] == 500


def test_binary_default_minority_is_smaller_class():
    s = make_split(Y2, SIZES, "class_imbalance", {"train": 50, "val": 50}, seed=0)
    assert counts(Y2, s.train, 2) == [45, 5] and s.info["minority"] == 1


def test_balanced_test():
    s = make_split(Y2, SIZES, "class_imbalance",
                   {"train": 100, "val": 60, "minority": 1, "test": "balanced"}, seed=0)
    assert counts(Y2, s.test, 2) == [156, 156]


def test_multiclass_counts_match_the_code():
    assert multiclass_train_counts(1250, 3, 100) == [1100, 112, 11]   # COLLAB (5000 graphs)
    assert multiclass_train_counts(375, 3, 100) == [300, 34, 3]       # IMDB-MULTI (1500)


def test_multiclass_split_exact():
    y = np.repeat([0, 1, 2], [500, 500, 600])  # class 2 largest
    s = make_split(y, np.ones(1600), "class_imbalance", {"rho": 100}, seed=1)
    tr = counts(y, s.train, 3)
    assert sorted(tr, reverse=True) == multiclass_train_counts(400, 3, 100)
    assert tr[2] == max(tr)  # the largest class gets the most training graphs
    assert counts(y, s.val, 3) == [53, 53, 53]  # int(1600 * 0.1 / 3) each


def test_topology_split_exact():
    y = np.repeat([0, 1], 250)
    sizes = np.random.default_rng(2).integers(5, 200, size=500)
    s = make_split(y, sizes, "topology_imbalance", {}, seed=0)
    head, boundary = head_mask(sizes, 0.2)
    assert boundary == np.sort(sizes)[::-1][100]
    assert head.sum() <= 100 and (sizes[head] > boundary).all()
    # train 50 (25 per class), 10% from the head: 5 rounded up to 6, 3 per class
    assert counts(y, s.train, 2) == [25, 25] and counts(y, s.val, 2) == [25, 25]
    assert [int(head[s.train][y[s.train] == c].sum()) for c in (0, 1)] == [3, 3]
    assert [int(head[s.val][y[s.val] == c].sum()) for c in (0, 1)] == [3, 3]
    # "largest" takes the largest head graphs of each class first
    for c in (0, 1):
        h = np.flatnonzero(head & (y == c))
        chosen = s.train[(y[s.train] == c) & head[s.train]]
        assert sorted(sizes[chosen]) == sorted(np.sort(sizes[h])[::-1][:3])
    assert s.info["train_head"] == 6


def test_igl_class_profile():
    y = np.repeat([0, 1, 2], [400, 300, 300])
    s = make_split(y, np.ones(1000), "igl_class", {"rho": 20}, seed=0)
    tr = counts(y, s.train, 3)  # 100 graphs, profile 1 : 20^-1/2 : 1/20
    n_max = 100 / (1 + 20 ** -0.5 + 1 / 20)
    assert tr == [round(n_max), round(n_max * 20 ** -0.5), round(n_max / 20)]
    assert counts(y, s.val, 3) == [33, 33, 33]


def test_igl_class_index_order_is_the_codes_two_class_rule():
    # IGL-Bench's get_class_num at "high": class 1 gets int(0.9 * 111) = 99 of PROTEINS'
    # 111 training graphs and class 0 the other 12, although class 0 is the larger one
    y = np.repeat([0, 1], [663, 450])
    s = make_split(y, np.ones(1113), "igl_class", {"rho": 9, "order": "index"}, seed=0)
    assert counts(y, s.train, 2) == [12, 99] and counts(y, s.val, 2) == [55, 55]
    assert s.info["order"] == "index"
    by_size = make_split(y, np.ones(1113), "igl_class", {"rho": 9}, seed=0)
    assert counts(y, by_size.train, 2) == [100, 11]
    # more classes by id from the last: class 2 the most
    y3 = np.repeat([0, 1, 2], [400, 300, 300])
    s3 = make_split(y3, np.ones(1000), "igl_class", {"rho": 100, "order": "index"}, seed=0)
    assert counts(y3, s3.train, 3) == [1, 9, 90]
    with pytest.raises(ConfigError, match=r"split\.order = 'ids'"):
        make_split(y3, np.ones(1000), "igl_class", {"order": "ids"}, seed=0)


def test_seeded_and_fixed():
    a = make_split(Y2, SIZES, "class_imbalance", {"train": 40, "val": 40}, seed=3)
    b = make_split(Y2, SIZES, "class_imbalance", {"train": 40, "val": 40}, seed=3)
    c = make_split(Y2, SIZES, "class_imbalance", {"train": 40, "val": 40}, seed=4)
    assert a.train.tolist() == b.train.tolist() and a.train.tolist() != c.train.tolist()
    f1 = make_split(Y2, SIZES, "igl_class", {"split_seed": 7}, seed=1)
    f2 = make_split(Y2, SIZES, "igl_class", {"split_seed": 7}, seed=2)
    assert f1.train.tolist() == f2.train.tolist()


def test_too_small_names_key():
    with pytest.raises(ConfigError, match=r"graphcls\.splits\.class.*class 1 has 200 graphs but "
                                          r"the split needs 901"):
        make_split(Y2, SIZES, "class_imbalance", {"train": 500, "val": 500, "minority": 0},
                   seed=0, where="graphcls.splits.class")
    with pytest.raises(ConfigError, match="needs train and val sizes"):
        make_split(Y2, SIZES, "class_imbalance", {}, seed=0)
    with pytest.raises(ConfigError, match="protocol = 'nope'"):
        make_split(Y2, SIZES, "nope", {}, seed=0)


def test_upsample_balances_like_the_code():
    rng = np.random.default_rng(0)
    y = np.array([0] * 10 + [1] * 3)
    ids = np.arange(13)
    up = upsample(ids, y, rng)
    assert np.bincount(y[up]).tolist() == [10, 10]
    extra = up[13:]
    assert np.bincount(extra, minlength=13)[10:].tolist() in ([3, 2, 2], [2, 3, 2], [2, 2, 3])


def test_split_file_roundtrip(tmp_path):
    s = make_split(Y2, SIZES, "class_imbalance", {"train": 40, "val": 40}, seed=0)
    write_graph_split(s, tmp_path / "s.json")
    back = read_graph_split(tmp_path / "s.json", 500)
    assert back.train.tolist() == s.train.tolist() and back.info == s.info
    with pytest.raises(InputError, match=r"ids must be integers in \[0, 10\)"):
        read_graph_split(tmp_path / "s.json", 10)
