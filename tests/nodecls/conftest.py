"""Shared fixtures of the node-classification tests: a tiny, easy contextual SBM graph and
its artificial split, small enough for every method to train in well under a second."""

from __future__ import annotations

import pytest
import torch

from imbgraph.nodecls.data.splits import make_split
from imbgraph.nodecls.data.synthetic import contextual_sbm

TINY_SPLIT = {"protocol": "artificial", "minority": [2, 3], "imbalance_ratio": 0.5,
              "train_per_class": 10, "val_per_class": 10, "test_per_class": 20}
TINY_TRAIN = {"max_epochs": 60, "patience": 20, "lr": 0.01, "weight_decay": 5e-4,
              "select": "macro_f1"}


def pytest_collection_modifyitems(items):
    # PyG 2.8 calls torch.jit.script at import; torch 2.13 deprecates it. Not ours to fix.
    here = __file__.rsplit("/", 1)[0]
    for item in items:
        if str(item.fspath).startswith(here):
            item.add_marker(pytest.mark.filterwarnings(
                "ignore:`torch.jit.script` is deprecated:DeprecationWarning"))


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="session")
def tiny_graph():
    return contextual_sbm([50, 50, 40, 40], avg_degree=5, homophily=0.85, feature_dim=16,
                          feature_signal=2.5, feature_noise=1.0, seed=3)


@pytest.fixture(scope="session")
def tiny_split(tiny_graph):
    return make_split(tiny_graph.y, tiny_graph.class_names, TINY_SPLIT, seed=0)


def tiny_method(balancing: dict, *, model: str = "sage", weights: str = "none",
                **train) -> dict:
    return {"label": "t", "model": {"name": model, "hidden": 16, "dropout": 0.1,
                                    "encoder_layers": 1, "classifier_layers": 1},
            "balancing": balancing, "loss": {"name": "ce", "class_weights": weights},
            "train": {**TINY_TRAIN, **train}}


@pytest.fixture(scope="session")
def make_method():
    """``make_method(balancing, model=..., weights=..., **train)``: a resolved tiny method."""
    return tiny_method


@pytest.fixture(scope="session")
def tiny_split_spec():
    return dict(TINY_SPLIT)
