"""Tests of imbgraph.graphcls.config and workflow/schemas/graphcls.schema.yaml: every schema
enum equals its registry, a tiny section validates, and cross-key errors name the key."""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import pytest
import yaml

from imbgraph.errors import ConfigError
from imbgraph.graphcls.config import (REGISTRIES, check, check_tables, pe_dim, resolve_method,
                                      split_params)

SCHEMA = yaml.safe_load((Path(__file__).resolve().parents[2] / "workflow/schemas/graphcls.schema.yaml").read_text())

TINY = yaml.safe_load("""
datasets:
  toy:
    source: synthetic
    synthetic:
      classes:
        - {graphs: 60, size_median: 10, motifs: {star6: 1}}
        - {graphs: 40, size_median: 14, motifs: {clique5: 1}}
      n_tags: 3
      seed: 0
    pe_dim: 3
    splits:
      class: {train: 30, val: 20}
splits:
  class: {protocol: class_imbalance, ratio: 0.1, test: rest}
  topology: {protocol: topology_imbalance, train_fraction: 0.2}
models:
  gin: {name: gin, hidden: 16, layers: 2, readout: sum, pe_mode: path}
  gps: {name: gps, hidden: 16, layers: 1, heads: 4}
training: {epochs: 5, patience: 3, lr: 0.01, weight_decay: 0.0005, batch_size: 16}
methods:
  GIN: {label: GIN, kind: supervised, model: gin}
  GIN-up: {label: "GIN (up-sampling)", kind: supervised, model: gin, balance: {upsample: true}}
  G2GNN: {label: "G2GNN (mask node)", kind: g2gnn, model: gin,
          params: {kernel: {name: wl}, k: 2, augment: {name: mask_node, ratio: 0.1}}}
  UniImb: {label: UniImb, kind: uniimb, model: gin, balance: {upsample: true},
           params: {n_prototypes: 4, heads: 2, top_k2: 2, top_k1: 4, load: {name: zipf}}}
  GraphCL: {label: GraphCL, kind: graphcl, model: gin, params: {pretrain: {epochs: 2}}}
""")


def at(path: str):
    node = SCHEMA
    for part in path.split("/"):
        node = node[int(part)] if part.isdigit() else node[part]
    return node


ENUMS = {
    "source": "definitions/dataset/properties/source/enum",
    "node_features": "definitions/dataset/properties/node_features/enum",
    "motif": "definitions/motifs/propertyNames/enum",
    "protocol": "definitions/split/allOf/1/properties/protocol/enum",
    "model": "definitions/model/properties/name/enum",
    "readout": "definitions/model/allOf/0/then/properties/readout/enum",
    "pe_mode": "definitions/model/allOf/0/then/properties/pe_mode/enum",
    "pe_method": "properties/pe/properties/method/enum",
    "kind": "definitions/method/properties/kind/enum",
    "augmentation": "definitions/augment/properties/name/enum",
    "load": "definitions/method/allOf/3/then/properties/params/properties/load/properties/name/enum",
    "kernel": "definitions/method/allOf/1/then/properties/params/properties/kernel/properties/name/enum",
    "class_weights": "definitions/balance/properties/class_weights/enum",
}


@pytest.mark.parametrize("name", sorted(REGISTRIES))
def test_schema_enum_equals_registry(name):
    assert sorted(at(ENUMS[name])) == sorted(REGISTRIES[name])


def test_every_registry_has_an_enum():
    assert set(ENUMS) == set(REGISTRIES)
    assert at("definitions/dataset/properties/max_degree/maximum") >= 32


def test_tiny_section_validates_and_checks():
    jsonschema.Draft202012Validator(SCHEMA).validate(TINY)
    check(TINY)
    assert split_params(TINY, "toy", "class") == (
        "class_imbalance", {"ratio": 0.1, "test": "rest", "train": 30, "val": 20})
    assert pe_dim(TINY, "toy") == 3
    m = resolve_method(TINY, "GIN-up")
    assert m["model"]["name"] == "gin" and m["balance"] == {"upsample": True}
    assert m["train"]["epochs"] == 5 and m["label"] == "GIN (up-sampling)"
    cfg = copy.deepcopy(TINY)
    cfg["datasets"]["toy"]["training"] = {"epochs": 2, "patience": 1}
    cfg["methods"]["GIN-up"]["train"] = {"patience": 2}
    assert resolve_method(cfg, "GIN-up", "toy")["train"] == {
        "epochs": 2, "patience": 2, "lr": 0.01, "weight_decay": 0.0005, "batch_size": 16}


