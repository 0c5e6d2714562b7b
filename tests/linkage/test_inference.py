"""Tests of imbgraph.linkage.inference: every (pivot, hop-1) pair of the test supersets is
scored once, in pivot order, independently of the batch size."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imbgraph.knn import search
from imbgraph.linkage.inference import predict_pairs
from imbgraph.linkage.models import LGCN
from imbgraph.linkage.subgraphs import IpsSpec, build_supersets
from imbgraph.linkage.synthetic import FaceDomain, synthesize_faces

pytestmark = pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def test_split():
    split = synthesize_faces(FaceDomain(dim=16, identities={"test": 25}, max_size=15, seed=1))["test"]
    nbr = search(split.features, 6).nbr
    return split, nbr, build_supersets(nbr, np.arange(len(split)), IpsSpec(k1=5, k2=3, u=3))


def test_predict_pairs_scores_every_pivot_hop1_pair(test_split):
    split, nbr, sets = test_split
    torch.manual_seed(0)
    model = LGCN(16, hidden=(8, 8), head=4)
    pivot, target, score = predict_pairs(model, sets, split.features, 5, device=CPU)
    n = len(split)
    np.testing.assert_array_equal(pivot, np.repeat(np.arange(n), 5))
    np.testing.assert_array_equal(target, nbr[:, :5].reshape(-1))
    assert score.dtype == np.float64 and np.all((score >= 0) & (score <= 1)) and score.std() > 0
    # batching does not change the result (eval mode: no batch statistics)
    p2, t2, s2 = predict_pairs(model, sets, split.features, 5, batch_size=7, device=CPU)
    np.testing.assert_array_equal(p2, pivot)
    np.testing.assert_array_equal(t2, target)
    np.testing.assert_allclose(s2, score, rtol=1e-5, atol=1e-6)


def test_predict_pairs_on_no_pivot(test_split):
    split, nbr, _ = test_split
    empty = build_supersets(nbr, np.array([], dtype=np.int64), IpsSpec(k1=5, k2=3, u=3))
    pivot, target, score = predict_pairs(LGCN(16, hidden=(8,), head=4), empty,
                                         split.features, 5, device=CPU)
    assert pivot.shape == target.shape == score.shape == (0,)
