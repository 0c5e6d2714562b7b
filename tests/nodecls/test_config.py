"""Tests of imbgraph.nodecls.config and workflow/schemas/nodecls.schema.yaml: the schema's
enums and the module's plain-data registry facts equal the registries, the module imports
no torch, a sample section validates, cross-key errors name the key, methods resolve, the
two sweep parameters, the cluster-based methods (cluster count, defaults, the amount of
cluster-aware SMOTE, their checks), per-dataset split overrides, the runs, partitions and
cached pre-trainings a config's tables and figures ask for, and ECGN's protocol on the real
graphs (when IMBGRAPH_DATASETS holds them)."""

from __future__ import annotations

import copy
import inspect
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import jsonschema
import pytest
import yaml

from imbgraph import config as cfg
from imbgraph.errors import ConfigError
from imbgraph.losses import CLASS_WEIGHTS
from imbgraph.nodecls import config as nc
from imbgraph.nodecls.data.datasets import DEEPWALK_DEFAULTS, GENERATORS, READERS
from imbgraph.nodecls.data.deepwalk import deepwalk
from imbgraph.nodecls.data.splits import (
    BASES,
    PROTOCOL_DEFAULTS,
    SPLIT_DEFAULTS,
    SPLITS,
    make_split,
)
from imbgraph.nodecls.data.synthetic import bot_graph
from imbgraph.nodecls.methods import METHODS
from imbgraph.nodecls.methods.base import LOSSES
from imbgraph.nodecls.methods.ecgn.settings import (
    CLUSTER_GCN_DEFAULTS,
    pretrain_key,
    pretrain_method,
    pretrain_settings,
)
from imbgraph.nodecls.methods.ecgn.settings import DEFAULTS as ECGN_DEFAULTS
from imbgraph.nodecls.models import MODELS
from imbgraph.nodecls.train import SELECT, TrainConfig

REPO = Path(__file__).parents[2]
SCHEMA_PATH = REPO / "workflow" / "schemas" / "nodecls.schema.yaml"

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
        "step10": {"protocol": "step", "rho": 10},
        "nat100": {"protocol": "natural", "rho": 100, "test_fraction": 0.5},
        "ecgn": {"protocol": "artificial", "val_fraction": 0.3,
                 "per_dataset": {
                     "cora_like": {"minority": ["Theory"], "imbalance_ratio": 0.1,
                                   "train_per_class": 100, "oversampling_scale": 4.0},
                     "bots": {"minority": ["bot"], "imbalance_ratio": 0.5,
                              "oversampling_scale": 1.0}}},
    },
    "clusters": {"metis_seed": 2, "k": {"cora_like": 3, "bots": 5}},
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
        "ECGN": {"label": "ECGN", "model": "sage", "balancing": {"name": "ecgn"}},
        "ECGN_Local": {"label": "ECGN local", "model": "sage",
                       "balancing": {"name": "ecgn", "inference": "local"}},
        "ECGN_lr": {"label": "ECGN lr", "model": "sage", "balancing": {"name": "ecgn"},
                    "train": {"lr": 0.1}},
        "CGCN": {"label": "ClusterGCN", "model": "sage",
                 "balancing": {"name": "cluster_gcn", "clusters": 4}},
        "CB": {"label": "CB-Sampling", "model": "sage", "balancing": {"name": "cb_sampling"}},
        "BS": {"label": "Balanced Softmax", "model": "gcn",
               "balancing": {"name": "balanced_softmax"}},
        "RN": {"label": "ReNode", "model": "gcn", "balancing": {"name": "renode"},
               "loss": {"name": "ce", "class_weights": "inverse"}},
        "TAM": {"label": "BS + TAM", "model": "gcn", "balancing": {"name": "balanced_softmax"},
                "addons": ["tam"]},
    },
}


@pytest.fixture(scope="module")
def schema():
    return yaml.safe_load(SCHEMA_PATH.read_text())


def section():
    return copy.deepcopy(SECTION)


# --- registries ---------------------------------------------------------------------------
def test_schema_enums_equal_registries(schema):
    d = schema["properties"]
    method = d["methods"]["additionalProperties"]["properties"]
    # balancing names and each one's settings: tests/nodecls/methods/test_registry.py
    assert sorted(method["loss"]["properties"]["name"]["enum"]) == sorted(LOSSES)
    assert (sorted(method["loss"]["properties"]["class_weights"]["enum"])
            == sorted(CLASS_WEIGHTS))
    models = d["models"]["additionalProperties"]["properties"]
    assert sorted(models["name"]["enum"]) == sorted(MODELS)
    splits = d["splits"]["additionalProperties"]["properties"]
    assert sorted(splits["protocol"]["enum"]) == sorted(SPLITS)
    assert schema["definitions"]["step_base"]["enum"] == list(BASES)
    assert sorted(schema["definitions"]["train"]["properties"]["select"]["enum"]) == sorted(SELECT)
    ds = d["datasets"]["additionalProperties"]
    assert sorted(ds["properties"]["source"]["enum"]) == sorted(["synthetic", *READERS])
    synthetic = ds["allOf"][0]["then"]["properties"]["generator"]["enum"]
    assert sorted(synthetic) == sorted(GENERATORS)


