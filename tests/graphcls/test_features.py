"""Tests of imbgraph.graphcls.features: :func:`degree_one_hot` against a per-node loop,
every ``node_features`` choice of :func:`collection_from_arrays` on a hand-written
two-graph collection (edges made undirected, self loops and duplicates dropped, the
provenance string), and the ConfigErrors naming the choice and what is missing. The
config-level path (``build_collection`` adding the config key to the message) is in
test_datasets.py."""

from __future__ import annotations

import numpy as np
import pytest

from imbgraph.errors import ConfigError
from imbgraph.graphcls.features import NODE_FEATURES, collection_from_arrays, degree_one_hot
from imbgraph.io.tu import GraphArrays

# Graph 0: nodes 0-2, path 0-1-2 listed one way, a duplicate 0->1 and a self loop 2->2.
# Graph 1: nodes 3-5, edges 3-4 (both ways) and 3-5; every node of graph 1 but 3 has degree 1.
EDGES = np.array([[0, 0, 1, 2, 3, 4, 5],
                  [1, 1, 2, 2, 4, 3, 3]])
DEGREE = [1, 2, 1, 2, 1, 1]
LABELS = np.eye(3, dtype=np.float32)[[0, 1, 1, 2, 0, 2]]
ATTRS = np.arange(12, dtype=np.float32).reshape(6, 2) / 10


def arrays(labels=True, attributes=True) -> GraphArrays:
    return GraphArrays(EDGES, np.array([0, 3, 6]), np.array([1, 0]), np.array([-1, 1]),
                       node_labels=LABELS if labels else None,
                       node_attributes=ATTRS if attributes else None, source="/data/TOY/raw")


def test_registry():
    assert sorted(NODE_FEATURES) == ["attributes", "auto", "constant", "degree", "labels",
                                     "labels+attributes"]


@pytest.mark.parametrize("max_degree", [0, 1, 3, 10])
def test_degree_one_hot_against_a_loop(max_degree):
    rng = np.random.default_rng(0)
    ei = rng.integers(0, 9, size=(2, 30))  # directed, with repeats: out-degree is counted
    got = degree_one_hot(ei, 10, max_degree)
    want = np.zeros((10, max_degree + 1), dtype=np.float32)
    for v in range(10):
        want[v, min(sum(1 for s in ei[0] if s == v), max_degree)] = 1.0
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)


def test_degree_one_hot_of_an_edgeless_graph():
    f = degree_one_hot(np.zeros((2, 0), dtype=np.int64), 3, 2)
    np.testing.assert_array_equal(f, [[1, 0, 0]] * 3)


def test_structure_is_undirected_and_clean():
    c = collection_from_arrays(arrays(), name="toy")
    pairs = {(0, 1), (1, 2), (3, 4), (3, 5)}
    want = sorted(pairs | {(b, a) for a, b in pairs})
    assert [tuple(e) for e in c.edge_index.T.tolist()] == want
    assert c.name == "toy" and c.num_graphs == 2 and c.y.tolist() == [1, 0]
    assert c.node_ptr.tolist() == [0, 3, 6] and c.edge_ptr.tolist() == [0, 4, 8]


@pytest.mark.parametrize("choice, want, used", [
    ("labels", LABELS, "labels"),
    ("attributes", ATTRS, "attributes"),
    ("labels+attributes", np.concatenate([ATTRS, LABELS], axis=1),  # PyG's order
     "labels+attributes"),
    ("constant", np.ones((6, 1)), "constant"),
    ("auto", LABELS, "labels"),
])
def test_feature_choices(choice, want, used):
    c = collection_from_arrays(arrays(), node_features=choice)
    assert c.x.dtype == np.float32 and c.features == used
    np.testing.assert_array_equal(c.x, want)


@pytest.mark.parametrize("max_degree, want", [(32, DEGREE), (1, [1, 1, 1, 1, 1, 1])])
def test_degree_counts_the_cleaned_undirected_edges(max_degree, want):
    c = collection_from_arrays(arrays(), node_features="degree", max_degree=max_degree)
    assert c.x.shape == (6, max_degree + 1) and c.features == f"degree(max {max_degree})"
    assert c.x.argmax(axis=1).tolist() == want and (c.x.sum(axis=1) == 1).all()


def test_auto_without_labels_is_degree():
    c = collection_from_arrays(arrays(labels=False), max_degree=4)
    assert c.features == "degree(max 4)" and c.x.shape == (6, 5)
    assert c.x.argmax(axis=1).tolist() == DEGREE


@pytest.mark.parametrize("choice, labels, attributes, missing", [
    ("labels", False, True, "labels"),
    ("attributes", True, False, "attributes"),
    ("labels+attributes", False, True, "labels"),
    ("labels+attributes", True, False, "attributes"),
])
def test_missing_features_name_choice_and_source(choice, labels, attributes, missing):
    with pytest.raises(ConfigError, match=rf"node_features = '{missing}' but /data/TOY/raw has "
                                          rf"no node {missing}; use 'degree' or 'constant'"):
        collection_from_arrays(arrays(labels, attributes), node_features=choice)


def test_unknown_choice_names_value_and_options():
    with pytest.raises(ConfigError, match=r"node_features = 'onehot'; expected one of "
                                          r"\['attributes', 'auto', 'constant'"):
        collection_from_arrays(arrays(), node_features="onehot")
