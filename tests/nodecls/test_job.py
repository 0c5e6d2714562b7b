"""Tests of imbgraph.nodecls.job, the job body every method shares: set-up (seeding, class
weights, TrainConfig), scoring against scikit-learn, the timings summary; every method trains
on a tiny graph and beats chance; runs are seeded, and a loop over seeds in one process
equals one process per seed; settings are completed and checked before training; a run's
three records. (The cluster-based jobs are tested beside their modules, in methods/ecgn/.)"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from sklearn.metrics import recall_score

from imbgraph.errors import ConfigError
from imbgraph.losses import effective_number_weights, inverse_frequency_weights
from imbgraph.metrics.classification import classification_report
from imbgraph.nodecls.data.splits import make_split
from imbgraph.nodecls.job import (
    full_batch,
    group_recall,
    prepare,
    run_method,
    run_records,
    run_summary,
    score_test,
    setup_run,
    without_removed,
)
from imbgraph.nodecls.methods import OVERSAMPLING
from imbgraph.nodecls.methods.base import MethodInputs, weighted_ce
from imbgraph.nodecls.train import TrainConfig


def inputs_of(graph, split, method, seed=0) -> MethodInputs:
    return MethodInputs(graph, split, method, {}, seed, torch.device("cpu"))


def train_counts(graph, split) -> np.ndarray:
    return np.bincount(graph.y[split.train], minlength=graph.num_classes)


# --- set-up -----------------------------------------------------------------------------------
def test_setup_run_tensors_seed_and_config(tiny_graph, tiny_split, make_method):
    m = make_method({"name": "cb_sampling"}, select="loss", min_epochs=3, unknown_key=1)
    torch.manual_seed(123)
    before = time.perf_counter()
    run = setup_run(inputs_of(tiny_graph, tiny_split, m, 7))
    drawn = torch.rand(4)
    torch.manual_seed(7)
    torch.testing.assert_close(drawn, torch.rand(4))  # seeded from the job's seed
    assert run.device == torch.device("cpu") and run.t0 >= before
    assert run.cfg == TrainConfig(max_epochs=60, patience=20, lr=0.01, weight_decay=5e-4,
                                  select="loss", min_epochs=3)  # unknown keys are ignored
    np.testing.assert_array_equal(run.x.numpy(), tiny_graph.x)
    np.testing.assert_array_equal(run.edge_index.numpy(), tiny_graph.edge_index)
    for part in ("train", "val", "test"):
        np.testing.assert_array_equal(getattr(run, part).numpy(), getattr(tiny_split, part))
    assert run.y.dtype == torch.int64 and run.class_weight is None


@pytest.mark.parametrize("weights, params, reference", [
    ("inverse", {}, inverse_frequency_weights),
    ("effective_number", {"beta": 0.9}, lambda c: effective_number_weights(c, 0.9)),
])
def test_setup_run_class_weights_from_training_counts(tiny_graph, tiny_split, make_method,
                                                      weights, params, reference):
    m = make_method({"name": "cb_sampling"}, weights=weights)
    m["loss"]["class_weight_params"] = params
    run = setup_run(inputs_of(tiny_graph, tiny_split, m, 0))
    counts = train_counts(tiny_graph, tiny_split)
    assert counts.tolist() == [10, 10, 5, 5]  # imbalance ratio 0.5 on classes 2, 3
    assert run.class_weight.dtype == torch.float32
    np.testing.assert_allclose(run.class_weight.numpy(), reference(counts), rtol=1e-6)


def test_criterion(tiny_graph, tiny_split, make_method):
    assert inputs_of(tiny_graph, tiny_split, make_method({"name": "none"})).criterion is weighted_ce
    m = make_method({"name": "none"})
    m["loss"]["name"] = "focal"
    with pytest.raises(KeyError, match="focal"):
        inputs_of(tiny_graph, tiny_split, m).criterion


def test_full_batch_defaults_and_overrides(tiny_graph, tiny_split, make_method):
    m = make_method({"name": "cb_sampling"}, weights="inverse")
    run = setup_run(inputs_of(tiny_graph, tiny_split, m, 0))
    x = torch.cat([run.x, torch.ones(run.x.shape[0], 2)], dim=1)
    b = full_batch(x, run.edge_index, run, 4)
    assert b.x is x and b.y is run.y and b.train is run.train
    assert b.edge_index is run.edge_index and b.class_weight is run.class_weight
    assert b.new_per_class.tolist() == [0, 0, 0, 0] and b.adj.num_nodes == b.num_nodes == 180
    assert int(b.adj.deg.sum()) == tiny_graph.edge_index.shape[1]
    y, train = torch.zeros(180, dtype=torch.long), torch.tensor([1, 2])
    b2 = full_batch(x, run.edge_index, run, 4, y=y, train=train)
    assert b2.y is y and b2.train is train


# --- scoring and summary ----------------------------------------------------------------------
def test_group_recall_by_hand():
    y = np.array([0, 0, 1, 1, 1, 2])
    pred = np.array([0, 1, 1, 1, 0, 0])
    assert group_recall(y, pred, [0, 1]) == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert group_recall(y, pred, [1, 3]) == pytest.approx(2 / 3)  # class 3 absent: skipped
    assert group_recall(y, pred, [2]) == 0.0
    assert math.isnan(group_recall(y, pred, [3])) and math.isnan(group_recall(y, pred, []))


def test_score_test_against_sklearn(tiny_graph, tiny_split):
    g = torch.Generator().manual_seed(0)
    n_test = tiny_split.test.shape[0]
    proba = torch.softmax(torch.randn(n_test, 4, generator=g), dim=1).float()
    out = score_test(tiny_graph, tiny_split, proba, best_epoch=11)
    y = tiny_graph.y[tiny_split.test]
    p = proba.double().numpy()
    rec = recall_score(y, p.argmax(1), labels=[0, 1, 2, 3], average=None, zero_division=0)
    assert tiny_split.minority == (2, 3)
    assert out["minority_recall"] == pytest.approx((rec[2] + rec[3]) / 2)
    assert out["majority_recall"] == pytest.approx((rec[0] + rec[1]) / 2)
    assert out["train_size"] == 30 and out["best_epoch"] == 11 and out["n"] == n_test
    report = classification_report(y, p)
    assert {k: out[k] for k in report} == report
    assert set(out) == set(report) | {"minority_recall", "majority_recall", "train_size",
                                      "best_epoch", "class_acc", "perf_std",
                                      "weighted_f1"}
    # BAT's PerfStd: the population std of the per-class accuracy (= recall)
    assert out["class_acc"] == pytest.approx(list(rec))
    assert out["perf_std"] == pytest.approx(float(np.std(rec)))


def test_run_summary(tiny_graph, tiny_split, make_method):
    run = setup_run(inputs_of(tiny_graph, tiny_split, make_method({"name": "cb_sampling"}), 0))
    res = SimpleNamespace(seconds=2.0, pretrain_seconds=0.5, epochs=4, best_score=0.75)
    s = run_summary(run, res, clusters=3)
    assert s["seconds"] > 0 and s["train_seconds"] == 2.0 and s["pretrain_seconds"] == 0.5
    assert s["epochs"] == 4 and s["seconds_per_epoch"] == 0.5
    assert s["synthetic_per_step"] == 0 and s["device"] == "cpu" and s["clusters"] == 3
    assert s["val_score"] == 0.75  # what tuning compares (imbgraph.nodecls.tuning)
    assert run_summary(run, SimpleNamespace(seconds=3.0, pretrain_seconds=0.0, epochs=0,
                                            best_score=0.5))["seconds_per_epoch"] == 3.0


METHODS = {
    "Origin": ({"name": "none"}, "none"),
    "Re-weight": ({"name": "none"}, "inverse"),
    "EN-weight": ({"name": "none"}, "effective_number"),
    "over-sampling": ({"name": "oversampling", "scale": 1.0}, "none"),
    "SMOTE": ({"name": "smote", "scale": 1.0}, "none"),
    "Embed-SMOTE": ({"name": "embed_smote", "scale": 1.0}, "none"),
    "GraphSMOTE_T": ({"name": "graphsmote", "scale": 1.0, "edges": "threshold"}, "none"),
    "GraphSMOTE_O": ({"name": "graphsmote", "scale": "balance", "edges": "soft"}, "none"),
    "GraphSMOTE_preO": ({"name": "graphsmote", "scale": 1.0, "pretrain_epochs": 5}, "none"),
    "Balanced Softmax": ({"name": "balanced_softmax"}, "none"),
    "ReNode": ({"name": "renode"}, "inverse"),
    "ReNode top-k": ({"name": "renode", "ppr_topk": 16}, "none"),
    "TAM (CE)": ({"name": "none"}, "none", ["tam"]),
    "TAM (BS)": ({"name": "balanced_softmax"}, "none", [{"name": "tam", "warmup": 10}]),
    "TAM (ReNode)": ({"name": "renode"}, "inverse", ["tam"]),
}


@pytest.mark.parametrize("label", sorted(METHODS))
def test_each_method_beats_chance(label, tiny_graph, tiny_split, make_method):
    bal, weights, *addons = METHODS[label]
    m = make_method(bal, weights=weights)
    if addons:
        m["addons"] = addons[0]
    if weights == "effective_number":
        m["loss"]["class_weight_params"] = {"beta": 0.99}
    metrics, summary = run_method(tiny_graph, tiny_split, m, seed=0, device="cpu")
    assert metrics["acc"] > 0.5 and metrics["macro_auroc"] > 0.75  # chance: 0.25 and 0.5
    assert metrics["n"] == tiny_split.test.shape[0]
    assert set(metrics) >= {"acc", "balanced_acc", "macro_f1", "micro_f1", "macro_auroc",
                            "minority_recall", "majority_recall", "train_size", "best_epoch"}
    assert summary["epochs"] >= 1 and summary["seconds"] > 0
    if bal["name"] in OVERSAMPLING:
        assert summary["synthetic_per_step"] > 0


def test_gcn_backbone(tiny_graph, tiny_split, make_method):
    m = make_method({"name": "graphsmote", "scale": 1.0}, model="gcn")
    metrics, _ = run_method(tiny_graph, tiny_split, m, seed=0, device="cpu")
    assert metrics["acc"] > 0.5


def test_seeded_and_distinct(tiny_graph, tiny_split, make_method):
    m = make_method({"name": "graphsmote", "scale": 1.0, "edges": "soft"}, max_epochs=15)
    a, _ = run_method(tiny_graph, tiny_split, m, seed=0, device="cpu")
    b, _ = run_method(tiny_graph, tiny_split, m, seed=0, device="cpu")
    c, _ = run_method(tiny_graph, tiny_split, m, seed=5, device="cpu")
    assert a == b
    assert a != c


CHILD = """
import json, sys, torch
torch.set_num_threads(1)
from imbgraph.nodecls.job import run_method
from imbgraph.nodecls.data.splits import make_split
from imbgraph.nodecls.data.synthetic import contextual_sbm
g = contextual_sbm([50, 50, 40, 40], avg_degree=5, homophily=0.85, feature_dim=16,
                   feature_signal=2.5, feature_noise=1.0, seed=3)