def test_train_defaults_equal_train_config():
    assert nc.TRAIN_DEFAULTS == asdict(TrainConfig())


def test_imports_no_torch():
    # Snakemake imports the module at every start (and every SLURM job): no torch, no PyG.
    code = ("import imbgraph.nodecls.config, sys; "
            "assert not {'torch', 'torch_geometric', 'sklearn'} & set(sys.modules), "
            "sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'sklearn'))[:5]")
    subprocess.run([sys.executable, "-c", code], check=True)


# --- schema and check ---------------------------------------------------------------------
def test_sample_section_validates_and_checks(schema):
    jsonschema.Draft202012Validator(schema).validate(SECTION)
    nc.check(section(), where="nodecls")


@pytest.mark.parametrize("path, value, ok", [
    (("splits", "im05", "imbalance_ratio"), 1.5, False),
    (("splits", "im05", "imbalance_ratio"), 0.0, False),
    (("splits", "lt20", "rho"), 0.5, False),
    (("methods", "Origin", "balancing"), {"name": "graphmixup"}, False),
    (("models", "sage", "name"), "mlp", False),
    (("methods", "Origin", "loss"), {"name": "focal"}, False),
    (("methods", "CGCN", "balancing"), {"name": "cluster_gcn", "clusters": 0}, False),
    (("methods", "ECGN", "balancing"), {"name": "ecgn", "transfer": "sum"}, False),
    (("methods", "Origin", "balancing"), {"name": "oversampling", "scale": "majority"}, True),
    (("clusters", "k", "bots"), 0, False),
    (("splits", "ecgn", "per_dataset"), {"bots": {"rho": 3}}, False),
    (("methods", "Origin", "label"), "", True),
    (("methods", "RN", "balancing"), {"name": "renode", "ppr_alpha": 1.0}, False),
    (("splits", "step10", "base"), "public", True),
    (("splits", "step10", "base"), "planetoid", False),
    (("splits", "step10", "rho"), 0.5, False),
    (("splits", "step10", "tail_classes"), 0, False),
    (("splits", "nat100", "minority_max_size"), 50, True),
    (("splits", "nat100", "tail_classes"), 2, False),
    (("methods", "RN", "balancing"), {"name": "renode", "ppr_topk": 64, "ppr_max_mb": 100},
     True),
    (("methods", "BS", "balancing"), {"name": "balanced_softmax", "tau": 1.0}, False),
    (("methods", "TAM", "addons"), [{"name": "tam", "alpha": 1.0, "warmup": 10}], True),
    (("methods", "TAM", "addons"), [{"name": "tam", "warmup": 0}], False),
    (("methods", "TAM", "addons"), [{"name": "tam", "gamma": 1}], False),
    (("methods", "TAM", "addons"), ["mixup"], False),
])
def test_schema(schema, path, value, ok):
    s = section()
    s[path[0]][path[1]][path[2]] = value
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(s))
    assert not errors if ok else errors


def test_schema_needs_minority_or_per_dataset(schema):
    s = section()
    del s["splits"]["im05"]["minority"]
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(s))


