"""Tests of imbgraph.graphcls.datasets and .features: config entries to collections, node
feature choices, and errors naming the key or file for unknown datasets."""

from __future__ import annotations

import numpy as np
import pytest

from imbgraph.errors import ConfigError, InputError
from imbgraph.graphcls.datasets import build_collection
from imbgraph.graphcls.features import degree_one_hot

SYN = {"source": "synthetic", "synthetic": {"classes": [{"graphs": 5}, {"graphs": 4}],
                                            "n_tags": 0, "seed": 0}}


def test_degree_one_hot_by_hand():
    ei = np.array([[0, 0, 0, 1, 2, 3], [1, 2, 3, 0, 0, 0]])
    f = degree_one_hot(ei, 5, 2)
    assert f.argmax(axis=1).tolist() == [2, 1, 1, 1, 0]  # degree 3 capped at 2; node 4 isolated


def test_synthetic_featureless_gets_degree():
    c = build_collection({**SYN, "max_degree": 8}, name="s")
    assert c.num_graphs == 9 and c.num_features == 9 and c.features == "degree(max 8)"
    assert (c.x.sum(axis=1) == 1).all()
    c1 = build_collection({**SYN, "node_features": "constant"}, name="s")
    assert c1.x.shape[1] == 1


def test_labels_missing_names_key():
    with pytest.raises(ConfigError, match=r"graphcls\.datasets\.s\.node_features = 'labels' but"):
        build_collection({**SYN, "node_features": "labels"}, name="s")


def test_unknown_real_dataset_names_path(tmp_path):
    with pytest.raises(InputError, match=r"NOPE/raw: TU raw folder not found"):
        build_collection({"source": "tu"}, name="NOPE", data_root=tmp_path)
    with pytest.raises(InputError, match=r"gin/NOPE\.txt: file not found"):
        build_collection({"source": "gin_text"}, name="NOPE", data_root=tmp_path)
    with pytest.raises(ConfigError, match=r"graphcls\.datasets\.NOPE\.source = 'tu' needs "
                                          r"graphcls\.data_root"):
        build_collection({"source": "tu"}, name="NOPE")
    with pytest.raises(ConfigError, match=r"graphcls\.datasets\.X\.source = 'csv'"):
        build_collection({"source": "csv"}, name="X")
