"""Shared tiny collections for the graphcls tests."""

from __future__ import annotations

import pytest
import torch

from imbgraph.graphcls.features import collection_from_arrays
from imbgraph.graphcls.synthetic import ClassSpec, SyntheticSpec, synthesize_graphs


def tiny_spec(seed: int = 0, graphs: tuple[int, int] = (60, 60), n_tags: int = 3) -> SyntheticSpec:
    """Two easily separated classes (stars vs cliques, different sizes and densities)."""
    return SyntheticSpec(classes=(
        ClassSpec(graphs[0], 10, 0.3, 2.2, {"star6": 1.0}, 6),
        ClassSpec(graphs[1], 14, 0.3, 3.5, {"clique5": 1.0}, 6)),
        n_tags=n_tags, tag_signal=0.3, seed=seed)


@pytest.fixture(scope="session")
def tiny():
    return collection_from_arrays(synthesize_graphs(tiny_spec()), name="tiny")


@pytest.fixture(scope="session")
def tiny_run(tiny):
    """(collection, 3-step random-walk PE, a class-imbalance split) of one tiny run."""
    from imbgraph.graphcls.encodings import random_walk_pe
    from imbgraph.graphcls.splits import make_split

    split = make_split(tiny.y, tiny.sizes, "class_imbalance",
                       {"train": 40, "val": 20, "ratio": 0.3}, seed=0)
    return tiny, random_walk_pe(tiny, 3), split


@pytest.fixture(autouse=True)
def _one_thread():
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
