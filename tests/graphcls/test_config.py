"""Tests of imbgraph.graphcls.config and workflow/schemas/graphcls.schema.yaml: every schema
enum equals its registry (imported here: the config module itself stays free of torch), a
tiny section validates, cross-key errors name the key, and the catalog the tables use."""

from __future__ import annotations

import copy
import inspect
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from imbgraph.config import check_outputs
from imbgraph.errors import ConfigError
from imbgraph.graphcls.augment import AUGMENTATIONS
from imbgraph.graphcls.config import (
    catalog,
    check,
    data_path,
    knn_name,
    knn_spec,
    knn_tables,
    pe_dim,
    raw_files,
    resolve_method,
    split_params,
)
from imbgraph.graphcls.datasets import SOURCES
from imbgraph.graphcls.encodings import PE_METHODS
from imbgraph.graphcls.features import NODE_FEATURES
from imbgraph.graphcls.kernel_knn import KERNELS
from imbgraph.graphcls.methods import BIAS_MODES, EVAL_ORDERS, METHODS
from imbgraph.graphcls.models import LAP_BRANCHES, MODELS, PE_MODES, READOUTS
from imbgraph.graphcls.prototypes import LOADS
from imbgraph.graphcls.splits import SPLITS
from imbgraph.graphcls.synthetic import MOTIFS
from imbgraph.graphcls.train import STOPPING, TrainConfig
from imbgraph.losses import CLASS_WEIGHTS

# Every enum of the schema and the registry it must equal.
REGISTRIES = {
    "source": SOURCES, "node_features": NODE_FEATURES, "motif": MOTIFS, "protocol": SPLITS,
    "model": MODELS, "readout": READOUTS, "pe_mode": PE_MODES, "pe_method": PE_METHODS,
    "kind": METHODS, "augmentation": AUGMENTATIONS, "load": LOADS, "kernel": KERNELS,
    "class_weights": CLASS_WEIGHTS, "bias_mode": BIAS_MODES, "eval_order": EVAL_ORDERS,
    "stopping": STOPPING, "lap_branch": LAP_BRANCHES,
}

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = yaml.safe_load((ROOT / "workflow/schemas/graphcls.schema.yaml").read_text())

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
    "load": "definitions/method/allOf/4/then/properties/params/properties/load/properties/name"
            "/enum",
    "kernel": "definitions/method/allOf/1/then/properties/params/properties/kernel/properties"
              "/name/enum",
    "class_weights": "definitions/balance/properties/class_weights/enum",
    "bias_mode": "definitions/method/allOf/4/then/properties/params/properties/bias_mode/enum",
    "eval_order": "definitions/method/allOf/4/then/properties/params/properties/eval_order/enum",
    "stopping": "definitions/training/properties/stopping/enum",
    "lap_branch": "definitions/model/allOf/0/then/properties/lap_branch/enum",
}


@pytest.mark.parametrize("name", sorted(REGISTRIES))
def test_schema_enum_equals_registry(name):
    assert sorted(at(ENUMS[name])) == sorted(REGISTRIES[name])


def test_every_registry_has_an_enum():
    assert set(ENUMS) == set(REGISTRIES)
    assert sorted(at("definitions/pretrain_graphcl/properties/augmentations/items/enum")) == (
        sorted(AUGMENTATIONS))
    assert at("definitions/dataset/properties/max_degree/maximum") >= 32


@pytest.mark.parametrize("index, name", [(0, "gin"), (1, "gps"), (2, "exphormer"),
                                         (3, "mamba")])
def test_schema_model_keys_are_the_model_parameters(index, name):
    keys = set(at(f"definitions/model/allOf/{index}/then/properties")) - {"name"}
    assert keys == set(inspect.signature(MODELS[name]).parameters) - {"in_channels", "pe_dim"}


def test_schema_training_keys_are_the_train_settings():
    assert set(at("definitions/training/properties")) == set(
        inspect.signature(TrainConfig).parameters)