@pytest.mark.parametrize("edit, message", [
    (lambda s: s["methods"]["Origin"].update(model="gat"),
     r"nodecls.methods.Origin.model = 'gat' is not declared under nodecls.models"),
    (lambda s: s["methods"]["Reweight"].update(label="Origin"),
     r"nodecls.methods.Reweight.label = 'Origin' is also the label of methods.Origin"),
    (lambda s: s["methods"]["Reweight"]["loss"].update(class_weights="effective_number"),
     r"nodecls.methods.Reweight.loss.class_weight_params.beta is required"),
    (lambda s: s["splits"]["im05"].update(imbalance_ratio=0.01),
     r"nodecls.splits.im05.imbalance_ratio = 0.01: int\(20 x 0.01\) = 0"),
    (lambda s: s["splits"]["im05"].update(imbalance_ratio=1.5),
     r"nodecls.splits.im05.imbalance_ratio = 1.5; expected a value in \(0, 1\]"),
    (lambda s: s["splits"]["lt20"].update(rho=0.5),
     r"nodecls.splits.lt20.rho = 0.5; expected an imbalance ratio >= 1"),
    (lambda s: s["splits"]["im05"].update(val_fraction=0.3, val_per_class=25),
     r"nodecls.splits.im05: give val_per_class or val_fraction"),
    (lambda s: s["splits"]["ecgn"]["per_dataset"]["bots"].update(imbalance_ratio=0.01),
     r"nodecls.splits.ecgn.per_dataset.bots.imbalance_ratio = 0.01: int\(20 x 0.01\)"),
    (lambda s: s["splits"]["ecgn"]["per_dataset"].update(pubmed={}),
     r"nodecls.splits.ecgn.per_dataset.pubmed: not a dataset"),
    (lambda s: s["splits"]["ecgn"]["per_dataset"]["bots"].pop("minority"),
     r"nodecls.splits.ecgn.per_dataset.bots.minority is required"),
    (lambda s: s["datasets"]["bots"].pop("deepwalk"),
     r"nodecls.datasets.bots: the graph has no node features"),
    (lambda s: s["datasets"].update(cora={"source": "planetoid", "path": "nowhere",
                                          "name": "Cora"}),
     r"nodecls.datasets.cora.path: nowhere/Cora/raw does not exist"),
    (lambda s: s["clusters"]["k"].update(pubmed=3),
     r"nodecls.clusters.k.pubmed: not a dataset"),
    (lambda s: s["clusters"]["k"].update(bots=0), r"nodecls.clusters.k.bots = 0"),
    (lambda s: s["methods"]["ECGN"]["balancing"].update(pretrain=False, transfer="best"),
     r"nodecls.methods.ECGN.balancing: inference 'local' and weight transfer use the "
     r"cluster networks"),
    (lambda s: s["methods"]["ECGN"]["balancing"].update(target=100, scale=2.0),
     r"nodecls.methods.ECGN.balancing: give the synthetic-node count as 'target'"),
    (lambda s: s["methods"]["ECGN_Local"]["balancing"].update(pretrain=False),
     r"nodecls.methods.ECGN_Local.balancing: inference 'local' .* need pretrain: true"),
    (lambda s: s["methods"]["ECGN"]["balancing"].update(transfer="median"),
     r"nodecls.methods.ECGN.balancing.transfer = 'median'; expected one of"),
    (lambda s: s["methods"]["ECGN"]["balancing"].update(inference="both"),
     r"nodecls.methods.ECGN.balancing.inference = 'both'; expected 'global' or 'local'"),
    (lambda s: s["methods"]["CGCN"]["balancing"].update(clusters=0),
     r"nodecls.methods.CGCN.balancing.clusters = 0; expected an integer >= 1"),
    (lambda s: s["methods"]["ECGN"]["balancing"].update(clusters=2.5),
     r"nodecls.methods.ECGN.balancing.clusters = 2.5; expected an integer >= 1"),
    (lambda s: s["splits"]["step10"].update(rho=25),
     r"nodecls.splits.step10.rho = 25: 20 // 25 = 0 training nodes per tail class"),
    (lambda s: s["splits"]["nat100"].pop("rho"),
     r"nodecls.splits.nat100.rho is required by protocol 'natural'"),
    (lambda s: s["methods"]["GS_O"].update(addons=["tam"]),
     r"nodecls.methods.GS_O.addons\[0\] = 'tam' cannot be combined with balancing "
     r"'graphsmote'"),
    (lambda s: s["methods"]["ECGN"].update(addons=["tam"]),
     r"nodecls.methods.ECGN.addons\[0\] = 'tam' cannot be combined with balancing 'ecgn'"),
    (lambda s: s["methods"]["TAM"].update(addons=["tam", "tam"]),
     r"nodecls.methods.TAM.addons: 'tam' is listed twice"),
])
def test_check_names_the_key(edit, message):
    s = section()
    edit(s)
    with pytest.raises(ConfigError, match=message):
        nc.check(s, where="nodecls")


# --- resolution -----------------------------------------------------------------------------
def test_resolve_method_fills_defaults_and_scale():
    s = section()
    m = nc.resolve_method(s, "GS_O", split="im05")
    assert m["label"] == "GraphSMOTE_O"
    assert m["balancing"] == {"name": "graphsmote", "edges": "soft", "threshold": 0.5,
                              "edge_weight": 1e-6, "pretrain_epochs": 0,
                              "negative_weight": "balanced", "neg_ratio": 1.0,
                              "dense_below": 1024, "max_pairs": 20000, "scale": 2.0}
    assert m["model"] == {"name": "sage", "hidden": 16, "dropout": 0.1, "encoder_layers": 1,
                          "classifier_layers": 1}
    assert m["loss"] == {"name": "ce", "class_weights": "none"}
    assert m["train"]["max_epochs"] == 50 and m["train"]["weight_decay"] == 5e-4
    assert nc.resolve_method(s, "GS_O", split="genuine")["balancing"]["scale"] == "balance"
    t = nc.resolve_method(s, "GS_T10", split="im05")
    assert t["balancing"]["scale"] == 1.0 and t["train"]["patience"] == 5
    with pytest.raises(ConfigError, match=r"methods.GS_O.balancing.scale is not set and "
                                          r"nodecls\.splits\.lt20 declares no oversampling_scale"):
        nc.resolve_method(s, "GS_O", split="lt20")
    assert "scale" not in nc.resolve_method(s, "Origin", split="lt20")["balancing"]
    # per-dataset overrides give the scale of the dataset's own split
    assert nc.resolve_method(s, "GS_O", split="ecgn", dataset="bots")["balancing"]["scale"] == 1.0


