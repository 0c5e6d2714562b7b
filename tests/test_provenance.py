"""Tests of imbgraph.provenance: the settings record written beside every run's metrics."""

from __future__ import annotations

import json

import imbgraph
from imbgraph.provenance import run_settings, versions


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
