"""Tests of imbgraph.graphcls.methods.imgkb: the random-walk kernel with hidden graphs, the
Donsker-Varadhan estimate and the class-balanced weights against hand computations, the
layer-by-layer reading of the backbone, settings checked at start-up, and a run that beats
chance."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from imbgraph.errors import ConfigError
from imbgraph.graphcls.job import prepare, run_method
from imbgraph.graphcls.methods.imgkb import (
    KernelRW,
    build,
    class_balanced_weights,
    dv_mutual_information,
)

METHOD = {"label": "ImGKB", "kind": "imgkb", "model": {"name": "gin", "hidden": 16, "layers": 2},
          "balance": {"upsample": True},
          "train": {"epochs": 10, "patience": 10, "lr": 0.01, "batch_size": 16}}


def test_kernel_by_hand():
    """One hidden graph of 3 nodes: k^p(x) = (Z x)^T A^p (Z x) for p = 1, 2."""
    k = KernelRW(2, hidden_graphs=1, size=3, max_step=2)
    with torch.no_grad():
        k.adj_hidden.copy_(torch.tensor([[1.0, -2.0, 0.5]]))  # edges (0,1), (0,2), (1,2)
        k.features_hidden.copy_(torch.tensor([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]]))
    a = np.array([[0, 1, 0], [1, 0, 0.5], [0, 0.5, 0]])  # ReLU drops the (0,2) edge
    z = np.array([[1.0, 0], [0, 1], [1, 1]])
    x = np.array([[2.0, -1.0], [0.5, 3.0]])
    want = [[(z @ xi) @ np.linalg.matrix_power(a, p) @ (z @ xi) for p in (1, 2)] for xi in x]
    out, by_step = k(torch.tensor(x, dtype=torch.float32))
    assert out.reshape(-1).tolist() == pytest.approx(np.ravel(want).tolist())
    assert by_step.shape == (2, 2, 1) and by_step[:, 1, 0].tolist() == pytest.approx(
        [w[1] for w in want])


def test_dv_estimate_by_hand():
    critic = nn.Linear(2, 1, bias=False)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[1.0, 2.0]]))
    h, pos = torch.tensor([[1.0], [0.0]]), torch.tensor([[0.5], [1.0]])
    joint = np.array([1 + 1.0, 0 + 2.0])                 # h + 2 pos
    margin = np.array([1 + 2.0, 0 + 1.0])                # partners swapped
    got = dv_mutual_information(critic, h, pos, torch.tensor([1, 0]))
    assert float(got.detach()) == pytest.approx(joint.mean() + np.log(np.exp(margin).mean()), rel=1e-6)


def test_class_balanced_weights_by_hand():
    y = torch.tensor([0, 0, 0, 1])
    w = np.array([(1 - 0.9) / (1 - 0.9 ** 3), (1 - 0.9) / (1 - 0.9)])
    assert class_balanced_weights(y, 2, 0.9).tolist() == pytest.approx((w / w.sum() * 2).tolist())
    # a class absent from the batch weighs 0 (the code's NaN), the loss stays finite
    assert class_balanced_weights(torch.tensor([1, 1]), 2, 0.9).tolist() == [0.0, 2.0]


def test_reads_every_backbone_layer_and_checks(make_inputs):
    torch.manual_seed(0)
    learner, batcher = build(make_inputs("imgkb", {"max_step": 2}))
    assert len(learner.kernels) == 2 and len(learner.predict) == 3
    learner.train()
    loss = learner.loss(batcher(np.arange(16)))
    loss.backward()
    assert all(k.features_hidden.grad is not None for k in learner.kernels)
    learner.eval()
    state = torch.get_rng_state()
    with torch.no_grad():
        a, b = learner.log_proba(batcher(np.arange(16))), learner.log_proba(batcher(np.arange(16)))
    assert torch.equal(a, b) and torch.equal(state, torch.get_rng_state())  # no MI draw
    with pytest.raises(ConfigError, match="size_hidden_graphs = 1"):
        prepare({**METHOD, "params": {"size_hidden_graphs": 1}})
    with pytest.raises(ConfigError, match="cb_beta = 1"):
        prepare({**METHOD, "params": {"cb_beta": 1}})


def test_run_beats_chance(tiny_run):
    coll, pe, split = tiny_run
    metrics, _ = run_method(coll, pe, split, METHOD, seed=0, device="cpu", progress=False)
    assert metrics["balanced_acc"] > 0.7


def test_runs_under_the_other_protocols(run_under_other_protocol):
    run_under_other_protocol(METHOD)