def test_resolve_method_fills_addon_and_renode_defaults():
    s = section()
    tam = nc.resolve_method(s, "TAM", split="im05")
    assert tam["balancing"] == {"name": "balanced_softmax"}
    assert tam["addons"] == [{"name": "tam", "alpha": 2.5, "beta": 0.5, "temperature": 1.2,
                              "temperature_gamma": 0.4, "warmup": 5}]
    assert "addons" not in nc.resolve_method(s, "Origin", split="im05")  # params unchanged
    rn = nc.resolve_method(s, "RN", split="im05")
    assert rn["balancing"] == {"name": "renode", "base_weight": 0.5, "scale_weight": 1.0,
                               "ppr_alpha": 0.15, "ppr_tol": 1e-10, "ppr_topk": None,
                               "ppr_max_mb": 2048}
    assert rn["loss"]["class_weights"] == "inverse"


def _ecgn(**over):
    return {**ECGN_DEFAULTS, "name": "ecgn", **over}


@pytest.mark.parametrize("method, dataset, split, balancing", [
    ("ECGN", "cora_like", "ecgn", _ecgn(clusters=3, scale=4.0)),
    ("ECGN", "bots", "ecgn", _ecgn(clusters=5, scale=1.0)),
    ("ECGN", "cora_like", "im05", _ecgn(clusters=3, scale=2.0)),
    ("ECGN_Local", "bots", "im05", _ecgn(inference="local", clusters=5)),
    ("ECGN_Local", "bots", "lt20", _ecgn(inference="local", clusters=5)),
    ("CGCN", "bots", "im05", {**CLUSTER_GCN_DEFAULTS, "name": "cluster_gcn",
                              "clusters": 4}),
    ("CB", "cora_like", "im05", {"name": "cb_sampling"}),
])
def test_cluster_methods_resolve(method, dataset, split, balancing):
    """A cluster-based method resolves with its registry defaults, the run's cluster count
    and, for ECGN's global cluster-aware SMOTE without its own count, the split's
    over-sampling scale (inference 'local' adds no nodes, so it needs none)."""
    s = section()
    out = nc.resolve_method(s, method, split=split, dataset=dataset)
    assert out["balancing"] == balancing
    out["balancing"]["name"] = "x"  # a copy
    assert s["methods"] == SECTION["methods"]


def test_needs_clusters():
    s = section()
    assert nc.needs_clusters(s["methods"]["ECGN"]) and nc.needs_clusters(s["methods"]["CGCN"])
    assert not nc.needs_clusters(s["methods"]["Origin"])
    assert not nc.needs_clusters(s["methods"]["CB"])  # CB-Sampling reads no clusters


def test_amount_of_cluster_aware_smote():
    s = section()
    s["methods"]["own"] = {"label": "own", "model": "sage",
                           "balancing": {"name": "ecgn", "target": 100}}
    s["methods"]["nosmote"] = {"label": "w/o", "model": "sage",
                               "balancing": {"name": "ecgn", "smote": False}}
    nc.check(s)  # ECGN without SMOTE and ECGN with local inference are valid entries
    own = nc.resolve_method(s, "own", split="im05", dataset="bots")["balancing"]
    assert own == _ecgn(target=100, clusters=5)  # its own count: no split scale
    assert "scale" not in nc.resolve_method(s, "nosmote", split="lt20",
                                            dataset="bots")["balancing"]
    nc.check_run(s, "cora_like", "im05", "ECGN")
    with pytest.raises(ConfigError, match=r"nodecls\.methods\.ECGN\.balancing sets neither "
                                          r"'target' nor 'scale' and nodecls\.splits\.lt20 "
                                          r"declares no oversampling_scale"):
        nc.check_run(s, "cora_like", "lt20", "ECGN")


def test_cluster_rule_params():
    assert nc.cluster_rule_params(section(), 3) == {"k": 3, "seed": 2}
    s = section()
    del s["clusters"]
    assert nc.cluster_rule_params(s, 7.0) == {"k": 7, "seed": 0}


def test_cluster_count_and_its_errors():
    s = section()
    assert nc.cluster_count(s, "bots", "ECGN") == 5
    assert nc.cluster_count(s, "bots", "CGCN") == 4  # the method's own k wins
    assert nc.cluster_count(s, "bots", "CB") is None  # CB-Sampling reads no clusters
    assert nc.resolve_method(s, "ECGN", split="ecgn", dataset="bots")["balancing"]["clusters"] == 5
    assert nc.cluster_count(s, "bots", "Origin") is None
    del s["clusters"]["k"]["bots"]
    assert nc.cluster_count(s, "bots", "CGCN") == 4  # needs no clusters.k entry
    with pytest.raises(ConfigError, match=r"nodecls\.clusters\.k has no entry for dataset "
                                          r"'bots' and nodecls\.methods\.ECGN\.balancing\."
                                          r"clusters is not set"):
        nc.check_run(s, "bots", "ecgn", "ECGN")
    s = section()
    s["splits"]["lt20"]["per_run"] = True
    with pytest.raises(ConfigError, match=r"methods.ECGN.balancing sets neither 'target' nor "
                                          r"'scale' and nodecls\.splits\.lt20"):
        nc.resolve_method(s, "ECGN", split="lt20", dataset="bots")