def test_schema_rejects_unknown_keys():
    bad = copy.deepcopy(TINY)
    bad["methods"]["UniImb"]["params"]["prototypes"] = 4
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA).validate(bad)


def mutate(fn):
    cfg = copy.deepcopy(TINY)
    fn(cfg)
    return cfg


@pytest.mark.parametrize("change, match", [
    (lambda c: c["methods"]["GIN"].update(model="mlp"),
     r"graphcls\.methods\.GIN\.model = 'mlp' is not declared under models"),
    (lambda c: c["methods"]["GIN"].update(kind="smote"),
     r"graphcls\.methods\.GIN\.kind = 'smote'; expected one of"),
    (lambda c: c["methods"]["UniImb"]["params"].update(top_k2=9),
     r"graphcls\.methods\.UniImb\.params\.top_k2 = 9 exceeds n_prototypes = 4"),
    (lambda c: c["methods"]["UniImb"]["params"].update(heads=3),
     r"graphcls\.methods\.UniImb\.params\.heads = 3 must divide models\.gin\.hidden"),
    (lambda c: c["methods"]["UniImb"]["params"].update(load={"name": "pareto"}),
     r"graphcls\.methods\.UniImb\.params\.load\.name = 'pareto'"),
    (lambda c: c["methods"]["G2GNN"]["params"].update(kernel={"name": "rw"}),
     r"graphcls\.methods\.G2GNN\.params\.kernel\.name = 'rw'"),
    (lambda c: c["methods"]["GIN-up"].update(label="GIN"),
     r"graphcls\.methods\.GIN-up\.label = 'GIN' is also the label of methods\.GIN"),
    (lambda c: c["datasets"]["toy"]["splits"].update(classes={"train": 3}),
     r"graphcls\.datasets\.toy\.splits\.classes: 'classes' is not declared under splits"),
    (lambda c: c["datasets"]["toy"]["splits"]["class"].update(train=200),
     r"graphcls\.datasets\.toy\.splits\.class: class 0 has 60 graphs but the split needs"),
    (lambda c: c["datasets"]["toy"].update(source="tu"),
     r"graphcls\.datasets\.toy\.source = 'tu' needs data_root"),
    (lambda c: c["splits"]["topology"].update(ratio=0.1),
     r"graphcls\.splits\.topology: \['ratio'\] not parameters of topology_imbalance"),
    (lambda c: c["models"]["gin"].update(heads=2),
     r"graphcls\.models\.gin: \['heads'\] not parameters of model 'gin'"),
    (lambda c: c["methods"]["GIN"].update(balance={"class_weights": "focal"}),
     r"graphcls\.methods\.GIN\.balance\.class_weights = 'focal'"),
    (lambda c: c["training"].update(momentum=0.9),
     r"graphcls\.training: \['momentum'\] not training settings"),
])
def test_check_names_the_key(change, match):
    with pytest.raises(ConfigError, match=match):
        check(mutate(change))


TABLES = {"t2": {"family": "graphcls", "rows": ["GIN", "UniImb"], "paper_rows": ["ImbGNN"],
                 "columns": [{"dataset": "toy", "split": "class", "metric": "macro_f1"}]},
          "faces": {"rows": ["L-GCN"], "dataset": "faces"}}


def test_check_tables():
    check_tables(TINY, TABLES)
    for change, match in [
        (lambda t: t["t2"]["rows"].append("SOLT"), r"tables\.t2\.rows: 'SOLT' is not a method"),
        (lambda t: t["t2"]["columns"][0].update(dataset="DD"),
         r"tables\.t2\.columns\[0\]\.dataset = 'DD' is not declared"),
        (lambda t: t["t2"]["columns"][0].update(split="topo"),
         r"tables\.t2\.columns\[0\]\.split = 'topo' is not declared"),
        (lambda t: t["t2"]["columns"][0].update(metric="f1"),
         r"tables\.t2\.columns\[0\]\.metric = 'f1'"),
        (lambda t: t["t2"]["paper_rows"].append("UniImb"), r"tables\.t2\.paper_rows: \['UniImb'\]"),
    ]:
        t = copy.deepcopy(TABLES)
        change(t)
        with pytest.raises(ConfigError, match=match):
            check_tables(TINY, t)
    with pytest.raises(ConfigError, match=r"graphcls\.methods: 'SOLT' is not a method"):
        resolve_method(TINY, "SOLT")
