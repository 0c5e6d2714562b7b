"""Tests of imbgraph.graphcls.methods, the kind table: its names are the schema's enum, each
kind's declared params are exactly the schema block's keys (nested blocks too), the declared
defaults equal the implementations' own, every implementation imports and needs known inputs,
defaults fill in one level deep, and the table imports no torch."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from imbgraph.errors import ConfigError
from imbgraph.graphcls import augment, prototypes
from imbgraph.graphcls.kernel_knn import KERNELS
from imbgraph.graphcls.methods import (
    AUGMENTATIONS,
    CACHED,
    KNN_DEFAULTS,
    METHODS,
    PLUGIN_NEEDS,
    names,
)
from imbgraph.graphcls.methods.g2gnn import G2GNN
from imbgraph.graphcls.methods.pretrained import EmbeddingHead
from imbgraph.graphcls.methods.supervised import Supervised
from imbgraph.graphcls.methods.uniimb import UniImb
from imbgraph.graphcls.pretrain import GraphCLLoss
from imbgraph.plugins import UNSET, load_callable

SCHEMA = Path(__file__).parents[3] / "workflow" / "schemas" / "graphcls.schema.yaml"


@pytest.fixture(scope="module")
def schema():
    return yaml.safe_load(SCHEMA.read_text())


def blocks(schema) -> dict[str, dict]:
    """kind -> the schema's properties of its params."""
    out = {}
    for b in schema["definitions"]["method"]["allOf"]:
        (kind,) = [b["if"]["properties"]["kind"]["const"]]
        out[kind] = b["then"]["properties"]["params"]
    return out


def test_schema_enum_is_the_table(schema):
    assert schema["definitions"]["method"]["properties"]["kind"]["enum"] == names()
    assert set(blocks(schema)) == set(METHODS)


def test_each_schema_block_is_the_declared_params(schema):
    for kind, block in blocks(schema).items():
        assert set(block["properties"]) == set(METHODS[kind].params), kind
        # a plugin's params are its own besides callable and needs; a built-in's are closed
        assert block.get("additionalProperties", True) is METHODS[kind].own_params, kind


def test_nested_blocks_are_the_declared_defaults(schema):
    d = schema["definitions"]
    assert set(d["augment"]["properties"]) == {"name", *METHODS["supervised"].blocks["augment"]}
    assert METHODS["g2gnn"].blocks["augment"] == METHODS["supervised"].blocks["augment"]
    assert set(d["pretrain"]["properties"]) == set(METHODS["infograph"].blocks["pretrain"])
    assert set(d["pretrain_graphcl"]["properties"]) == set(METHODS["graphcl"].blocks["pretrain"])
    g2gnn = blocks(schema)["g2gnn"]["properties"]
    kernel_keys = set().union(*(inspect.signature(f).parameters for f in KERNELS.values()))
    assert set(g2gnn["kernel"]["properties"]) - {"name"} <= kernel_keys
    assert METHODS["g2gnn"].blocks["kernel"] == KNN_DEFAULTS["kernel"]
    assert METHODS["g2gnn"].defaults()["k"] == KNN_DEFAULTS["k"]
    load = blocks(schema)["uniimb"]["properties"]["load"]["properties"]
    load_keys = set().union(*(inspect.signature(f).parameters for f in prototypes.LOADS.values()))
    assert set(load) == {"name"} | (load_keys - {"k"})
    assert list(AUGMENTATIONS) == list(augment.AUGMENTATIONS)
    plugin = blocks(schema)["plugin"]["properties"]
    assert plugin["needs"]["items"]["enum"] == list(PLUGIN_NEEDS)


def _keyword_defaults(fn) -> dict:
    return {n: p.default for n, p in inspect.signature(fn).parameters.items()
            if p.kind is inspect.Parameter.KEYWORD_ONLY and p.default is not p.empty}


def test_declared_defaults_equal_the_implementations():
    uniimb = METHODS["uniimb"].defaults()
    own = _keyword_defaults(UniImb)
    shared = set(own) & set(uniimb) - {"load"}  # load: None in the class, the block's default
    assert {k: uniimb[k] for k in shared} == {k: own[k] for k in shared}
    assert set(uniimb) - set(own) == {"eval_order"}  # the job's switch, not the learner's
    assert own["bias_mode"] == uniimb["bias_mode"] and own["load"] is None  # None: the block's
    for cls in (Supervised, G2GNN):
        assert _keyword_defaults(cls)["head_dropout"] == METHODS["supervised"].defaults()[
            "head_dropout"]
    assert _keyword_defaults(G2GNN)["prop_layers"] == METHODS["g2gnn"].defaults()["prop_layers"]
    assert inspect.signature(EmbeddingHead).parameters["head_dropout"].default == 0.5
    graphcl = METHODS["graphcl"].blocks["pretrain"]
    assert {k: graphcl[k] for k in ("augmentations", "ratio", "tau")} == (
        _keyword_defaults(GraphCLLoss))


