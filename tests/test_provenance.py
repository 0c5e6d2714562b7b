"""Tests of imbgraph.provenance: the settings record written beside every run's metrics, and
the three records of a run (metrics with the common head first, timings as given, settings)."""

from __future__ import annotations

import json

import imbgraph
from imbgraph.provenance import run_head, run_records, run_settings, versions


def test_versions_name_imbgraph_python_and_torch():
    v = versions()
    assert v["imbgraph"] == imbgraph.__version__
    assert v["python"].count(".") == 2
    assert v["torch"].startswith("2.")


def test_run_settings_holds_the_run_and_everything_it_used():
    method = {"label": "RIWS", "model": {"name": "lgcn", "hidden": [8]},
              "sampler": {"name": "riws", "gamma": 2.0}, "loss": {"name": "ce"},
              "train": {"lr": 0.1}}
    s = run_settings(task="linkage", dataset="faces", split="H5_S2", method="RIWS", seed=3,
                     resolved=method, propagation={"max_size": 30})
    assert s["task"] == "linkage" and s["dataset"] == "faces" and s["split"] == "H5_S2"
    assert s["method"] == "RIWS" and s["seed"] == 3
    assert s["resolved"]["sampler"]["gamma"] == 2.0
    assert s["propagation"] == {"max_size": 30}
    assert s["versions"]["imbgraph"] == imbgraph.__version__
    json.dumps(s)  # plain containers only


def test_run_records_are_the_three_files():
    head = dict(task="nodecls", dataset="d", split="s", method="M", label="My M", seed=2)
    metrics, timings, settings = run_records(**head, metrics={"acc": 0.5},
                                             timings={"seconds": 1.0}, resolved={"x": 1},
                                             graph={"nodes": 4})
    assert list(metrics) == ["task", "dataset", "split", "method", "method_label", "seed",
                             "acc"]
    assert metrics == {**run_head(**head), "acc": 0.5} and metrics["method_label"] == "My M"
    assert timings == {"seconds": 1.0}
    assert settings["resolved"] == {"x": 1} and settings["graph"] == {"nodes": 4}
    assert settings["seed"] == 2 and "versions" in settings
