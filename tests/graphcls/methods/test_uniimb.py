"""Tests of imbgraph.graphcls.methods.uniimb: evaluation perturbs only with perturb_eval, the
official bias (one row shared by the heads, moved by the last batch), the Laplacian branch
through a whole run, the learner's reset and summary, and that its batch-dependent
prediction keeps it out of size buckets."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imbgraph.graphcls.job import run_method
from imbgraph.graphcls.methods.uniimb import UniImb, build
from imbgraph.graphcls.models import build_encoder

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

SMALL = {"n_prototypes": 4, "heads": 2, "top_k2": 2, "top_k1": 4}
METHOD = {"label": "UniImb", "kind": "uniimb", "model": {"name": "gin", "hidden": 16, "layers": 2},
          "balance": {"upsample": True},
          "train": {"epochs": 3, "patience": 6, "lr": 0.01, "batch_size": 16}}


def uniimb(**params) -> dict:
    return {**METHOD, "params": {**SMALL, **params}}


@pytest.fixture
def setup(tiny_run):
    return tiny_run


def test_perturb_eval_perturbs_test_graphs(setup):
    """perturb_eval (the code's behaviour): evaluation perturbs too, so two predictions of
    the same graphs differ; without it they are equal."""
    coll, pe, _ = setup
    b = coll.batch(np.arange(32), torch.from_numpy(pe))
    for flag in (False, True):
        torch.manual_seed(0)
        enc = build_encoder({"name": "gin", "hidden": 16, "layers": 2}, coll.num_features, 3)
        learner = UniImb(enc, 2, None, **SMALL, perturb_eval=flag,
                         rng=np.random.default_rng(0)).eval()
        with torch.no_grad():
            a, c = learner.log_proba(b), learner.log_proba(b)
        assert torch.equal(a, c) is not flag


def test_official_bias_is_shared_and_moved_by_the_last_batch(setup):
    coll, pe, split = setup
    _, summary = run_method(coll, pe, split, uniimb(bias_mode="official", bias_step=0.25),
                            seed=0, device="cpu")
    bias = np.array(summary["prototype_bias"])
    assert bias.shape == (2, 4) and np.array_equal(bias[0], bias[1])  # one row for all heads
    assert np.all(np.abs(bias) % 0.25 == 0) and np.abs(bias).max() <= 0.25 * summary["epochs"]
    _, ours = run_method(coll, pe, split, uniimb(bias_step=0.25), seed=0, device="cpu")
    assert not np.array_equal(np.array(ours["prototype_bias"])[0],
                              np.array(ours["prototype_bias"])[1])


def test_laplacian_branch_reaches_the_encoder(setup):
    """A model with lap_branch: official trains with UniImb's Laplacian branch (the batches
    carry each node's graph's (node count, trace L)) and beats chance."""
    coll, pe, split = setup
    m = uniimb()
    m["model"] = {**m["model"], "lap_branch": "official"}
    m["train"] = {**m["train"], "epochs": 12}
    metrics, _ = run_method(coll, pe, split, m, seed=0)
    assert metrics["balanced_acc"] > 0.7
    with pytest.raises(Exception, match="lap_branch = 'eigen'"):
        run_method(coll, pe, split, {**m, "model": {**m["model"], "lap_branch": "eigen"}}, seed=0)


def test_build_reset_and_summary(make_inputs):
    torch.manual_seed(0)
    learner, batcher = build(make_inputs("uniimb", {**SMALL, "load": {"name": "zipf"}},
                                         batch_size=12))
    assert not learner.batch_invariant and learner.eval_batch_size == 12
    assert learner.target.tolist() == pytest.approx([12 / 25, 6 / 25, 4 / 25, 3 / 25])
    learner.train()
    learner.loss(batcher(np.arange(12)))
    learner.end_epoch()
    assert learner.bias.abs().sum() > 0
    before = learner.block.prototypes.keys.detach().clone()
    learner.reset_parameters()
    assert learner.bias.abs().sum() == 0 and learner.load.sum() == 0
    assert not torch.equal(before, learner.block.prototypes.keys)
    assert learner.summary() == {"prototype_bias": [[0.0] * 4] * 2}
    with pytest.raises(ValueError, match="bias_mode = 'shared'"):
        UniImb(learner.encoder, 2, None, **SMALL, bias_mode="shared", rng=np.random.default_rng())


def test_size_buckets_leave_uniimb_alone(setup):
    """Its prediction depends on the batch: size_buckets does not change its run."""
    coll, pe, split = setup
    plain = run_method(coll, pe, split, uniimb(), seed=0)[0]
    m = uniimb()
    m["train"] = {**m["train"], "size_buckets": True}
    assert run_method(coll, pe, split, m, seed=0)[0] == plain
