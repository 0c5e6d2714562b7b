"""Tests of imbgraph.graphcls.synthetic: seeded, class counts, spread of sizes, motifs."""

from __future__ import annotations

import numpy as np
import pytest

from imbgraph.errors import ConfigError
from imbgraph.graphcls.synthetic import SyntheticSpec, synthesize_graphs


def spec(seed=0):
    return SyntheticSpec.from_config({"classes": [
        {"graphs": 40, "size_median": 15, "size_sigma": 0.6, "degree": 2.5,
         "motifs": {"cycle6": 1}},
        {"graphs": 20, "size_median": 30, "size_sigma": 0.6, "degree": 4,
         "motifs": {"clique4": 1}}],
        "n_tags": 4, "seed": seed})


def test_seeded_counts_and_spread():
    a, b, c = synthesize_graphs(spec()), synthesize_graphs(spec()), synthesize_graphs(spec(1))
    np.testing.assert_array_equal(a.edge_index, b.edge_index)
    assert not np.array_equal(a.node_ptr, c.node_ptr)
    assert np.bincount(a.y).tolist() == [40, 20]
    sizes = np.diff(a.node_ptr)
    assert sizes.max() / sizes.min() > 4  # the head / tail split separates different sizes
    assert np.median(sizes[a.y == 1]) > np.median(sizes[a.y == 0])
    assert a.node_labels.shape == (a.num_nodes, 4)
    src, dst = a.edge_index
    same = np.searchsorted(a.node_ptr, src, "right") == np.searchsorted(a.node_ptr, dst, "right")
    assert same.all()


def test_unknown_motif_names_key():
    with pytest.raises(ConfigError, match=r"synthetic\.classes\[1\]\.motifs: 'hexagon'"):
        SyntheticSpec.from_config({"classes": [{"graphs": 3},
                                               {"graphs": 3, "motifs": {"hexagon": 1}}],
                                   "seed": 0})
