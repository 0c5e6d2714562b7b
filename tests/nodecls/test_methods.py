"""Tests of imbgraph.nodecls.methods: every method trains on a tiny graph and beats chance;
runs are seeded, and a loop over seeds in one process equals one process per seed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from imbgraph.nodecls.methods import BALANCING, metrics_record, run_method, run_records
from imbgraph.nodecls.splits import make_split

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
}


@pytest.mark.parametrize("label", sorted(METHODS))
def test_each_method_beats_chance(label, tiny_graph, tiny_split, make_method):
    bal, weights = METHODS[label]
    m = make_method(bal, weights=weights)
    if weights == "effective_number":
        m["loss"]["class_weight_params"] = {"beta": 0.99}
    metrics, summary = run_method(tiny_graph, tiny_split, m, seed=0, device="cpu")
    assert metrics["acc"] > 0.5 and metrics["macro_auroc"] > 0.75  # chance: 0.25 and 0.5
    assert metrics["n"] == tiny_split.test.shape[0]
    assert set(metrics) >= {"acc", "balanced_acc", "macro_f1", "micro_f1", "macro_auroc",
                            "minority_recall", "majority_recall", "train_size", "best_epoch"}
    assert summary["epochs"] >= 1 and summary["seconds"] > 0
    if bal["name"] != "none":
        assert summary["synthetic_per_step"] > 0


def test_gcn_backbone(tiny_graph, tiny_split, make_method):
    m = make_method({"name": "graphsmote", "scale": 1.0}, model="gcn")
    metrics, _ = run_method(tiny_graph, tiny_split, m, seed=0, device="cpu")
    assert metrics["acc"] > 0.5


def test_registry_names():
    assert sorted(BALANCING) == ["embed_smote", "graphsmote", "none", "oversampling", "smote"]


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
from imbgraph.nodecls.methods import run_method
from imbgraph.nodecls.splits import make_split
from imbgraph.nodecls.synthetic import contextual_sbm
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


def test_metrics_record():
    rec = metrics_record(dataset="d", split="s", method="m", label="M", seed=2,
                         metrics={"acc": 0.5})
    assert list(rec) == ["task", "dataset", "split", "method", "method_label", "seed", "acc"]
    assert rec["task"] == "nodecls"


def test_run_records_are_the_three_files_of_a_run(tiny_graph, tiny_split, make_method):
    m = make_method({"name": "smote", "scale": 1.0})
    metrics, summary, settings = run_records(
        tiny_graph, tiny_split, m, seed=3, dataset="d", split_name="s", method_name="SMOTE",
        data={"split_spec": {"protocol": "artificial"}}, device="cpu")
    assert list(metrics)[:6] == ["task", "dataset", "split", "method", "method_label", "seed"]
    assert (metrics["task"], metrics["dataset"], metrics["split"], metrics["method"],
            metrics["seed"]) == ("nodecls", "d", "s", "SMOTE", 3)
    assert metrics == metrics_record(dataset="d", split="s", method="SMOTE",
                                     label=m["label"], seed=3,
                                     metrics=run_method(tiny_graph, tiny_split, m, seed=3,
                                                        device="cpu")[0])
    assert "seconds" in summary and "seconds" not in metrics
    # the config's METRICS (what tables may show) are exactly the run's numeric metrics
    from imbgraph.nodecls.config import METRICS
    assert set(METRICS) == set(metrics) - {"task", "dataset", "split", "method",
                                           "method_label", "seed", "n"}
    assert settings["resolved"] == m and settings["split_spec"] == {"protocol": "artificial"}
    counts = tiny_split.counts(tiny_graph.y, tiny_graph.num_classes)
    assert settings["split_counts"]["train"] == counts["train"].tolist()
    assert settings["minority"] == [tiny_graph.class_names[c] for c in tiny_split.minority]
    assert settings["graph"]["nodes"] == tiny_graph.num_nodes
