"""Tests of imbgraph.graphcls.job: every method kind beats chance on a tiny synthetic
collection, runs are a function of (config, seed) only (looping seeds in one process equals
running each alone), the run's records, size buckets, the evaluation order, traced runs,
settings checked before any training, and the cached kNN table used as given."""

from __future__ import annotations

import numpy as np
import pytest

from imbgraph.errors import ConfigError
from imbgraph.graphcls.job import prepare, run_method, run_records
from imbgraph.graphcls.kernel_knn import kernel_knn

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


@pytest.fixture
def setup(tiny_run):
    return tiny_run


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


def test_run_records(setup):
    coll, pe, split = setup
    m = {**method("GIN-aug"), "train": {**BASE["train"], "epochs": 2}}
    metrics, summary = run_method(coll, pe, split, m, seed=0, device="cpu")
    rec, timings, settings = run_records(coll, pe, split, m, seed=0, dataset="tiny",
                                         split_name="class", method_name="GIN",
                                         data={"pe_dim": 3}, device="cpu")
    head = {"task": "graphcls", "dataset": "tiny", "split": "class", "method": "GIN",
            "method_label": "GIN-aug", "seed": 0}
    assert {k: rec[k] for k in head} == head and {k: timings[k] for k in head} == head
    assert rec == {**head, **metrics}  # a function of (config, seed): no timings
    assert set(timings) == {*head, "wall_s", "train_s", "epochs", "best_epoch"}
    assert timings["epochs"] == summary["epochs"] and settings["pe_dim"] == 3
    # settings.json: the method with every default of its kind filled in
    assert settings["resolved"]["params"] == {
        "head_dropout": 0.5,
        "augment": {"name": "mask_node", "ratio": 0.1, "views": 2, "temp": 0.5,
                    "consistency": 1.0}}
    assert settings["node_features"] == coll.features and settings["split_info"] == split.info
    assert "plugin" not in settings


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


def test_eval_order_split_changes_only_the_batches(setup):
    """eval_order: split evaluates class by class; a batch-independent learner (GIN) scores
    the same either way, the batch-dependent UniImb need not."""
    coll, pe, split = setup
    gin = {**method("GIN"), "train": {**BASE["train"], "epochs": 3}}
    ordered = {**gin, "params": {"eval_order": "split"}}
    assert run_method(coll, pe, split, gin, seed=0)[0] == run_method(coll, pe, split, ordered,
                                                                      seed=0)[0]


@pytest.mark.parametrize("change, match", [
    (lambda m: m["params"].update(eval_order="sorted"),
     r"method\.params\.eval_order = 'sorted'; expected one of \['random', 'split'\]"),
    (lambda m: m["params"].update(bias_mode="shared"), r"method\.params\.bias_mode = 'shared'"),
    (lambda m: m["params"].update(top_k2=5), r"method\.params\.top_k2 = 5 exceeds n_prototypes"),
    (lambda m: m["params"].update(heads=3), r"method\.params\.heads = 3 must divide "
                                            r"method\.model\.hidden = 16"),
    (lambda m: m.update(model={"name": "gps", "hidden": 16}),
     r"method\.model = 'gps' is a 'gps'; kind 'uniimb' runs on 'gin'"),
    (lambda m: m.update(kind="smote"), r"method\.kind = 'smote'; expected one of"),
])
def test_bad_settings_stop_before_training(setup, change, match):
    coll, pe, split = setup
    m = {**method("UniImb"), "params": dict(METHODS["UniImb"]["params"])}
    change(m)
    with pytest.raises(ConfigError, match=match):
        run_method(coll, pe, split, m, seed=0)


def test_bad_augment_name_is_named_by_its_key():
    m = {**method("GIN-aug"), "params": {"augment": {"name": "drop_all"}}}
    with pytest.raises(ConfigError, match=r"graphcls\.methods\.X\.params\.augment\.name = "
                                          r"'drop_all'"):
        prepare(m, key="graphcls.methods.X")


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


