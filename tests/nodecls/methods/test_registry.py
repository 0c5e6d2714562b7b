"""Tests of imbgraph.nodecls.methods, the method table: its names are the schema's enum, each
method's declared settings are exactly the schema block's keys, the declared defaults equal
the implementations' own, every implementation imports, the cached inputs are known words,
and the table imports no torch; likewise the add-on table (TAM) and the methods that take
add-ons."""

from __future__ import annotations

import inspect
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from imbgraph.nodecls.methods import ADDONS, CACHED, METHODS, OVERSAMPLING, addon_names, names
from imbgraph.nodecls.methods.bat import BAT
from imbgraph.nodecls.methods.ecgn import settings as ecgn
from imbgraph.nodecls.methods.ecgn.cb_sampling import CBSampling
from imbgraph.nodecls.methods.graphsmote import GraphSMOTE
from imbgraph.nodecls.methods.renode import renode_weights
from imbgraph.nodecls.methods.tam import TAM
from imbgraph.plugins import UNSET, load_callable

SCHEMA = Path(__file__).parents[3] / "workflow" / "schemas" / "nodecls.schema.yaml"


@pytest.fixture(scope="module")
def balancing_schema():
    schema = yaml.safe_load(SCHEMA.read_text())
    return schema["properties"]["methods"]["additionalProperties"]["properties"]["balancing"]


def blocks(balancing_schema) -> dict[str, dict]:
    out = {}
    for b in balancing_schema["allOf"]:
        cond = b["if"]["properties"]["name"]
        for name in ([cond["const"]] if "const" in cond else cond["enum"]):
            out[name] = b["then"]["properties"]
    return out


def test_schema_enum_is_the_table(balancing_schema):
    assert balancing_schema["properties"]["name"]["enum"] == names()
    assert set(blocks(balancing_schema)) == set(METHODS)


def test_each_schema_block_is_the_declared_settings(balancing_schema):
    for name, props in blocks(balancing_schema).items():
        assert set(props) == {"name", *METHODS[name].params}, name


def test_schema_enums_of_settings_equal_the_declarations(balancing_schema):
    ecgn_block = blocks(balancing_schema)["ecgn"]
    assert sorted(ecgn_block["transfer"]["enum"]) == sorted(ecgn.TRANSFER)
    assert sorted(ecgn_block["inference"]["enum"]) == sorted(ecgn.INFERENCE)
    plugin = blocks(balancing_schema)["plugin"]
    from imbgraph.nodecls.methods import PLUGIN_NEEDS
    assert plugin["needs"]["items"]["enum"] == list(PLUGIN_NEEDS)


def _keyword_defaults(fn) -> dict:
    return {n: p.default for n, p in inspect.signature(fn).parameters.items()
            if p.kind is inspect.Parameter.KEYWORD_ONLY}


def test_declared_defaults_equal_the_implementations():
    declared = METHODS["graphsmote"].defaults()
    assert declared == {k: v for k, v in _keyword_defaults(GraphSMOTE).items() if k in declared}
    assert set(declared) == set(_keyword_defaults(GraphSMOTE))
    assert _keyword_defaults(CBSampling) == {"num_samples": None}  # UNSET: None in the class
    assert METHODS["cb_sampling"].params == {"num_samples": UNSET}
    assert METHODS["ecgn"].defaults() == ecgn.DEFAULTS
    assert METHODS["cluster_gcn"].defaults() == ecgn.CLUSTER_GCN_DEFAULTS


def test_every_implementation_imports_and_needs_known_inputs():
    for name, spec in METHODS.items():
        if spec.impl is None:
            assert name == "plugin"
            continue
        assert callable(load_callable(spec.impl, key=name))
        for settings in (spec.settings({"name": name}), spec.settings({"name": name,
                                                                       "pretrain": False})):
            if name != "ecgn" and "pretrain" in settings:
                continue
            assert set(spec.needs_of(settings)) <= set(CACHED), name
    assert METHODS["ecgn"].needs_of(ecgn.DEFAULTS) == ("clusters", "pretrain")
    assert METHODS["ecgn"].needs_of({**ecgn.DEFAULTS, "pretrain": False}) == ("clusters",)


def test_oversampling_names():
    assert OVERSAMPLING == ("oversampling", "smote", "embed_smote", "graphsmote")
    assert [n for n, s in METHODS.items() if s.own_job] == ["cluster_features", "cluster_gcn",
                                                            "ecgn"]


def test_imports_no_torch():
    # Snakemake reads the table at every start (and every SLURM job): no torch, no PyG.
    code = ("import imbgraph.nodecls.methods, imbgraph.nodecls.methods.ecgn.clusters, sys; "
            "assert not {'torch', 'torch_geometric', 'sklearn'} & set(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.fixture(scope="module")
def addons_schema():
    schema = yaml.safe_load(SCHEMA.read_text())
    return schema["properties"]["methods"]["additionalProperties"]["properties"]["addons"]


def test_addon_schema_is_the_addon_table(addons_schema):
    short, full = addons_schema["items"]["oneOf"]
    assert short["enum"] == addon_names() == full["properties"]["name"]["enum"]
    declared = {b["if"]["properties"]["name"]["const"]: b["then"]["properties"]
                for b in full["allOf"]}
    assert set(declared) == set(ADDONS)
    for name, props in declared.items():
        assert set(props) == {"name", *ADDONS[name].params}, name
        assert callable(load_callable(ADDONS[name].impl, key=name))


def test_addon_and_renode_defaults_equal_the_implementations():
    assert ADDONS["tam"].defaults() == _keyword_defaults(TAM)
    assert ADDONS["bat"].defaults() == _keyword_defaults(BAT)
    assert [ADDONS[n].kind for n in ("tam", "bat")] == ["logits", "graph"]
    declared = METHODS["renode"].defaults()
    assert declared == {k: v for k, v in _keyword_defaults(renode_weights).items() if k != "key"}
    assert METHODS["balanced_softmax"].params == {}


def test_which_methods_take_addons():
    assert {n for n, s in METHODS.items() if s.addons} == {"none", "balanced_softmax", "renode",
                                                           "graphens", "graphsha", "mixup"}
    assert all(set(s.addons) <= set(ADDONS) for s in METHODS.values())
