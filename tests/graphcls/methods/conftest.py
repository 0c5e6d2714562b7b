"""A run's inputs for the method modules' tests (as the job builds them)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imbgraph.graphcls.methods import METHODS
from imbgraph.graphcls.methods.base import MethodInputs
from imbgraph.graphcls.train import TrainConfig

MODEL = {"name": "gin", "hidden": 8, "layers": 2}


@pytest.fixture(scope="module")
def make_inputs(tiny_run):
    tiny, pe, split = tiny_run

    def make(kind: str, params: dict | None = None, *, model: dict | None = None,
             cached: dict | None = None, weight=None, batch_size: int = 16) -> MethodInputs:
        spec = METHODS[kind]
        full = spec.settings(params or {})
        settings = {"label": kind, "kind": kind, "model": model or MODEL, "balance": {},
                    "params": full, "train": {"batch_size": batch_size}}
        return MethodInputs(collection=tiny, pe=pe, split=split, settings=settings,
                            params=spec.own(full), seed=0, device=torch.device("cpu"),
                            rng=np.random.default_rng(0), train=TrainConfig(batch_size=batch_size),
                            class_weight=weight, cached=cached or {})

    return make


#: the protocols besides class imbalance every new method must run under (small sizes)
OTHER_PROTOCOLS = [
    ("topology_imbalance", {"train_fraction": 0.2, "val_fraction": 0.2, "head_share": 0.1}),
    ("igl_class", {"train_fraction": 0.3, "val_fraction": 0.2, "rho": 4.0})]


@pytest.fixture(params=OTHER_PROTOCOLS, ids=[p for p, _ in OTHER_PROTOCOLS])
def run_under_other_protocol(request, tiny_run):
    """method entry -> (metrics, summary, split) of a 2-epoch run on the tiny collection under
    the topology / IGL-Bench protocol, after checking the metrics cover the test graphs."""
    from imbgraph.graphcls.job import run_method
    from imbgraph.graphcls.splits import make_split

    protocol, params = request.param
    coll, pe, _ = tiny_run
    split = make_split(coll.y, coll.sizes, protocol, params, seed=1)

    def run(method: dict):
        m = {**method, "train": {**method["train"], "epochs": 2}}
        metrics, summary = run_method(coll, pe, split, m, seed=0, device="cpu", progress=False)
        assert 0 <= metrics["macro_f1"] <= 1 and metrics["n"] == split.test.shape[0]
        return metrics, summary, split

    return run