def test_per_dataset_splits():
    s = section()
    assert nc.run_splits(s, "bots") == ["im05", "genuine", "lt20", "step10", "nat100", "ecgn"]
    del s["splits"]["ecgn"]["per_dataset"]["bots"]
    assert nc.run_splits(s, "bots") == ["im05", "genuine", "lt20", "step10", "nat100"]
    s = section()
    spec = nc.resolve_split(s, "ecgn", "cora_like")
    # the val fraction replaces the count; the other defaults are the splits module's
    assert spec == {"protocol": "artificial", "val_fraction": 0.3, "minority": ["Theory"],
                    "imbalance_ratio": 0.1, "train_per_class": 100, "oversampling_scale": 4.0,
                    "seed": 0, "per_run": True, "val_per_class": None, "test_per_class": None,
                    "test_fraction": None}
    spec["minority"].append("x")  # a copy
    assert s["splits"]["ecgn"]["per_dataset"]["cora_like"]["minority"] == ["Theory"]


@pytest.mark.parametrize("split", ["im05", "genuine", "lt20", "step10", "nat100", "ecgn"])
def test_resolved_splits_hold_every_default(split):
    s = section()
    dataset = "bots" if split == "ecgn" else None
    spec = nc.resolve_split(s, split, dataset)
    written = nc._split_entry(s, split, dataset)
    for key, default in {**SPLIT_DEFAULTS, **PROTOCOL_DEFAULTS[spec["protocol"]]}.items():
        assert key in spec, key
        if key not in written and not (key == "val_per_class" and "val_fraction" in written):
            assert spec[key] == default, key  # the splits module's default
    assert spec["per_run"] is (split != "lt20")
    assert spec["seed"] == 0
    # the resolved entry draws the split the entry as written draws
    g = bot_graph(num_nodes=300, bot_fraction=0.2)  # 60 bots: room for 20 per class
    if split != "im05":  # im05's minority classes are Cora's
        a = make_split(g.y, g.class_names, written, seed=3)
        assert a == make_split(g.y, g.class_names, spec, seed=3)
        assert a.minority == make_split(g.y, g.class_names, spec, seed=3).minority


def test_protocol_defaults_cover_the_schema(schema):
    assert set(PROTOCOL_DEFAULTS) == set(SPLITS)
    blocks = schema["properties"]["splits"]["additionalProperties"]["allOf"]
    for b in blocks:
        protocol = b["if"]["properties"]["protocol"]["const"]
        optional = set(b["then"]["properties"]) - {"protocol", "minority", "per_dataset",
                                                   "oversampling_scale", "imbalance_ratio",
                                                   "rho"}
        assert optional == set(SPLIT_DEFAULTS) | set(PROTOCOL_DEFAULTS[protocol]), protocol


def test_deepwalk_settings_hold_every_default(schema):
    s = section()
    assert set(schema["definitions"]["deepwalk"]["properties"]) == set(DEEPWALK_DEFAULTS)
    dw = nc.deepwalk_settings(s, "bots")
    assert dw == {**DEEPWALK_DEFAULTS, "dim": 8, "append_degree": True}
    assert dw["walk_length"] == inspect.signature(deepwalk).parameters["walk_length"].default
    assert nc.deepwalk_settings(s, "cora_like") is None
    dw["dim"] = 3  # a copy
    assert s["datasets"]["bots"]["deepwalk"] == {"dim": 8, "append_degree": True}


def test_split_key_names_the_per_dataset_entry():
    s = section()
    assert nc.split_key(s, "im05", "bots") == "nodecls.splits.im05"
    assert nc.split_key(s, "ecgn", "bots") == "nodecls.splits.ecgn.per_dataset.bots"
    assert nc.split_key(s, "ecgn", None, where="c: nodecls") == "c: nodecls.splits.ecgn"


def test_check_run():
    s = section()
    nc.check_run(s, "cora_like", "im05", "GS_O")
    nc.check_run(s, "bots", "ecgn", "ECGN")
    with pytest.raises(ConfigError, match=r"splits.im05.minority \(dataset 'bots'\): unknown "
                                          r"class 'Theory'"):
        nc.check_run(s, "bots", "im05", "Origin")
    with pytest.raises(ConfigError, match="dataset 'x' is not declared"):
        nc.check_run(s, "x", "im05", "Origin")
    with pytest.raises(ConfigError, match="split 'x' is not declared"):
        nc.check_run(s, "cora_like", "x", "Origin")
    del s["splits"]["ecgn"]["per_dataset"]["bots"]
    with pytest.raises(ConfigError, match=r"splits.ecgn.per_dataset has no entry for dataset "
                                          r"'bots'"):
        nc.check_run(s, "bots", "ecgn", "Origin")