spec, method = json.loads(sys.argv[1]), json.loads(sys.argv[2])
split = make_split(g.y, g.class_names, spec, seed=1)
print(json.dumps(run_method(g, split, method, seed=1, device="cpu")[0]))
"""


def test_loop_over_seeds_equals_separate_processes(tiny_graph, tiny_split_spec, make_method):
    m = make_method({"name": "smote", "scale": 1.0}, max_epochs=15)
    looped = {}
    for seed in (0, 1):  # seed 0 first changes every global generator state
        split = make_split(tiny_graph.y, tiny_graph.class_names, tiny_split_spec, seed=seed)
        looped[seed] = run_method(tiny_graph, split, m, seed=seed, device="cpu")[0]
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(tiny_split_spec), json.dumps(m)],
                         capture_output=True, text=True, check=True)
    alone = json.loads(out.stdout.strip().splitlines()[-1])
    assert alone == json.loads(json.dumps(looped[1]))


def test_run_records_are_the_three_files_of_a_run(tiny_graph, tiny_split, make_method):
    m = make_method({"name": "smote", "scale": 1.0})
    metrics, summary, settings = run_records(
        tiny_graph, tiny_split, m, seed=3, dataset="d", split_name="s", method_name="SMOTE",
        data={"split_spec": {"protocol": "artificial"}}, device="cpu")
    assert list(metrics)[:6] == ["task", "dataset", "split", "method", "method_label", "seed"]
    assert (metrics["task"], metrics["dataset"], metrics["split"], metrics["method"],
            metrics["seed"]) == ("nodecls", "d", "s", "SMOTE", 3)
    assert metrics == {"task": "nodecls", "dataset": "d", "split": "s", "method": "SMOTE",
                       "method_label": m["label"], "seed": 3,
                       **run_method(tiny_graph, tiny_split, m, seed=3, device="cpu")[0]}
    assert "seconds" in summary and "seconds" not in metrics
    # the config's METRICS (what tables may show) are exactly the run's numeric metrics
    from imbgraph.nodecls.config import METRICS
    assert set(METRICS) == set(metrics) - {"task", "dataset", "split", "method",
                                           "method_label", "seed", "n", "class_acc"}
    assert settings["resolved"] == m and settings["split_spec"] == {"protocol": "artificial"}
    counts = tiny_split.counts(tiny_graph.y, tiny_graph.num_classes)
    assert settings["split_counts"]["train"] == counts["train"].tolist()
    assert settings["minority"] == [tiny_graph.class_names[c] for c in tiny_split.minority]
    assert settings["graph"]["nodes"] == tiny_graph.num_nodes
    # the leaderboard's cost columns: this process's peak memory, in MB
    import resource
    assert 50 < summary["peak_rss_mb"] <= resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_without_removed_drops_the_removed_nodes_edges(tiny_graph, tiny_split):
    from dataclasses import replace

    assert without_removed(tiny_graph, tiny_split) is tiny_graph
    gone = np.setdiff1d(np.arange(tiny_graph.num_nodes),
                        np.concatenate([tiny_split.train, tiny_split.val, tiny_split.test]))
    assert gone.size  # the fixture's split leaves nodes out
    split = replace(tiny_split, removed=gone[:5])
    g = without_removed(tiny_graph, split)
    ei = tiny_graph.edge_index
    touched = np.isin(ei[0], gone[:5]) | np.isin(ei[1], gone[:5])
    assert touched.any()
    np.testing.assert_array_equal(g.edge_index, ei[:, ~touched])
    assert g.num_nodes == tiny_graph.num_nodes and g.x is tiny_graph.x


# --- settings before training -----------------------------------------------------------------
def test_prepare_fills_defaults_and_checks(make_method):
    spec, m = prepare(make_method({"name": "graphsmote", "scale": 1.0}))
    assert spec.name == "graphsmote" and m["balancing"]["edges"] == "soft"
    with pytest.raises(ConfigError, match=r"nodecls\.methods\.X\.balancing\.name = 'graphmixup'"):
        prepare(make_method({"name": "graphmixup"}), key="nodecls.methods.X")
    with pytest.raises(ConfigError, match=r"nodecls\.methods\.X\.balancing has no over-"):
        prepare(make_method({"name": "smote"}), key="nodecls.methods.X")
    with pytest.raises(ConfigError, match="need pretrain: true"):
        prepare(make_method({"name": "ecgn", "pretrain": False, "inference": "local"}))


def test_prepare_fills_addon_defaults_and_refuses_impossible_combinations(make_method):
    m = make_method({"name": "balanced_softmax"})
    _, out = prepare({**m, "addons": ["tam"]})
    assert out["addons"] == [{"name": "tam", "alpha": 2.5, "beta": 0.5, "temperature": 1.2,
                              "temperature_gamma": 0.4, "warmup": 5}]
    _, out = prepare({**m, "addons": [{"name": "tam", "alpha": 1.0}]})
    assert out["addons"][0]["alpha"] == 1.0 and out["addons"][0]["beta"] == 0.5
    assert "addons" not in prepare(m)[1]  # none: the key stays absent
    with pytest.raises(ConfigError, match=r"nodecls\.methods\.X\.addons\[0\] = 'tam' cannot "
                                          r"be combined with balancing 'smote'.*"
                                          r"\['balanced_softmax', 'graphens', 'graphsha', 'mixup', "
                                          r"'none', 'renode'\]"):
        prepare({**make_method({"name": "smote", "scale": 1.0}), "addons": ["tam"]},
                key="nodecls.methods.X")
    with pytest.raises(ConfigError, match=r"X\.addons\[0\]\.name = 'mixup'; expected one of "
                                          r"\['bat', 'tam'\]"):
        prepare({**m, "addons": ["mixup"]}, key="X")
    with pytest.raises(ConfigError, match=r"X\.addons: 'tam' is listed twice"):
        prepare({**m, "addons": ["tam", {"name": "tam"}]}, key="X")
    with pytest.raises(ConfigError, match=r"X\.addons\[0\] \(tam\): unknown settings \['gamma'\]"):
        prepare({**m, "addons": [{"name": "tam", "gamma": 1}]}, key="X")


def test_renode_memory_bound_stops_the_job_naming_the_method(tiny_graph, tiny_split,
                                                             make_method):
    m = make_method({"name": "renode", "ppr_max_mb": 0.001})
    with pytest.raises(ConfigError, match=r"nodecls\.methods\.RN\.balancing: the personalised "
                                          r"PageRank of 30 training nodes on 180 nodes"):
        run_method(tiny_graph, tiny_split, m, seed=0, device="cpu", key="nodecls.methods.RN")


def test_gat_beyond_its_attention_limit_stops_before_training(tiny_graph, tiny_split,
                                                              make_method):
    m = make_method({"name": "none"}, model="gat")
    m["model"] = {**m["model"], "heads": 4, "max_attention": 1000}
    edges = (tiny_graph.num_edges + tiny_graph.num_nodes) * 4
    with pytest.raises(ConfigError, match=rf"nodecls\.methods\.G\.model \(GAT, 4 heads\).*"
                                          rf"= {edges:,} attention .*max_attention = 1,000"):
        run_method(tiny_graph, tiny_split, m, seed=0, device="cpu", key="nodecls.methods.G")


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_weighted_f1_equals_sklearn():
    from sklearn.metrics import f1_score

    from imbgraph.nodecls.job import weighted_f1

    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 60)
    pred = np.where(rng.random(60) < 0.6, y, rng.integers(0, 5, 60))  # class 4: predicted only
    want = f1_score(y, pred, average="weighted", zero_division=0)
    assert weighted_f1(y, pred) == pytest.approx(want)
    # by hand: support-weighted mean of per-class F1
    f1 = f1_score(y, pred, average=None, labels=range(4), zero_division=0)
    assert weighted_f1(y, pred) == pytest.approx(float((f1 * np.bincount(y)).sum() / 60))