def test_schema_split_keys_are_the_protocol_parameters():
    params = set().union(*(inspect.signature(f).parameters for f in SPLITS.values()))
    assert set(at("definitions/split_props/properties")) == (
        params - {"y", "sizes", "rng", "where"} | {"split_seed"})


def test_config_module_does_not_import_torch():
    # Snakemake imports it at every start (and in every SLURM job): torch + PyG cost ~3 s.
    code = ("import sys, imbgraph.graphcls.config, imbgraph.graphcls.splits; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


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
    cfg["datasets"]["toy"]["method_training"] = {"GIN-up": {"epochs": 1}}
    jsonschema.Draft202012Validator(SCHEMA).validate(cfg)
    check(cfg)
    assert resolve_method(cfg, "GIN-up", "toy")["train"]["epochs"] == 1
    assert resolve_method(cfg, "GIN", "toy")["train"]["epochs"] == 2
    assert resolve_method(cfg, "GIN-up")["train"]["epochs"] == 5  # no dataset: section's


def test_laplacian_branch_only_on_datasets_that_compute_it():
    """Class.sh's --memory_error=True (PROTEINS, D&D) is lap_pe: false: the branch is off
    there and on elsewhere (NCI1)."""
    cfg = copy.deepcopy(TINY)
    cfg["models"]["gin"]["lap_branch"] = "official"
    cfg["datasets"]["big"] = {**cfg["datasets"]["toy"], "lap_pe": False}
    jsonschema.Draft202012Validator(SCHEMA).validate(cfg)
    assert resolve_method(cfg, "UniImb", "toy")["model"]["lap_branch"] == "official"
    assert "lap_branch" not in resolve_method(cfg, "UniImb", "big")["model"]
    assert cfg["models"]["gin"]["lap_branch"] == "official"  # the entry itself is untouched


def test_method_params_per_dataset_override_key_by_key():
    """Class.sh's per-dataset prototypes: NCI1 32/16/32 where the method says 16/8/16."""
    cfg = copy.deepcopy(TINY)
    cfg["datasets"]["toy"]["method_params"] = {"UniImb": {"n_prototypes": 8, "top_k2": 6}}
    jsonschema.Draft202012Validator(SCHEMA).validate(cfg)
    check(cfg)
    p = resolve_method(cfg, "UniImb", "toy")["params"]
    assert p == {"n_prototypes": 8, "heads": 2, "top_k2": 6, "top_k1": 4, "load": {"name": "zipf"}}
    assert resolve_method(cfg, "UniImb")["params"]["n_prototypes"] == 4  # no dataset: own


def mutate(fn):
    cfg = copy.deepcopy(TINY)
    fn(cfg)
    return cfg


@pytest.mark.parametrize("change, where", [
    (lambda c: c["methods"]["UniImb"]["params"].update(prototypes=4), "prototypes"),
    (lambda c: c["methods"]["GIN"].update(kind="smote"), "smote"),
    (lambda c: c["methods"]["UniImb"]["params"].update(load={"name": "pareto"}), "pareto"),
    (lambda c: c["methods"]["G2GNN"]["params"].update(kernel={"name": "rw"}), "rw"),
    (lambda c: c["methods"]["GIN"].update(balance={"class_weights": "focal"}), "focal"),
    (lambda c: c["models"]["gin"].update(heads=2), "heads"),
    (lambda c: c["training"].update(momentum=0.9), "momentum"),
    (lambda c: c["datasets"]["toy"]["synthetic"]["classes"][0].update(motifs={"ring": 1}), "ring"),
    (lambda c: c["datasets"]["toy"].update(node_features="onehot"), "onehot"),
    (lambda c: c["splits"]["class"].update(protocol="smote"), "smote"),
])
def test_schema_rejects_unknown_names(change, where):
    """Registry names and parameter keys are the schema's to check (the enums above)."""
    with pytest.raises(jsonschema.ValidationError, match=where):
        jsonschema.Draft202012Validator(SCHEMA).validate(mutate(change))


@pytest.mark.parametrize("change, match", [
    (lambda c: c["methods"]["GIN"].update(model="mlp"),
     r"graphcls\.methods\.GIN\.model = 'mlp' is not declared under models"),
    (lambda c: c["methods"]["UniImb"]["params"].update(top_k2=9),
     r"graphcls\.methods\.UniImb\.params\.top_k2 = 9 exceeds n_prototypes = 4"),
    (lambda c: c["methods"]["UniImb"]["params"].update(heads=3),
     r"graphcls\.methods\.UniImb\.params\.heads = 3 must divide models\.gin\.hidden"),
    (lambda c: c["methods"]["UniImb"].update(model="gps"),
     r"graphcls\.methods\.UniImb\.model = 'gps' is a 'gps'; kind 'uniimb' runs on 'gin'"),
    (lambda c: c["methods"]["GIN-up"].update(label="GIN"),
     r"graphcls\.methods\.GIN-up\.label = 'GIN' is also the label of methods\.GIN"),
    (lambda c: c["datasets"]["toy"].update(method_training={"GPS": {"epochs": 1}}),
     r"graphcls\.datasets\.toy\.method_training\.GPS: 'GPS' is not declared under methods"),
    (lambda c: c["datasets"]["toy"]["splits"].update(classes={"train": 3}),
     r"graphcls\.datasets\.toy\.splits\.classes: 'classes' is not declared under splits"),
    (lambda c: c["datasets"]["toy"]["splits"]["class"].update(train=200),
     r"graphcls\.datasets\.toy\.splits\.class: class 0 has 60 graphs but the split needs"),
    (lambda c: c["datasets"]["toy"].update(source="tu"),
     r"graphcls\.datasets\.toy\.source = 'tu' needs data_root"),
    (lambda c: c["splits"]["topology"].update(ratio=0.1),
     r"graphcls\.splits\.topology: \['ratio'\] not parameters of topology_imbalance"),
    (lambda c: c["datasets"]["toy"]["splits"]["class"].update(head_share=0.1),
     r"graphcls\.datasets\.toy\.splits\.class: \['head_share'\] not parameters of "
     r"class_imbalance"),
    (lambda c: c["models"]["gps"].update(hidden=18),
     r"graphcls\.models\.gps\.hidden = 18 must be a multiple of heads"),
    (lambda c: c["datasets"]["toy"].update(method_params={"UniImb": {"top_k2": 9}}),
     r"graphcls\.datasets\.toy\.method_params\.UniImb\.top_k2 = 9 exceeds n_prototypes = 4"),
    (lambda c: c["datasets"]["toy"].update(method_params={"GIN": {"top_k2": 2}}),
     r"graphcls\.datasets\.toy\.method_params\.GIN: \['top_k2'\] are not params of kind "
     r"'supervised'"),
    (lambda c: c["datasets"]["toy"].update(method_params={"GPS": {"heads": 2}}),
     r"graphcls\.datasets\.toy\.method_params\.GPS: 'GPS' is not declared under methods"),
    (lambda c: c["splits"]["class"].update(ratio=0.01),
     r"graphcls\.splits\.class\.ratio = 0\.01 leaves no minority graph in train "
     r"\(int\(ratio x train\) = int\(0\.01 x 30\) = 0\)"),
    (lambda c: c["datasets"]["toy"]["splits"]["class"].update(val=5),
     r"graphcls\.splits\.class\.ratio = 0\.1 leaves no minority graph in val"),
    (lambda c: c["datasets"]["toy"]["splits"]["class"].update(ratio=0.02),
     r"graphcls\.datasets\.toy\.splits\.class\.ratio = 0\.02 leaves no minority graph"),
])
def test_check_names_the_key(change, match):
    with pytest.raises(ConfigError, match=match):
        check(mutate(change))


def test_catalog_offers_datasets_methods_and_every_split():
    cat = catalog(TINY, [0, 1])
    assert cat.datasets == ["toy"] and cat.seeds == [0, 1]
    assert cat.splits("toy") == ["class", "topology"]
    assert cat.label("GIN-up") == "GIN (up-sampling)"
    same = {**TINY["methods"]["GIN"], "label": "other", "train": {"epochs": 5}}
    assert cat.spec(same) == cat.spec(TINY["methods"]["GIN"])  # label aside, defaults merged
    assert cat.spec({**same, "train": {"epochs": 6}}) != cat.spec(TINY["methods"]["GIN"])
    with pytest.raises(ConfigError, match="no sweepable hyperparameter"):
        cat.vary(TINY["methods"]["GIN"], "lr", 0.1)


def test_knn_tables_are_shared_by_equal_kernel_settings():
    cfg = copy.deepcopy(TINY)
    cfg["methods"]["G2GNN-re"] = {**cfg["methods"]["G2GNN"], "label": "G2GNN (remove edge)"}
    cfg["methods"]["G2GNN-sp"] = {"label": "G2GNN (SP)", "kind": "g2gnn", "model": "gin"}
    assert knn_spec(resolve_method(cfg, "GIN")) is None
    assert knn_spec(resolve_method(cfg, "G2GNN")) == ("wl", 2, {})
    assert knn_name(("wl", 2, {"iterations": 2, "use_labels": False})) == (
        "wl-k2-iterations2-use_labelsfalse")
    assert knn_tables(cfg) == {"wl-k2": ("wl", 2, {}), "shortest_path-k3": ("shortest_path", 3, {})}


def test_raw_files_follow_the_data_root_layout(tmp_path):
    raw = tmp_path / "tu" / "MUTAG" / "raw"
    raw.mkdir(parents=True)
    for part in ("A", "graph_indicator", "graph_labels", "node_labels"):
        (raw / f"MUTAG_{part}.txt").write_text("1\n")
    (tmp_path / "gin").mkdir()
    (tmp_path / "gin" / "DD.zip").write_bytes(b"")
    cfg = copy.deepcopy(TINY)
    cfg["data_root"] = str(tmp_path)
    cfg["datasets"]["MUTAG"] = {"source": "tu"}
    cfg["datasets"]["DD"] = {"source": "gin_text"}
    cfg["datasets"]["DD2"] = {"source": "gin_text", "name": "DD"}
    cfg["datasets"]["D3"] = {"source": "gin_text", "path": "gin/DD.txt"}
    assert raw_files(cfg, "MUTAG") == [str(raw / f"MUTAG_{p}.txt") for p in
                                       ("A", "graph_indicator", "graph_labels", "node_labels")]
    assert raw_files(cfg, "DD") == raw_files(cfg, "DD2") == [str(tmp_path / "gin" / "DD.zip")]
    assert data_path(cfg["datasets"]["D3"], tmp_path, "D3") == tmp_path / "gin" / "DD.txt"
    assert raw_files(cfg, "toy") == []
    with pytest.raises(ConfigError, match=r"graphcls\.datasets\.D3: raw file '.*gin/DD\.txt' "
                                          r"not found"):
        check(cfg)
    del cfg["datasets"]["D3"]
    check(cfg)
    cfg["datasets"]["PROTEINZ"] = {"source": "tu"}
    with pytest.raises(ConfigError, match=r"graphcls\.datasets\.PROTEINZ: TU raw folder "
                                          r"'.*tu/PROTEINZ/raw' not found"):
        check(cfg)
    (raw / "MUTAG_A.txt").unlink()
    del cfg["datasets"]["PROTEINZ"]
    with pytest.raises(ConfigError, match=r"graphcls\.datasets\.MUTAG: raw file "
                                          r"'.*MUTAG_A\.txt' not found"):
        check(cfg)


def test_tables_name_unknown_metrics():
    # the shared check_outputs, with the metrics and timings this family's catalog declares
    cat = {"graphcls": catalog(TINY, [0])}
    grid = {"task": "graphcls", "metric": ["macro_f1", "micro_f1"], "rows": ["GIN"],
            "columns": [{"dataset": "toy"}], "split": "class"}
    rows = {"task": "graphcls", "kind": "rows", "columns": [{"metric": "acc"},
                                                            {"metric": "wall_s"}],
            "rows": [{"dataset": "toy", "split": "class", "method": "GIN"}]}
    check_outputs({"tables": {"t2": grid, "t4": rows}}, cat)
    with pytest.raises(ConfigError, match=r"cfg: tables\.t2\.metric: 'f1' is not a graphcls"):
        check_outputs({"tables": {"t2": {**grid, "metric": ["macro_f1", "f1"]}}}, cat,
                      where="cfg")
    with pytest.raises(ConfigError, match=r"tables\.t2\.metric: 'wall_s'"):
        check_outputs({"tables": {"t2": {**grid, "metric": "wall_s"}}}, cat)
    with pytest.raises(ConfigError, match=r"graphcls\.methods: 'SOLT' is not a method"):
        resolve_method(TINY, "SOLT")


def test_pretrain_keys_shared_by_the_balance_variants():
    """InfoGraph, -up and -rw (and GraphCL's three) share one pre-training per dataset: the
    key reads kind, model, params.pretrain and the PE width the model reads, not the balance."""
    from imbgraph.graphcls.config import pretrain_key, pretrain_plan, pretrain_spec

    section = yaml.safe_load((ROOT / "config/config.yaml").read_text())["graphcls"]
    plan = pretrain_plan(section)
    for d in section["datasets"]:
        keys = {k: plan[(d, f"{k}{v}")]["key"] for k in ("InfoGraph", "GraphCL")
                for v in ("", "-up", "-rw")}
        assert len({plan[(d, f"InfoGraph{v}")]["key"] for v in ("", "-up", "-rw")}) == 1
        assert len({plan[(d, f"GraphCL{v}")]["key"] for v in ("", "-up", "-rw")}) == 1
        assert keys["InfoGraph"].startswith("infograph-") and keys["GraphCL"].startswith("graphcl-")
    assert {m for _, m in plan} == {f"{k}{v}" for k in ("InfoGraph", "GraphCL")
                                    for v in ("", "-up", "-rw")}
    m = resolve_method(section, "InfoGraph-up", "nci1_like")
    spec = pretrain_spec(m, 4)
    assert spec == {"kind": "infograph", "model": section["models"]["gin"],
                    "params": {"pretrain": section["methods"]["InfoGraph"]["params"]["pretrain"]},
                    "pe_dim": 4}
    key = pretrain_key(spec)
    assert key == pretrain_key(copy.deepcopy(spec)) and len(key) == len("infograph-") + 10
    assert pretrain_key(pretrain_spec(m, 3)) != key  # another PE width
    more = {**m, "params": {"pretrain": {**m["params"]["pretrain"], "epochs": 11}}}
    assert pretrain_key(pretrain_spec(more, 4)) != key
    no_pe = {**m, "model": {**m["model"], "pe_mode": "none"}}
    assert pretrain_spec(no_pe, 4)["pe_dim"] == pretrain_spec(no_pe, 7)["pe_dim"] == 0
    assert pretrain_spec(resolve_method(section, "GIN", "nci1_like"), 4) is None


def test_trace_method_runs_the_largest_budget_whatever_the_stopping_keys():
    """A traced run trains every epoch; the stopping keys cannot change it, so they are not
    part of its settings (setting a budget from the figure does not rerun the figure)."""
    from imbgraph.graphcls.config import trace_method

    cfg = copy.deepcopy(TINY)
    m = trace_method(cfg, "UniImb", "toy", 40)
    assert m["train"] == {"epochs": 40, "stopping": "none", "lr": 0.01, "weight_decay": 0.0005,
                          "batch_size": 16}
    cfg["datasets"]["toy"]["training"] = {"patience": 9, "min_epochs": 30, "window": 5}
    assert trace_method(cfg, "UniImb", "toy", 40) == m


def test_methods_of_your_own():
    """kind: plugin validates with params of its own, its module is found at start-up
    without importing it, its needs are the kind table's words, its kNN table follows its
    params, a dataset may override its params, and the rules get its code's hash."""
    cfg = copy.deepcopy(TINY)
    ref = "imbgraph.graphcls.methods.supervised:build"
    cfg["methods"]["Own"] = {"label": "Own", "kind": "plugin", "model": "gin",
                             "params": {"callable": ref, "needs": ["pe", "knn"], "k": 4,
                                        "tau": 1.5}}
    cfg["datasets"]["toy"]["method_params"] = {"Own": {"tau": 2.0}}
    jsonschema.Draft202012Validator(SCHEMA).validate(cfg)
    check(cfg)
    from imbgraph.graphcls.config import method_code, needs

    assert needs(cfg["methods"]["Own"]) == ("pe", "knn")
    assert needs(cfg["methods"]["GIN"]) == ("pe",) and needs(cfg["methods"]["G2GNN"]) == (
        "pe", "knn")
    assert knn_spec(cfg["methods"]["Own"]) == ("shortest_path", 4, {})
    assert resolve_method(cfg, "Own", "toy")["params"]["tau"] == 2.0
    code = method_code(cfg, "Own")
    assert code["callable"] == ref and len(code["sha256"]) == 64
    assert method_code(cfg, "GIN") is None
    no_needs = {**cfg["methods"]["Own"], "params": {"callable": ref}}
    assert needs(no_needs) == ("pe",)


@pytest.mark.parametrize("params, match", [
    ({"callable": "nowhere_at_all:build"},
     r"graphcls\.methods\.Own\.params\.callable = 'nowhere_at_all:build': no module named "
     r"'nowhere_at_all'"),
    ({"callable": "build"}, r"graphcls\.methods\.Own\.params\.callable = 'build'; expected "
                            r"'package\.module:attribute'"),
    ({"callable": "imbgraph.graphcls.methods.supervised:build", "needs": ["pretrain"]},
     r"graphcls\.methods\.Own\.params\.needs: 'pretrain' is not a cached input"),
])
def test_methods_of_your_own_are_checked_at_start_up(params, match):
    cfg = copy.deepcopy(TINY)
    cfg["methods"]["Own"] = {"label": "Own", "kind": "plugin", "model": "gin", "params": params}
    with pytest.raises(ConfigError, match=match):
        check(cfg)


def test_schema_of_a_plugin_entry():
    cfg = copy.deepcopy(TINY)
    cfg["methods"]["Own"] = {"label": "Own", "kind": "plugin", "model": "gin"}
    with pytest.raises(jsonschema.ValidationError, match="'params' is a required property"):
        jsonschema.Draft202012Validator(SCHEMA).validate(cfg)
    cfg["methods"]["Own"]["params"] = {"callable": "m:f", "needs": ["clusters"]}
    with pytest.raises(jsonschema.ValidationError, match="'clusters' is not one of"):
        jsonschema.Draft202012Validator(SCHEMA).validate(cfg)


def test_knn_tables_follow_a_datasets_method_params():
    cfg = copy.deepcopy(TINY)
    cfg["datasets"]["toy"]["method_params"] = {"G2GNN": {"k": 5}}
    check(cfg)
    assert knn_spec(resolve_method(cfg, "G2GNN", "toy")) == ("wl", 5, {})
    assert knn_tables(cfg) == {"wl-k5": ("wl", 5, {})}