# --- sweeps through the shared machinery -----------------------------------------------------
def test_vary_scale_and_clusters():
    s = section()
    assert nc.vary(s["methods"]["GS_O"], "scale", 0.2)["balancing"]["scale"] == 0.2
    point = nc.vary(s["methods"]["ECGN"], "clusters", 7.0)
    assert point["balancing"]["clusters"] == 7 and type(point["balancing"]["clusters"]) is int
    assert "scale" not in s["methods"]["GS_O"]["balancing"]  # a copy
    assert "clusters" not in s["methods"]["ECGN"]["balancing"]
    # the sweep point's k wins over the dataset's clusters.k
    assert nc.cluster_count({**s, "methods": {"p": point}}, "bots", "p") == 7
    # ECGN adds synthetic nodes by its own rule: it sweeps the cluster count, not the scale
    with pytest.raises(ConfigError, match="balancing 'ecgn' adds no synthetic nodes"):
        nc.vary(s["methods"]["ECGN"], "scale", 2.0)
    with pytest.raises(ConfigError, match="balancing 'none' adds no synthetic nodes"):
        nc.vary(s["methods"]["Origin"], "scale", 1.0)
    with pytest.raises(ConfigError, match="balancing 'cb_sampling' uses no clusters"):
        nc.vary(s["methods"]["CB"], "clusters", 3)
    with pytest.raises(ConfigError, match="not a cluster count"):
        nc.vary(s["methods"]["ECGN"], "clusters", 2.5)
    with pytest.raises(ConfigError, match="nodecls methods sweep 'scale'"):
        nc.vary(s["methods"]["ECGN"], "lr", 0.1)


def test_sweep_points_are_named_and_reused():
    s = section()
    s["methods"]["GS_O_s1"] = {"label": "GraphSMOTE_O at 1", "model": "sage",
                               "balancing": {"name": "graphsmote", "edges": "soft",
                                             "scale": 1.0}}
    cat = nc.catalog(s, [0, 1])
    fig = {"task": "nodecls", "methods": ["GS_O"],
           "sweep": {"param": "scale", "values": [0.2, 1.0]}}
    assert cfg.sweep_methods(cat, fig) == {"GS_O": {0.2: "GS_O-scale0.2", 1.0: "GS_O_s1"}}
    methods = cfg.with_sweep_methods(cat, {"f": fig})
    assert methods["GS_O-scale0.2"]["balancing"]["scale"] == 0.2
    assert methods["GS_O-scale0.2"]["label"] == "GraphSMOTE_O (scale=0.2)"
    r = nc.resolve_method({**s, "methods": methods}, "GS_O-scale0.2", split="lt20")
    assert r["balancing"]["scale"] == 0.2
    fig2 = {"task": "nodecls", "methods": ["ECGN"],
            "sweep": {"param": "clusters", "values": [1, 3]}}
    assert cfg.sweep_methods(cat, fig2) == {"ECGN": {1.0: "ECGN-clusters1",
                                                     3.0: "ECGN-clusters3"}}


# --- what a config's tables and figures ask for ------------------------------------------------
def _config():
    s = section()
    return {"seeds": [0, 1], "nodecls": s, "tables": {
        "t1": {"task": "nodecls", "title": "t", "metric": "acc", "dataset": "cora_like",
               "rows": ["Origin", "GS_O"], "columns": [{"split": "im05"}, {"split": "lt20"}]},
        "t3": {"task": "nodecls", "title": "t", "kind": "rows", "columns": [{"metric": "acc"}],
               "rows": [{"dataset": "bots", "split": "ecgn", "method": "ECGN_Local"},
                        {"dataset": "bots", "split": "ecgn", "method": "ECGN"},
                        {"dataset": "bots", "split": "ecgn", "method": "ECGN_lr"},
                        {"dataset": "nowhere", "split": "ecgn", "method": "ECGN"}]},
        "other": {"task": "graphcls", "title": "t", "metric": "acc", "rows": ["x"],
                  "columns": [{"dataset": "d", "split": "s"}]}},
        "figures": {"f2": {"task": "nodecls", "title": "f", "datasets": ["cora_like", "bots"],
                           "splits": ["ecgn"], "metric": "macro_f1", "methods": ["ECGN"],
                           "sweep": {"param": "clusters", "values": [2, 5]},
                           "baseline": "Origin"}}}