def test_cached_knn_table_is_used_as_given(setup):
    """G2GNN reads the cached table (as the pipeline passes it); without one it computes the
    same table from its params."""
    coll, pe, split = setup
    m = {**method("G2GNN"), "train": {**BASE["train"], "epochs": 2}}
    inline, _ = run_method(coll, pe, split, m, seed=0)
    table = kernel_knn(coll, 2, kernel="wl")
    assert run_method(coll, pe, split, m, seed=0, cached={"knn": table})[0] == inline
    other = run_method(coll, pe, split, m, seed=0, cached={"knn": np.roll(table, 1, axis=0)})
    assert other[0] != inline


# --- a method of your own ------------------------------------------------------------------
OWN = '''
import torch

from imbgraph.graphcls.methods.supervised import Supervised


def reads(inputs):
    seen.append(inputs)
    enc, batcher = inputs.backbone()
    return Supervised(enc, inputs.num_classes, inputs.class_weight), batcher


def text(inputs):
    return "a learner"


def wide(inputs):
    enc, batcher = inputs.backbone()
    return Supervised(enc, inputs.num_classes + 1, None), batcher


seen = []
'''


@pytest.fixture
def own_module(tmp_path, monkeypatch):
    (tmp_path / "own_graph_methods.py").write_text(OWN)
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    mod = importlib.import_module("own_graph_methods")
    yield mod
    import sys

    sys.modules.pop("own_graph_methods", None)


def plugin(ref: str, **params) -> dict:
    return {**method("GIN"), "kind": "plugin", "train": {**BASE["train"], "epochs": 3},
            "params": {"callable": ref, **params}}


def test_a_plugin_is_trained_like_a_built_in_kind(setup):
    """The supervised kind's own build, named as a plugin, gives the built-in's numbers: a
    plugin gets the same inputs, seeded the same way."""
    coll, pe, split = setup
    gin = {**method("GIN"), "train": {**BASE["train"], "epochs": 3}}
    ref = "imbgraph.graphcls.methods.supervised:build"
    ours = run_method(coll, pe, split, plugin(ref, head_dropout=0.5), seed=0)
    assert ours[0] == run_method(coll, pe, split, gin, seed=0)[0]
    _, _, settings = run_records(coll, pe, split, plugin(ref, head_dropout=0.5), seed=0,
                                 dataset="tiny", split_name="class", method_name="Own")
    assert settings["plugin"]["callable"] == ref
    assert settings["plugin"]["module"] == "imbgraph.graphcls.methods.supervised"
    assert len(settings["plugin"]["sha256"]) == 64


def test_a_plugin_gets_its_own_params_and_needs(setup, own_module):
    coll, pe, split = setup
    run_method(coll, pe, split, plugin("own_graph_methods:reads", tau=2.0), seed=0)
    run_method(coll, pe, split, plugin("own_graph_methods:reads", needs=["knn"], k=2), seed=0)
    first, second = own_module.seen
    assert first.params == {"tau": 2.0} and first.pe is pe and first.cached == {}
    assert second.pe is None and second.cached["knn"].shape == (coll.num_graphs, 2)
    assert first.settings["params"] == {"callable": "own_graph_methods:reads", "tau": 2.0}


@pytest.mark.parametrize("ref, match", [
    ("own_graph_methods:biuld", r"method\.params\.callable = 'own_graph_methods:biuld': "
                                r"module 'own_graph_methods' .* has no attribute 'biuld'"),
    ("own_graph_methods:text", r"method\.params\.callable = 'own_graph_methods:text' returned "
                               r"str; expected \(Learner, batcher\)"),
    ("own_graph_methods:wide", r"method\.params\.callable = 'own_graph_methods:wide': the "
                               r"learner's log_proba\(batcher\(ids\)\) gave \(2, 3\) for 2 "
                               r"graphs; expected log-probabilities of shape \(2, 2\)"),
    ("own_graph_methodz:build", r"no module named 'own_graph_methodz'"),
])
def test_a_broken_plugin_is_named(setup, own_module, ref, match):
    coll, pe, split = setup
    with pytest.raises(ConfigError, match=match):
        run_method(coll, pe, split, plugin(ref), seed=0)


def test_a_knn_table_of_another_k_is_refused(setup):
    coll, pe, split = setup
    m = {**method("G2GNN"), "train": {**BASE["train"], "epochs": 1}}
    with pytest.raises(ValueError, match=r"kNN table of shape \(120, 3\); expected \(120, 2\)"):
        run_method(coll, pe, split, m, seed=0, cached={"knn": kernel_knn(coll, 3, kernel="wl")})
