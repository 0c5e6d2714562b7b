"""Tests of imbgraph.nodecls.config and workflow/schemas/nodecls.schema.yaml: the schema's
enums equal the registries, a sample section validates, cross-key errors name the key."""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import pytest
import yaml

from imbgraph.errors import ConfigError
from imbgraph.losses import CLASS_WEIGHTS
from imbgraph.nodecls.balancing import LOSSES
from imbgraph.nodecls.config import (
    check,
    check_run,
    resolve_method,
    sweep_methods,
    with_sweep_methods,
)
from imbgraph.nodecls.datasets import GENERATORS, READERS
from imbgraph.nodecls.methods import BALANCING
from imbgraph.nodecls.models import MODELS
from imbgraph.nodecls.splits import SPLITS
from imbgraph.nodecls.train import SELECT

SCHEMA_PATH = Path(__file__).parents[2] / "workflow" / "schemas" / "nodecls.schema.yaml"

SECTION = {
    "datasets": {
        "cora_like": {"source": "synthetic", "generator": "csbm",
                      "params": {"profile": "cora", "feature_dim": 16, "seed": 0}},
        "bots": {"source": "synthetic", "generator": "bots", "params": {"num_nodes": 300},
                 "deepwalk": {"dim": 8, "append_degree": True}},
    },
    "splits": {
        "im05": {"protocol": "artificial", "minority": ["Theory", "Rule_Learning"],
                 "imbalance_ratio": 0.5, "oversampling_scale": 2.0},
        "genuine": {"protocol": "genuine", "oversampling_scale": "balance"},
        "lt20": {"protocol": "longtail", "rho": 20, "per_run": False},
    },
    "models": {"sage": {"name": "sage", "hidden": 16}, "gcn": {"name": "gcn"}},
    "training": {"max_epochs": 50, "patience": 10, "lr": 0.01},
    "methods": {
        "Origin": {"label": "Origin", "model": "sage", "balancing": {"name": "none"}},
        "Reweight": {"label": "Re-weight", "model": "sage", "balancing": {"name": "none"},
                     "loss": {"name": "ce", "class_weights": "inverse"}},
        "GS_O": {"label": "GraphSMOTE_O", "model": "sage",
                 "balancing": {"name": "graphsmote", "edges": "soft"}},
        "GS_T10": {"label": "GraphSMOTE_T s1", "model": "gcn",
                   "balancing": {"name": "graphsmote", "edges": "threshold", "scale": 1.0},
                   "train": {"patience": 5}},
    },
}


@pytest.fixture(scope="module")
def schema():
    return yaml.safe_load(SCHEMA_PATH.read_text())


def section():
    return copy.deepcopy(SECTION)


def test_schema_enums_equal_registries(schema):
    d = schema["properties"]
    method = d["methods"]["additionalProperties"]["properties"]
    assert sorted(method["balancing"]["properties"]["name"]["enum"]) == sorted(BALANCING)
    assert sorted(method["loss"]["properties"]["name"]["enum"]) == sorted(LOSSES)
    assert (sorted(method["loss"]["properties"]["class_weights"]["enum"])
            == sorted(CLASS_WEIGHTS))
    models = d["models"]["additionalProperties"]["properties"]
    assert sorted(models["name"]["enum"]) == sorted(MODELS)
    splits = d["splits"]["additionalProperties"]["properties"]
    assert sorted(splits["protocol"]["enum"]) == sorted(SPLITS)
    assert sorted(schema["definitions"]["train"]["properties"]["select"]["enum"]) == sorted(SELECT)
    ds = d["datasets"]["additionalProperties"]
    assert sorted(ds["properties"]["source"]["enum"]) == sorted(["synthetic", *READERS])
    synthetic = ds["allOf"][0]["then"]["properties"]["generator"]["enum"]
    assert sorted(synthetic) == sorted(GENERATORS)


def test_sample_section_validates_and_checks(schema):
    jsonschema.Draft202012Validator(schema).validate(SECTION)
    check(section(), where="nodecls")


@pytest.mark.parametrize("path, value, message", [
    (("splits", "im05", "imbalance_ratio"), 1.5, "imbalance_ratio"),
    (("splits", "lt20", "rho"), 0.5, "rho"),
    (("methods", "Origin", "balancing"), {"name": "mixup"}, "name"),
    (("methods", "Origin", "label"), "", None),
])
def test_schema_rejects(schema, path, value, message):
    s = section()
    s[path[0]][path[1]][path[2]] = value
    v = jsonschema.Draft202012Validator(schema)
    errors = list(v.iter_errors(s))
    if message is None:
        assert not errors
    else:
        assert errors