def test_requested_runs_pretrainings_and_partitions():
    config = _config()
    s = config["nodecls"]
    cat = nc.catalog(s, [0, 1])
    s["methods"] = cfg.with_sweep_methods(cat, config["figures"])
    runs = nc.requested_runs(config, cat)
    assert runs == sorted([
        ("cora_like", "im05", "Origin"), ("cora_like", "im05", "GS_O"),
        ("cora_like", "lt20", "Origin"), ("cora_like", "lt20", "GS_O"),
        ("bots", "ecgn", "ECGN_Local"), ("bots", "ecgn", "ECGN"), ("bots", "ecgn", "ECGN_lr"),
        ("cora_like", "ecgn", "ECGN-clusters2"), ("bots", "ecgn", "ECGN-clusters2"),
        ("cora_like", "ecgn", "ECGN-clusters5"), ("bots", "ecgn", "ECGN-clusters5"),
        ("cora_like", "ecgn", "Origin"), ("bots", "ecgn", "Origin")])
    # a claim comparing a run no table or figure reads asks for that run too (its cached
    # inputs and start-up checks), and only its own family's
    config["claims"] = {"c": {"task": "nodecls", "title": "t", "metric": "acc", "claims": [
        {"id": "x", "text": "x", "better": "GS_O", "than": "ECGN", "datasets": ["bots"],
         "split": "im05"}]}}
    assert nc.requested_runs(config, cat) == sorted(
        runs + [("bots", "im05", "ECGN"), ("bots", "im05", "GS_O")])
    config["claims"]["c"]["task"] = "graphcls"
    assert nc.requested_runs(config, cat) == runs
    with pytest.raises(ConfigError, match="lt20"):
        nc.check_runs(s, runs)  # GS_O on lt20 has no over-sampling scale
    plan = nc.pretrain_plan(s, [r for r in runs if r[1] != "lt20"])
    # ECGN, ECGN_Local and the sweep point at bots's own k = 5 (a method of its own, since
    # it sets k) share one pre-training; ECGN_lr (another lr) and the other sweep points
    # use theirs alone
    assert set(plan) == {("bots", "ecgn", "ECGN"), ("bots", "ecgn", "ECGN_Local"),
                         ("bots", "ecgn", "ECGN-clusters5")}
    assert plan[("bots", "ecgn", "ECGN")]["k"] == 5
    assert plan[("bots", "ecgn", "ECGN")]["key"] == plan[("bots", "ecgn", "ECGN_Local")]["key"]


def test_pretrain_settings_equal_ecgns():
    s = section()
    r = nc.resolve_method(s, "ECGN", split="ecgn", dataset="bots")
    # the job's and the plan's: one function, declared in the method table
    assert METHODS["ecgn"].pretrain is pretrain_settings
    plan = nc.pretrain_plan(s, [("bots", "ecgn", "ECGN"), ("bots", "ecgn", "ECGN_Local")])
    assert plan[("bots", "ecgn", "ECGN")]["key"] == pretrain_key(pretrain_settings(r))
    m = pretrain_method(pretrain_settings(r))
    assert pretrain_settings(m) == pretrain_settings(r)


def test_catalog_spec_and_splits():
    s = section()
    cat = nc.catalog(s, [0, 1])
    assert cat.splits("cora_like") == ["im05", "genuine", "lt20", "step10", "nat100", "ecgn"]
    assert cat.label("GS_O") == "GraphSMOTE_O"
    same = {**s["methods"]["Origin"], "label": "other", "train": {"lr": 0.01}}
    assert cat.spec(same) == cat.spec(s["methods"]["Origin"])  # lr 0.01 is the default here
    assert cat.spec(s["methods"]["Origin"]) != cat.spec(s["methods"]["Reweight"])


# --- ECGN's protocol on the real graphs ---------------------------------------------------------
def _datasets_root() -> Path:
    root = os.environ.get("IMBGRAPH_DATASETS")
    if not root or not (Path(root) / "planetoid" / "Cora" / "raw").exists():
        pytest.skip("IMBGRAPH_DATASETS is unset or holds no planetoid/Cora")
    return Path(root)


