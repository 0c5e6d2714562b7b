"""Tests of imbgraph.graphcls.methods: every method kind beats chance on a tiny synthetic
collection, runs are a function of (config, seed) only (looping seeds in one process equals
running each alone), and G2GNN's consistency term by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from imbgraph.graphcls.encodings import random_walk_pe
from imbgraph.graphcls.methods import consistency_loss, run_method, run_records
from imbgraph.graphcls.splits import make_split

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

BASE = {"model": {"name": "gin", "hidden": 16, "layers": 2}, "balance": {"upsample": True},
        "params": {}, "train": {"epochs": 12, "patience": 6, "lr": 0.01, "batch_size": 16}}
PRE = {"pretrain": {"epochs": 3, "batch_size": 32}}
METHODS = {
    "GIN": {"kind": "supervised", "balance": {}},
    "GIN-rw": {"kind": "supervised", "balance": {"class_weights": "inverse"}},
    "GIN-aug": {"kind": "supervised", "params": {"augment": {"name": "mask_node", "ratio": 0.1}}},
    "GraphGPS": {"kind": "supervised", "model": {"name": "gps", "hidden": 16, "layers": 1}},
    "G2GNN": {"kind": "g2gnn", "params": {"kernel": {"name": "wl"}, "k": 2,
                                          "augment": {"name": "remove_edge", "ratio": 0.1}}},
    "InfoGraph": {"kind": "infograph", "params": PRE},
    "GraphCL": {"kind": "graphcl", "params": PRE},
    "UniImb": {"kind": "uniimb", "params": {"n_prototypes": 4, "heads": 2, "top_k2": 2,
                                            "top_k1": 4}},
}


def method(name: str) -> dict:
    return {**BASE, "label": name, **METHODS[name]}


@pytest.fixture(scope="module")
def setup(tiny):
    pe = random_walk_pe(tiny, 3)
    split = make_split(tiny.y, tiny.sizes, "class_imbalance",
                       {"train": 40, "val": 20, "ratio": 0.3}, seed=0)
    return tiny, pe, split


@pytest.mark.parametrize("name", list(METHODS))
def test_beats_chance(setup, name):
    coll, pe, split = setup
    metrics, summary = run_method(coll, pe, split, method(name), seed=0, device="cpu")
    assert metrics["balanced_acc"] > 0.7, metrics
    assert metrics["n"] == split.test.shape[0]
    assert 1 <= summary["epochs"] <= 12 and summary["best_epoch"] < summary["epochs"]


@pytest.mark.parametrize("name", ["UniImb", "G2GNN", "GraphCL"])
def test_seed_loop_equals_separate_runs(setup, name):
    coll, pe, split = setup
    m = {**method(name), "train": {**BASE["train"], "epochs": 3}}
    looped = [run_method(coll, pe, split, m, seed=s, device="cpu")[0] for s in (0, 1)]
    alone1 = run_method(coll, pe, split, m, seed=1, device="cpu")[0]
    alone0 = run_method(coll, pe, split, m, seed=0, device="cpu")[0]
    assert looped == [alone0, alone1]


def test_consistency_loss_by_hand():
    p1 = torch.tensor([[0.8, 0.2]]).log()
    p2 = torch.tensor([[0.6, 0.4]]).log()
    avg = torch.tensor([0.7, 0.3])
    sharp = avg ** 2 / (avg ** 2).sum()  # temp 0.5
    want = (((torch.tensor([0.8, 0.2]) - sharp) ** 2).sum()
            + ((torch.tensor([0.6, 0.4]) - sharp) ** 2).sum()) / 2
    torch.testing.assert_close(consistency_loss([p1, p2], 0.5), want)


def test_run_records(setup):
    coll, pe, split = setup
    m = {**method("GIN"), "train": {**BASE["train"], "epochs": 2}}
    metrics, summary = run_method(coll, pe, split, m, seed=0, device="cpu")
    rec, timings, settings = run_records(metrics, summary, dataset="tiny", split="class",
                                         method_name="GIN", method=m, seed=0, pe_dim=3)
    assert {k: rec[k] for k in ("task", "dataset", "split", "method", "method_label", "seed")} == {
        "task": "graphcls", "dataset": "tiny", "split": "class", "method": "GIN",
        "method_label": "GIN", "seed": 0}
    assert "wall_s" not in rec and rec["macro_f1"] == metrics["macro_f1"]
    assert timings["epochs"] == summary["epochs"] and settings["pe_dim"] == 3


def test_size_buckets_keep_every_graph_and_order(setup):
    from imbgraph.graphcls.train import bucketed_batches

    coll, pe, split = setup
    rng = np.random.default_rng(0)
    order = rng.permutation(coll.num_graphs)
    out = bucketed_batches(order, coll.sizes, 8, rng, pool=4)
    assert sorted(np.concatenate(out).tolist()) == sorted(order.tolist())[: sum(map(len, out))]
    assert all(len(b) >= 2 for b in out)
    spread = np.mean([np.ptp(coll.sizes[b]) for b in out])
    assert spread < np.mean([np.ptp(coll.sizes[order[i:i + 8]]) for i in range(0, 120, 8)])
    m = {**method("GraphGPS"), "train": {**BASE["train"], "epochs": 2, "size_buckets": True}}
    metrics, _ = run_method(coll, pe, split, m, seed=0, device="cpu")
    assert metrics["n"] == split.test.shape[0]


def test_budget_batches_cap_attention():
    from imbgraph.graphcls.train import budget_batches

    sizes = np.array([2, 3, 3, 10, 10, 40])
    out = budget_batches(np.arange(6), sizes, 4, budget=250)
    assert [b.tolist() for b in out] == [[0, 1, 2], [3, 4], [5]]  # 3 x 9, 2 x 100, 1 x 1600
    plain = budget_batches(np.arange(6), sizes, 4, None)
    assert [b.tolist() for b in plain] == [[0, 1, 2, 3], [4, 5]]


def uniimb(**params) -> dict:
    m = method("UniImb")
    return {**m, "params": {**m["params"], **params}, "train": {**BASE["train"], "epochs": 3}}


def test_perturb_eval_perturbs_test_graphs(setup):
    """perturb_eval (the code's behaviour): evaluation perturbs too, so two predictions of
    the same graphs differ; without it they are equal."""
    from imbgraph.graphcls.methods import UniImb
    from imbgraph.graphcls.models import build_encoder

    coll, pe, _ = setup
    b = coll.batch(np.arange(32), torch.from_numpy(pe))
    for flag in (False, True):
        torch.manual_seed(0)
        enc = build_encoder({"name": "gin", "hidden": 16, "layers": 2}, coll.num_features, 3)
        learner = UniImb(enc, 2, None, n_prototypes=4, heads=2, top_k2=2, top_k1=4,
                         perturb_eval=flag, rng=np.random.default_rng(0)).eval()
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
    assert not np.array_equal(np.array(ours["prototype_bias"])[0], np.array(ours["prototype_bias"])[1])


def test_eval_order_split_changes_only_the_batches(setup):
    """eval_order: split evaluates class by class; a batch-independent learner (GIN) scores
    the same either way, the batch-dependent UniImb need not."""
    coll, pe, split = setup
    gin = {**method("GIN"), "train": {**BASE["train"], "epochs": 3}}
    ordered = {**gin, "params": {"eval_order": "split"}}
    assert run_method(coll, pe, split, gin, seed=0)[0] == run_method(coll, pe, split, ordered,
                                                                      seed=0)[0]
    with pytest.raises(Exception, match="eval_order = 'sorted'"):
        run_method(coll, pe, split, {**gin, "params": {"eval_order": "sorted"}}, seed=0)


def test_trace_holds_the_test_score_at_every_new_best(setup):
    coll, pe, split = setup
    m = {**method("GIN"), "train": {**BASE["train"], "epochs": 8, "stopping": "none"}}
    metrics, summary = run_method(coll, pe, split, m, seed=0, trace=True)
    rows = summary["trace"]
    assert summary["epochs"] == 8 and rows[0][0] == 0
    assert [r[0] for r in rows] == sorted({r[0] for r in rows})
    assert all(b[1] < a[1] for a, b in zip(rows, rows[1:]))      # strictly better each time
    assert rows[-1][0] == summary["best_epoch"] and rows[-1][2] == metrics["macro_f1"]
    plain, _ = run_method(coll, pe, split, m, seed=0)
    assert plain == metrics  # tracing a deterministic evaluation changes nothing


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