@pytest.mark.parametrize("edit, message", [
    (lambda s: s["methods"]["Origin"].update(model="gat"),
     r"nodecls.methods.Origin.model = 'gat' is not declared under nodecls.models"),
    (lambda s: s["methods"]["Reweight"].update(label="Origin"),
     r"nodecls.methods.Reweight.label = 'Origin' is also the label of methods.Origin"),
    (lambda s: s["methods"]["Reweight"]["loss"].update(class_weights="effective_number"),
     r"nodecls.methods.Reweight.loss.class_weight_params.beta is required"),
    (lambda s: s["splits"]["im05"].update(imbalance_ratio=0.01),
     r"nodecls.splits.im05.imbalance_ratio = 0.01: int\(20 x 0.01\) = 0"),
    (lambda s: s["splits"]["im05"].update(val_fraction=0.3, val_per_class=25),
     r"nodecls.splits.im05: give val_per_class or val_fraction"),
    (lambda s: s["datasets"]["bots"].pop("deepwalk"),
     r"nodecls.datasets.bots: the graph has no node features"),
    (lambda s: s["datasets"].update(cora={"source": "planetoid", "path": "nowhere",
                                          "name": "Cora"}),
     r"nodecls.datasets.cora.path: nowhere/Cora/raw does not exist"),
    (lambda s: s["models"]["sage"].update(name="mlp"), r"nodecls.models.sage.name = 'mlp'"),
])
def test_check_names_the_key(edit, message):
    s = section()
    edit(s)
    with pytest.raises(ConfigError, match=message):
        check(s, where="nodecls")


def test_resolve_method_fills_defaults_and_scale():
    s = section()
    m = resolve_method(s, "GS_O", split="im05")
    assert m["label"] == "GraphSMOTE_O"
    assert m["balancing"] == {"name": "graphsmote", "edges": "soft", "threshold": 0.5,
                              "edge_weight": 1e-6, "pretrain_epochs": 0,
                              "negative_weight": "balanced", "neg_ratio": 1.0,
                              "dense_below": 1024, "scale": 2.0}
    assert m["model"] == {"name": "sage", "hidden": 16, "dropout": 0.1, "encoder_layers": 1,
                          "classifier_layers": 1}
    assert m["loss"] == {"name": "ce", "class_weights": "none"}
    assert m["train"]["max_epochs"] == 50 and m["train"]["weight_decay"] == 5e-4
    assert resolve_method(s, "GS_O", split="genuine")["balancing"]["scale"] == "balance"
    t = resolve_method(s, "GS_T10", split="im05")
    assert t["balancing"]["scale"] == 1.0 and t["train"]["patience"] == 5
    with pytest.raises(ConfigError, match=r"methods.GS_O.balancing.scale is not set and split "
                                          r"'lt20' declares no oversampling_scale"):
        resolve_method(s, "GS_O", split="lt20")
    assert "scale" not in resolve_method(s, "Origin", split="lt20")["balancing"]


def test_check_run():
    s = section()
    check_run(s, "cora_like", "im05", "GS_O")
    with pytest.raises(ConfigError, match=r"splits.im05.minority \(dataset 'bots'\): unknown "
                                          r"class 'Theory'"):
        check_run(s, "bots", "im05", "Origin")
    with pytest.raises(ConfigError, match="dataset 'x' is not declared"):
        check_run(s, "x", "im05", "Origin")
    with pytest.raises(ConfigError, match="split 'x' is not declared"):
        check_run(s, "cora_like", "x", "Origin")


def test_scale_sweep_methods():
    s = section()
    points = sweep_methods(s, ["Origin", "GS_O"], [0.2, 1.0])
    assert points == {"GS_O": {0.2: "GS_O-s0.2", 1.0: "GS_O-s1"}}
    methods = with_sweep_methods(s, [(["Origin", "GS_O"], [0.2, 1.0])])
    assert methods["GS_O-s0.2"]["balancing"]["scale"] == 0.2
    assert methods["GS_O-s0.2"]["label"] == "GraphSMOTE_O (scale=0.2)"
    r = resolve_method({**s, "methods": methods}, "GS_O-s0.2", split="lt20")
    assert r["balancing"]["scale"] == 0.2