def test_every_implementation_imports_and_needs_known_inputs():
    for name, spec in METHODS.items():
        if spec.impl is None:
            assert name == "plugin"
            continue
        assert callable(load_callable(spec.impl, key=name))
        assert set(spec.needs_of(spec.settings({}))) <= set(CACHED), name
        assert "pe" in spec.needs_of(spec.settings({})), name
    assert METHODS["g2gnn"].needs_of({}) == ("pe", "knn")
    plugin = METHODS["plugin"]
    assert plugin.needs_of({"callable": "m:f"}) == ("pe",)
    assert plugin.needs_of({"callable": "m:f", "needs": ["knn"]}) == ("knn",)
    assert plugin.ref({"callable": "m:f"}) == "m:f"


def test_settings_fill_defaults_one_level_deep():
    g2gnn = METHODS["g2gnn"]
    full = g2gnn.settings({"augment": {"name": "mask_node", "ratio": 0.3}, "k": 5})
    assert full == {"head_dropout": 0.5, "k": 5, "prop_layers": 2,
                    "kernel": {"name": "shortest_path"},
                    "augment": {"name": "mask_node", "ratio": 0.3, "views": 2, "temp": 0.5,
                                "consistency": 1.0}}
    assert "augment" not in METHODS["supervised"].settings({})  # off unless set
    assert METHODS["infograph"].settings({"pretrain": {"epochs": 2}})["pretrain"] == {
        "graphs": "trainval", "epochs": 2, "lr": 1e-3, "batch_size": 128}
    assert METHODS["uniimb"].settings({})["load"] == {"name": "uniform"}
    plugin = METHODS["plugin"]
    entry = {"callable": "m:f", "tau": 2.0}
    assert plugin.settings(entry) == entry and plugin.own(entry) == {"tau": 2.0}
    assert METHODS["supervised"].own({"callable": 1}) == {"callable": 1}  # not a plugin's key
    assert METHODS["plugin"].params == {"callable": UNSET, "needs": UNSET}


@pytest.mark.parametrize("kind, params, match", [
    ("uniimb", {"top_k2": 20}, r"k\.top_k2 = 20 exceeds n_prototypes = 16"),
    ("uniimb", {"bias_mode": "shared"}, r"k\.bias_mode = 'shared'; expected one of"),
    ("supervised", {"augment": {"name": "flip"}}, r"k\.augment\.name = 'flip'"),
    ("graphcl", {"pretrain": {"augmentations": ["flip"]}}, r"k\.pretrain\.augmentations = "),
    ("plugin", {"callable": "nocolon"}, r"k\.callable = 'nocolon'; expected 'package"),
    ("plugin", {"callable": "m:f", "needs": ["pretrain"]},
     r"k\.needs: 'pretrain' is not a cached input a method of your own can read"),
])
def test_checks_name_the_key(kind, params, match):
    spec = METHODS[kind]
    with pytest.raises(ConfigError, match=match):
        spec.validate(spec.settings(params), "k")


def test_backbone_rules():
    spec = METHODS["uniimb"]
    p = spec.settings({"heads": 3})
    with pytest.raises(ConfigError, match=r"p\.heads = 3 must divide models\.m\.hidden = 64"):
        spec.check_backbone(p, {"name": "gin"}, key="p", model_key="mk", model_ref="m",
                            hidden_key="models.m.hidden")
    with pytest.raises(ConfigError, match=r"mk = 'g' is a 'gps'; kind 'uniimb' runs on 'gin'"):
        spec.check_backbone(p, {"name": "gps", "hidden": 63}, key="p", model_key="mk",
                            model_ref="g", hidden_key="h")
    METHODS["supervised"].check_backbone({}, {"name": "gps"}, key="p", model_key="mk",
                                         model_ref="g", hidden_key="h")


def test_imports_no_torch():
    # Snakemake reads the table at every start (and every SLURM job): no torch, no PyG.
    code = ("import imbgraph.graphcls.methods, imbgraph.graphcls.config, sys; "
            "assert not {'torch', 'torch_geometric', 'sklearn'} & set(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)