def test_real_data_protocol():
    """ECGN's splits on the real graphs, as the section resolves them: Cora's 200 / 20 fits
    and the split's scale 4.0 raises each minority class from 20 to 100 training nodes; on
    Amazon Computers the five classes below 800 nodes are the only possible minority."""
    import numpy as np

    from imbgraph.nodecls.data.datasets import build_graph
    from imbgraph.nodecls.methods.ecgn.smote import synthetic_counts

    root = _datasets_root()
    s = {"data_root": str(root),
         "datasets": {"cora": {"source": "planetoid", "path": "planetoid", "name": "Cora"}},
         "splits": {"ecgn": {"protocol": "artificial", "val_fraction": 0.3, "per_dataset": {
             "cora": {"minority": ["Theory", "Rule_Learning", "Genetic_Algorithms"],
                      "imbalance_ratio": 0.1, "train_per_class": 200,
                      "oversampling_scale": 4.0}}}},
         "clusters": {"metis_seed": 0, "k": {"cora": 3}},
         "models": {"sage": {"name": "sage"}},
         "methods": {"ECGN": {"label": "ECGN", "model": "sage", "balancing": {"name": "ecgn"}}}}
    nc.check(s)  # the raw files exist
    nc.check_run(s, "cora", "ecgn", "ECGN")  # the minority classes are Cora's
    bal = nc.resolve_method(s, "ECGN", split="ecgn", dataset="cora")["balancing"]
    assert bal["clusters"] == 3 and bal["scale"] == 4.0
    cora = build_graph(s["datasets"]["cora"], data_root=s["data_root"])
    split = make_split(cora.y, cora.class_names, nc.resolve_split(s, "ecgn", "cora"), seed=0)
    counts = split.counts(cora.y, cora.num_classes)
    assert counts["train"].tolist() == [20, 200, 20, 200, 200, 200, 20]
    rest = cora.class_counts() - counts["train"]
    assert (counts["val"] == np.floor(0.3 * rest)).all()
    assert (counts["val"] + counts["test"] == rest).all()  # every other node tests
    np.testing.assert_array_equal(
        synthetic_counts(counts["train"], split.minority, scale=bal["scale"],
                         max_fraction=bal["max_fraction"]),
        [80, 0, 80, 0, 0, 0, 80])  # 20 -> 100
    zipped = root / "npz" / "amazon_electronics_computers.zip"
    if zipped.exists():
        entry = {"source": "gnn_benchmark", "path": "npz/amazon_electronics_computers.zip"}
        s["datasets"]["computers"] = entry
        nc.check(s)
        amazon = build_graph(entry, data_root=s["data_root"])
        assert np.flatnonzero(amazon.class_counts() < 800).tolist() == [0, 3, 5, 6, 9]
        train = np.where(amazon.class_counts() < 800, 50, 800)
        # appendix 100 -> 600 with Table 1's 50: 550 asked, fewer than 400 allowed
        assert synthetic_counts(train, [0, 3, 5, 6, 9], scale=7.98,
                                max_fraction=bal["max_fraction"]).max() == 399


def test_cluster_count_above_a_synthetic_graph_is_named():
    s = section()
    s["datasets"]["small"] = {"source": "synthetic", "generator": "csbm",
                              "params": {"profile": "cora", "num_nodes": 30, "feature_dim": 4}}
    s["clusters"]["k"]["small"] = 31
    s["splits"]["lt20"]["oversampling_scale"] = 1.0
    with pytest.raises(ConfigError, match=r"nodecls\.clusters\.k\.small = 31 exceeds the 30 "
                                          r"nodes of dataset 'small'"):
        nc.check_run(s, "small", "lt20", "ECGN")
    with pytest.raises(ConfigError, match=r"nodecls\.methods\.CGCN\.balancing\.clusters = 4 "
                                          r"exceeds the 3 nodes"):
        s["datasets"]["tiny"] = {"source": "synthetic", "generator": "bots",
                                 "params": {"num_nodes": 3}}
        nc.check_run(s, "tiny", "lt20", "CGCN")
    nc.check_run(s, "small", "lt20", "CGCN")  # 4 <= 30


def test_check_run_step_and_renode_at_start_up():
    s = section()
    nc.check_run(s, "cora_like", "step10", "RN")
    nc.check_run(s, "cora_like", "nat100", "TAM")
    s["splits"]["step10"]["base"] = "public"
    with pytest.raises(ConfigError, match=r"nodecls.splits.step10.base = 'public': dataset "
                                          r"'cora_like' \(synthetic\) publishes no split"):
        nc.check_run(s, "cora_like", "step10", "Origin")
    s["splits"]["step10"].update(base="auto", tail_classes=7)
    with pytest.raises(ConfigError, match=r"step10.tail_classes = 7: dataset 'cora_like' has 7 "
                                          r"classes; expected 1 .. 6"):
        nc.check_run(s, "cora_like", "step10", "Origin")
    # ReNode's PPR memory, known before the graph exists for a csbm stand-in: 2708 nodes x
    # (4 x 20 + 3 x 2) training nodes x 2 float64 buffers = 3.55 MB
    s = section()
    s["methods"]["RN"]["balancing"]["ppr_max_mb"] = 3
    with pytest.raises(ConfigError, match=r"nodecls.methods.RN.balancing \(dataset 'cora_like'\):"
                                          r" the personalised PageRank of 86 training nodes on "
                                          r"2708 nodes needs 3.6 MB, above ppr_max_mb = 3"):
        nc.check_run(s, "cora_like", "step10", "RN")
    s["methods"]["RN"]["balancing"]["ppr_topk"] = 64
    nc.check_run(s, "cora_like", "step10", "RN")
    # natural rho 100 asks 100 training nodes of the largest class: more than a small graph has
    s = section()
    s["datasets"]["small"] = {"source": "synthetic", "generator": "csbm",
                              "params": {"profile": "cora", "num_nodes": 300, "feature_dim": 4}}
    with pytest.raises(ConfigError, match=r"nodecls.splits.nat100: 100 training nodes asked of "
                                          r"class 3 of dataset 'small', which has"):
        nc.check_run(s, "small", "nat100", "RN")
