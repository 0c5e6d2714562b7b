"""Tests of imbgraph.linkage.train: candidate labels and a tiny seeded training run
(determinism, checkpoint/resume)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from imbgraph.knn import search
from imbgraph.linkage.models import LGCN
from imbgraph.linkage.samplers import get_sampler
from imbgraph.linkage.subgraphs import IpsSpec, build_supersets
from imbgraph.linkage.synthetic import FaceDomain, synthesize_faces
from imbgraph.linkage.train import TrainConfig, candidate_positive, train_linkage
from imbgraph.losses import get_loss

pytestmark = pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")

CPU = torch.device("cpu")
DIM = 16
SPEC = IpsSpec(k1=5, k2=5, u=5, gamma=2.0)


def test_candidate_positive_hand_built():
    nbr = np.array([[1, 2, 3], [0, 3, 2], [3, 0, 1], [2, 1, 0]])
    labels = np.array([7, 7, 9, 9])
    sets = build_supersets(nbr, np.array([0, 2, 3]), IpsSpec(k1=2, k2=1, u=1, gamma=1.5))
    pos = candidate_positive(sets, labels)
    assert pos.dtype == bool
    # pivot 0 (7): 1, 2, 3 -> T F F; pivot 2 (9): 3, 0, 1 -> T F F; pivot 3 (9): 2, 1, 0 -> T F F
    assert pos.tolist() == [[True, False, False], [True, False, False], [True, False, False]]
    labels2 = np.array([4, 4, 4, 8])
    assert candidate_positive(sets, labels2).tolist() == [
        [True, True, False], [False, True, True], [False, False, False]
    ]


@pytest.fixture(scope="module")
def data():
    splits = synthesize_faces(
        FaceDomain(dim=DIM, identities={"train": 30, "test": 30}, max_size=20, seed=0)
    )
    out = {}
    for name, split in splits.items():
        nbr = search(split.features, 10).nbr
        sets = build_supersets(nbr, np.arange(len(split)), SPEC)
        out[name] = (split, nbr, sets)
    return out


def fresh_model():
    torch.manual_seed(0)
    return LGCN(DIM, hidden=(16, 16, 8, 8), head=8)


def run(data, epochs, sampler="riws", checkpoint=None, seed=0):
    split, _, sets = data["train"]
    model = fresh_model()
    params = {"gamma": 2.0} if sampler == "riws" else {}
    hist = train_linkage(
        model, sets, split.features, split.labels, get_sampler(sampler, **params), get_loss("ce"),
        TrainConfig(k1=5, epochs=epochs, seed=seed), device=CPU, checkpoint=checkpoint,
    )
    return model, hist


def assert_same_weights(m1, m2):
    s1, s2 = m1.state_dict(), m2.state_dict()
    assert s1.keys() == s2.keys()
    for k in s1:
        assert torch.equal(s1[k], s2[k]), k


def test_training_deterministic_and_finite(data):
    m1, h1 = run(data, 2, sampler="knn")
    m2, h2 = run(data, 2, sampler="knn")
    assert_same_weights(m1, m2)
    assert h1.epoch_loss == h2.epoch_loss
    assert len(h1.epoch_loss) == 2 and all(math.isfinite(v) for v in h1.epoch_loss)
    assert h1.subgraphs == 2 * len(data["train"][2])
    assert h1.resumed_from_epoch == 0
    # training changed the weights, and another seed gives other weights
    assert not torch.equal(m1.convs[0].lin.weight, fresh_model().convs[0].lin.weight)
    m3, _ = run(data, 2, sampler="knn", seed=1)
    assert not torch.equal(m1.convs[0].lin.weight, m3.convs[0].lin.weight)


def test_checkpoint_resume_matches_uninterrupted(data, tmp_path):
    ckpt = tmp_path / "ckpt" / "model.pt"
    _, h2 = run(data, 2, checkpoint=ckpt)
    assert ckpt.exists()
    assert torch.load(ckpt, weights_only=True)["epoch"] == 2
    resumed, h3 = run(data, 3, checkpoint=ckpt)
    assert h3.resumed_from_epoch == 2
    assert len(h3.epoch_loss) == 3 and h3.epoch_loss[:2] == h2.epoch_loss
    straight, h_straight = run(data, 3)
    assert_same_weights(resumed, straight)
    np.testing.assert_allclose(h3.epoch_loss, h_straight.epoch_loss, rtol=0, atol=0)
    assert torch.load(ckpt, weights_only=True)["epoch"] == 3
    assert [p.name for p in ckpt.parent.iterdir()] == ["model.pt"]  # no temporaries left


def test_checkpoint_of_other_settings_is_ignored(data, tmp_path):
    ckpt = tmp_path / "model.pt"
    split, _, sets = data["train"]

    def go(fingerprint):
        model = fresh_model()
        hist = train_linkage(
            model, sets, split.features, split.labels, get_sampler("knn"), get_loss("ce"),
            TrainConfig(k1=5, epochs=1, seed=0), device=CPU, checkpoint=ckpt,
            fingerprint=fingerprint,
        )
        return model, hist

    go("lr=0.1")
    model, hist = go("lr=0.2")  # settings changed: start afresh, do not resume epoch 1
    assert hist.resumed_from_epoch == 0 and len(hist.epoch_loss) == 1
    assert torch.load(ckpt, weights_only=True)["fingerprint"] == "lr=0.2"


def test_checkpoint_that_is_not_a_state_dict_is_rejected(data, tmp_path):
    ckpt = tmp_path / "model.pt"
    torch.save([torch.zeros(2)], ckpt)
    with pytest.raises(ValueError, match="not a training checkpoint"):
        run(data, 1, checkpoint=ckpt)
