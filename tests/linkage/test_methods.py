"""Tests of imbgraph.linkage.methods: the training job body (a resolved method trained on
supersets, seeded) and the rebuilding of a model from a model file's contents."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imbgraph.knn import search
from imbgraph.linkage.methods import load_model, train_method
from imbgraph.linkage.subgraphs import IpsSpec, build_supersets
from imbgraph.linkage.synthetic import FaceDomain, synthesize_faces

pytestmark = pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")

METHOD = {"label": "FL (w/ RIWS)", "model": {"name": "lgcn", "hidden": [8, 8], "head": 4},
          "sampler": {"name": "riws", "gamma": 2.0}, "loss": {"name": "focal", "alpha": 0.75},
          "train": {"epochs": 2, "batch_size": 8, "lr": 0.1, "lr_decay": 0.7}}


@pytest.fixture(scope="module")
def data():
    split = synthesize_faces(FaceDomain(dim=8, identities={"train": 15}, max_size=10,
                                        seed=3))["train"]
    sets = build_supersets(search(split.features, 8).nbr, np.arange(len(split)),
                           IpsSpec(k1=3, k2=2, u=2, gamma=2.0))
    return split, sets


def train(data, seed=0, **kw):
    split, sets = data
    return train_method(METHOD, sets, split.features, split.labels, k1=3, seed=seed, **kw)


def test_train_method_returns_weights_and_a_summary(data):
    state, summary = train(data)
    assert set(state) == {"model", "in_channels"} and state["in_channels"] == 8
    assert summary["method"] == "FL (w/ RIWS)" and summary["pivots"] == len(data[1])
    assert len(summary["epoch_loss"]) == 2 and summary["resumed_from_epoch"] == 0
    assert summary["subgraphs_per_second"] > 0
    again, _ = train(data)
    other, _ = train(data, seed=1)
    w = "convs.0.lin.weight"
    assert torch.equal(state["model"][w], again["model"][w])
    assert not torch.equal(state["model"][w], other["model"][w])


def test_seeds_in_one_process_equal_seeds_alone(data):
    # A job trains every seed in a loop: seed 1 after seed 0 equals seed 1 alone.
    train(data, seed=0)
    after, _ = train(data, seed=1)
    torch.manual_seed(123)  # whatever state the process is in
    alone, _ = train(data, seed=1)
    for k in after["model"]:
        assert torch.equal(after["model"][k], alone["model"][k]), k


def test_load_model_round_trip_and_errors(data):
    state, _ = train(data)
    model = load_model(METHOD, state, "m.pt")
    assert torch.equal(model.state_dict()["convs.0.lin.weight"],
                       state["model"]["convs.0.lin.weight"])
    with pytest.raises(ValueError, match=r"m\.pt: not an imbgraph model file \(a list"):
        load_model(METHOD, [1], "m.pt")
    with pytest.raises(ValueError, match=r"no \['in_channels'\] among keys"):
        load_model(METHOD, {"model": {}}, "m.pt")
    with pytest.raises(ValueError, match="'model' is not a state dict"):
        load_model(METHOD, {"model": [1], "in_channels": 8}, "m.pt")
    with pytest.raises(ValueError, match="'in_channels' = -1"):
        load_model(METHOD, {"model": state["model"], "in_channels": -1}, "m.pt")
    other = {**METHOD, "model": {"name": "lgcn", "hidden": [16], "head": 4}}
    with pytest.raises(ValueError, match="the weights do not fit the method's model 'lgcn'"):
        load_model(other, state, "m.pt")
