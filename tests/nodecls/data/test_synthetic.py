"""Tests of imbgraph.nodecls.data.synthetic: sizes, names, homophily, degrees, seeding."""

from __future__ import annotations

import numpy as np
import pytest

from imbgraph.nodecls.data.synthetic import (
    BLOGCATALOG_CLASS_SIZES,
    CORA_CLASS_SIZES,
    bot_graph,
    class_sizes,
    contextual_sbm,
    profile_names,
)


def test_class_sizes_profiles():
    assert class_sizes("cora").tolist() == list(CORA_CLASS_SIZES)
    small = class_sizes("blogcatalog", 2000)
    assert small.sum() == 2000 and small.shape == (38,)
    assert (np.diff(small) <= 0).all() and small.min() >= 3  # rank kept; 3 nodes at least
    assert class_sizes([3, 1], 8).tolist() == [5, 3]  # 3 each + 2 shared 3:1, rounded
    assert profile_names("cora", 7)[0] == "Theory" and profile_names([1, 2], 2) == ("c0", "c1")
    assert sum(BLOGCATALOG_CLASS_SIZES) == 10312


def test_cora_like_graph():
    g = contextual_sbm(class_sizes("cora"), class_names=profile_names("cora", 7),
                       avg_degree=3.9, homophily=0.8, feature_dim=32, seed=0)
    assert g.num_nodes == 2708 and g.class_counts().tolist() == list(CORA_CLASS_SIZES)
    assert g.class_names[6] == "Rule_Learning" and g.x.shape == (2708, 32)
    assert 3.5 < g.degree().mean() < 3.95  # duplicates dropped
    assert 0.75 < g.edge_homophily() < 0.85
    assert g.degree().max() > 5 * g.degree().mean()  # heavy-tailed degrees
    # class-conditional features: class means differ by about feature_signal
    means = np.stack([g.x[g.y == c].mean(0) for c in range(7)])
    assert np.linalg.norm(means[0] - means[1]) > 1.0


def test_seeded():
    a = contextual_sbm([30, 20], feature_dim=4, seed=1)
    b = contextual_sbm([30, 20], feature_dim=4, seed=1)
    c = contextual_sbm([30, 20], feature_dim=4, seed=2)
    assert np.array_equal(a.edge_index, b.edge_index) and np.array_equal(a.x, b.x)
    assert not np.array_equal(a.edge_index, c.edge_index)


def test_structure_only_and_bad_sizes():
    g = contextual_sbm([10, 10], feature_dim=0, degree_exponent=None, homophily=0.0, seed=0)
    assert g.num_features == 0 and g.edge_homophily() == 0.0
    with pytest.raises(ValueError, match="positive integers"):
        contextual_sbm([10, 0])


def test_bot_graph():
    g = bot_graph(3100, bot_fraction=1 / 31, bot_homophily=0.0, seed=0)
    assert g.class_names == ("genuine", "bot") and g.class_counts().tolist() == [3000, 100]
    assert g.num_features == 0
    src, dst = g.edge_index
    bot = g.y == 1
    assert not (bot[src] & bot[dst]).any()  # bot_homophily 0: no bot-bot edge
    assert bot[src].any()
