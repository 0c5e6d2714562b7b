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
