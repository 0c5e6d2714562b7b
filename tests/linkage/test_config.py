"""Tests of imbgraph.linkage.config (the `linkage:` section's resolution helpers and
cross-key checks, the catalog it hands to tables and figures) and of its JSON schema
workflow/schemas/linkage.schema.yaml, on deep copies of config/tiny.yaml."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from imbgraph import config as shared
from imbgraph.errors import ConfigError
from imbgraph.linkage import config as cfg

REPO = Path(__file__).resolve().parents[2]
SCHEMA = str(REPO / "workflow" / "schemas" / "linkage.schema.yaml")
_TINY = yaml.safe_load((REPO / "config" / "tiny.yaml").read_text())
_DEFAULT = yaml.safe_load((REPO / "config" / "config.yaml").read_text())


@pytest.fixture
def tiny():
    return copy.deepcopy(_TINY)


@pytest.fixture
def default():
    return copy.deepcopy(_DEFAULT)


def write_pair(tmp_path: Path, n: int, dim: int, *, extra_bytes: int = 0, name: str = "part"):
    feats = np.random.default_rng(0).normal(size=(n, dim)).astype("<f4")
    fpath, lpath = tmp_path / f"{name}.bin", tmp_path / f"{name}.meta"
    fpath.write_bytes(feats.tobytes() + b"\0" * extra_bytes)
    lpath.write_text("".join(f"{i % 3}\n" for i in range(n)))
    return {"features": str(fpath), "labels": str(lpath)}


def l2c_config(tiny, train: dict, test: dict, dim: int = 4) -> dict:
    """The tiny linkage section with faces read from learn-to-cluster files."""
    tiny = tiny["linkage"]
    tiny["datasets"]["faces"] = {
        "source": "learn_to_cluster",
        "dim": dim,
        "train": train,
        "test": test,
        "subsets": {"heads": [5], "tails": [2, 3], "seed": 0},
    }
    return tiny


# --- resolution helpers -------------------------------------------------------------------


def test_subset_specs(tiny, default):
    assert cfg.subset_specs(tiny["linkage"], "faces") == {"H5_S2": (5, 2), "H5_S3": (5, 3)}
    specs = cfg.subset_specs(default["linkage"], "faces")
    assert len(specs) == 8
    assert specs["H100_S5"] == (100, 5)
    del tiny["linkage"]["datasets"]["faces"]["subsets"]
    assert cfg.subset_specs(tiny["linkage"], "faces") == {}


def test_train_splits(tiny):
    assert cfg.train_splits(tiny["linkage"], "faces") == ["train", "H5_S2", "H5_S3"]
    del tiny["linkage"]["datasets"]["faces"]["subsets"]
    assert cfg.train_splits(tiny["linkage"], "faces") == ["train"]


def test_ips_params_test_split_has_gamma_one(tiny):
    tiny["linkage"]["subgraphs"]["test"] = {"k1": 7, "k2": 4, "u": 2}
    assert cfg.ips_params(tiny["linkage"], "faces", "test") == {"k1": 7, "k2": 4, "u": 2, "gamma": 1.0}


@pytest.mark.parametrize("split", ["train", "H5_S2"])
def test_ips_params_training_splits_use_max_gamma(tiny, split):
    tiny["linkage"]["subgraphs"]["train"] = {"k1": 6, "k2": 3, "u": 2, "max_gamma": 3}
    p = cfg.ips_params(tiny["linkage"], "faces", split)
    assert p == {"k1": 6, "k2": 3, "u": 2, "gamma": 3.0}
    assert isinstance(p["gamma"], float)


def test_knn_k(tiny):
    tiny["linkage"]["subgraphs"]["train"] = {"k1": 5, "k2": 3, "u": 3, "max_gamma": 2.5}
    tiny["linkage"]["subgraphs"]["test"] = {"k1": 5, "k2": 3, "u": 3}
    assert cfg.knn_k(tiny["linkage"], "faces", "train") == 13  # ceil(5 * 2.5)
    assert cfg.knn_k(tiny["linkage"], "faces", "H5_S3") == 13
    assert cfg.knn_k(tiny["linkage"], "faces", "test") == 5
    # An exact product is not rounded up by float noise: 10 * 1.1 = 11.000000000000002.
    tiny["linkage"]["subgraphs"]["train"] = {"k1": 10, "k2": 3, "u": 3, "max_gamma": 1.1}
    assert cfg.knn_k(tiny["linkage"], "faces", "train") == 11
    # k2 or u larger than the candidate count wins.
    tiny["linkage"]["subgraphs"]["test"] = {"k1": 2, "k2": 9, "u": 4}
    assert cfg.knn_k(tiny["linkage"], "faces", "test") == 9
    tiny["linkage"]["subgraphs"]["test"] = {"k1": 2, "k2": 3, "u": 6}
    assert cfg.knn_k(tiny["linkage"], "faces", "test") == 6


def test_resolve_method_merges_training_defaults(tiny):
    tiny["linkage"]["methods"]["RIWS"]["train"] = {"epochs": 5, "lr": 0.01}
    r = cfg.resolve_method(tiny["linkage"], "RIWS")
    assert r["label"] == "RIWS"
    assert r["model"] == {"name": "lgcn", "hidden": [16, 16, 8, 8], "head": 8}
    assert r["sampler"] == {"name": "riws", "gamma": 2.0}
    assert r["loss"] == {"name": "ce"}
    assert r["train"] == {**_TINY["linkage"]["training"], "epochs": 5, "lr": 0.01}
    # The config itself is left alone.
    assert tiny["linkage"]["training"] == _TINY["linkage"]["training"]
    assert cfg.resolve_method(tiny["linkage"], "L-GCN")["train"] == _TINY["linkage"]["training"]


def test_resolve_method_label_falls_back_to_key(tiny):
    del tiny["linkage"]["methods"]["FL-RS"]["label"]
    assert cfg.resolve_method(tiny["linkage"], "FL-RS")["label"] == "FL-RS"
    assert cfg.resolve_method(tiny["linkage"], "L-GCN")["label"] == "L-GCN"


# --- cross-key checks ---------------------------------------------------------------------


def test_check_accepts_shipped_configs(tiny, default):
    cfg.check(tiny["linkage"])
    cfg.check(default["linkage"])
    paper = yaml.safe_load((REPO / "config" / "paper.yaml").read_text())
    validate(paper["linkage"], SCHEMA)


def check_fails(section, *patterns: str) -> str:
    with pytest.raises(ConfigError) as info:
        cfg.check(section, where="my.yaml: linkage")
    msg = str(info.value)
    assert msg.startswith("my.yaml: linkage: "), msg
    for p in patterns:
        assert re.search(p, msg), f"{p!r} not in {msg!r}"
    return msg


def test_check_undeclared_model(tiny):
    tiny["linkage"]["methods"]["RIWS"]["model"] = "gcnv"
    check_fails(tiny["linkage"], r"methods\.RIWS\.model", "'gcnv'", "not declared under models")


def test_check_riws_gamma_above_max_gamma(tiny):
    tiny["linkage"]["methods"]["RIWS"]["sampler"]["gamma"] = 2.5
    check_fails(tiny["linkage"], r"methods\.RIWS\.sampler", r"subgraphs\.train\.max_gamma = 2\.0",
                "2.5")


def test_check_rs_ratio_above_max_gamma(tiny):
    tiny["linkage"]["subgraphs"]["train"]["max_gamma"] = 1.1
    tiny["linkage"]["methods"]["RIWS"]["sampler"]["gamma"] = 1.1  # at the limit: fine
    tiny["linkage"]["methods"]["FL-RS"]["sampler"]["ratio"] = 1.2
    check_fails(tiny["linkage"], r"methods\.FL-RS\.sampler", r"max_gamma = 1\.1")


def test_check_sampler_at_max_gamma_passes(tiny):
    sec = tiny["linkage"]
    sec["methods"]["RIWS"]["sampler"]["gamma"] = sec["subgraphs"]["train"]["max_gamma"]
    cfg.check(sec)


def test_check_duplicate_labels(tiny):
    tiny["linkage"]["methods"]["FL-RS"]["label"] = "RIWS"
    check_fails(tiny["linkage"], "duplicate labels", "'RIWS'")


def test_check_duplicate_label_via_key_fallback(tiny):
    del tiny["linkage"]["methods"]["RIWS"]["label"]
    tiny["linkage"]["methods"]["FL-RS"]["label"] = "RIWS"
    check_fails(tiny["linkage"], r"methods: duplicate labels \['RIWS'\]")


def test_check_learn_to_cluster_ok(tiny, tmp_path):
    train = write_pair(tmp_path, 6, 4, name="train")
    test = write_pair(tmp_path, 5, 4, name="test")
    cfg.check(l2c_config(tiny, train, test))
    validate(l2c_config(tiny, train, test), SCHEMA)


@pytest.mark.parametrize("missing", ["features", "labels"])
def test_check_learn_to_cluster_missing_file(tiny, tmp_path, missing):
    train = write_pair(tmp_path, 6, 4, name="train")
    test = write_pair(tmp_path, 5, 4, name="test")
    Path(test[missing]).unlink()
    msg = check_fails(l2c_config(tiny, train, test), rf"datasets\.faces\.test\.{missing}",
                      "file not found")
    assert test[missing] in msg


def test_check_learn_to_cluster_wrong_bin_size(tiny, tmp_path):
    train = write_pair(tmp_path, 6, 4, extra_bytes=4, name="train")  # 6 x 4 x 4 + 4
    test = write_pair(tmp_path, 5, 4, name="test")
    msg = check_fails(l2c_config(tiny, train, test), r"datasets\.faces\.train\.features",
                      "is 100 bytes", r"6 x 4 x 4 = 96")
    assert train["features"] in msg


def test_check_learn_to_cluster_dim_mismatch(tiny, tmp_path):
    train = write_pair(tmp_path, 6, 4, name="train")
    test = write_pair(tmp_path, 5, 4, name="test")
    check_fails(l2c_config(tiny, train, test, dim=3), r"datasets\.faces\.train\.features",
                r"6 x 3 x 4 = 72")


# --- JSON schema --------------------------------------------------------------------------


def test_schema_accepts_shipped_configs(tiny, default):
    validate(tiny["linkage"], SCHEMA)
    validate(default["linkage"], SCHEMA)


def schema_fails(section, *needles: str) -> str:
    with pytest.raises(WorkflowError) as info:
        validate(section, SCHEMA)
    msg = str(info.value)
    for n in needles:
        assert n in msg, f"{n!r} not in {msg!r}"
    return msg


def test_schema_unknown_sampler(tiny):
    tiny["linkage"]["methods"]["RIWS"]["sampler"] = {"name": "smote", "gamma": 2.0}
    schema_fails(tiny["linkage"], "'smote'", "['methods']['RIWS']['sampler']")


def test_schema_unknown_loss(tiny):
    tiny["linkage"]["methods"]["L-GCN"]["loss"] = {"name": "hinge"}
    schema_fails(tiny["linkage"], "'hinge'", "['methods']['L-GCN']['loss']")


def test_schema_unknown_model_name(tiny):
    tiny["linkage"]["models"]["lgcn"]["name"] = "gcnv"
    schema_fails(tiny["linkage"], "'gcnv'", "['models']['lgcn']['name']")


def test_schema_unknown_clusterer(tiny):
    tiny["linkage"]["clusterers"]["kmeans"]["name"] = "spectral"
    schema_fails(tiny["linkage"], "'spectral'", "['clusterers']['kmeans']['name']")


@pytest.mark.parametrize("gamma", [1.0, 0.8])
def test_schema_riws_gamma_must_exceed_one(tiny, gamma):
    tiny["linkage"]["methods"]["RIWS"]["sampler"]["gamma"] = gamma
    schema_fails(tiny["linkage"], str(gamma), "['methods']['RIWS']['sampler']['gamma']")


@pytest.mark.parametrize("ratio", [1.0, 0.5])
def test_schema_rs_ratio_must_exceed_one(tiny, ratio):
    tiny["linkage"]["methods"]["FL-RS"]["sampler"]["ratio"] = ratio
    schema_fails(tiny["linkage"], str(ratio), "['methods']['FL-RS']['sampler']['ratio']")


def test_schema_riws_requires_gamma(tiny):
    del tiny["linkage"]["methods"]["RIWS"]["sampler"]["gamma"]
    schema_fails(tiny["linkage"], "'gamma' is a required property")


def test_schema_unknown_key(tiny):
    tiny["linkage"]["sedds"] = [0]
    schema_fails(tiny["linkage"], "'sedds' was unexpected")


def test_schema_rgcn_has_one_width(tiny):
    tiny["linkage"]["models"]["rgcn16"]["hidden"] = [16, 16]  # RGCN: one width for every block
    schema_fails(tiny["linkage"], "['models']['rgcn16']")


def test_schema_learn_to_cluster_dataset(tiny, tmp_path):
    files = {"features": "a.bin", "labels": "a.meta"}
    validate(l2c_config(tiny, files, files), SCHEMA)
    del tiny["linkage"]["datasets"]["faces"]["dim"]
    schema_fails(tiny["linkage"], "'dim' is a required property")


# --- per-dataset settings, the gamma sweep, the catalog ------------------------------------


def test_dataset_overrides_subgraphs_and_propagation(tiny):
    sec = tiny["linkage"]
    # fashion declares k = 3/3/3 and its own propagation; faces uses the section's blocks.
    assert cfg.ips_params(sec, "fashion", "test") == {"k1": 3, "k2": 3, "u": 3, "gamma": 1.0}
    assert cfg.ips_params(sec, "fashion", "H3_S2")["gamma"] == 2.0
    assert cfg.knn_k(sec, "fashion", "train") == 6
    assert cfg.ips_params(sec, "faces", "test") == {"k1": 5, "k2": 3, "u": 3, "gamma": 1.0}
    assert cfg.propagation(sec, "fashion") == {"max_size": 20, "step": 0.5, "max_iter": None}
    assert cfg.propagation(sec, "faces") == {"max_size": 30, "step": 0.6, "max_iter": None}
    # A dataset may override only one of train / test.
    sec["datasets"]["faces"]["subgraphs"] = {"test": {"k1": 9, "k2": 2, "u": 2}}
    assert cfg.ips_params(sec, "faces", "test")["k1"] == 9
    assert cfg.ips_params(sec, "faces", "train")["k1"] == 5


def test_method_must_fit_every_datasets_max_gamma(tiny):
    tiny["linkage"]["datasets"]["fashion"]["subgraphs"]["train"]["max_gamma"] = 1.5
    check_fails(tiny["linkage"], r"methods\.RIWS\.sampler",
                r"max_gamma = 1\.5 \(the smallest over datasets\)")


def test_vary_method_at_gamma_one_is_the_knn_sampler(tiny):
    riws = tiny["linkage"]["methods"]["RIWS"]
    assert cfg.vary_method(riws, "gamma", 1.0)["sampler"] == {"name": "knn"}
    assert cfg.vary_method(riws, "gamma", 1.5)["sampler"] == {"name": "riws", "gamma": 1.5}
    rs = tiny["linkage"]["methods"]["FL-RS"]
    assert cfg.vary_method(rs, "gamma", 2.0)["sampler"] == {"name": "rs", "ratio": 2.0}
    assert cfg.vary_method(rs, "gamma", 2.0)["loss"] == rs["loss"]  # the loss is kept
    with pytest.raises(ConfigError, match="'knn' has no expansion coefficient"):
        cfg.vary_method(tiny["linkage"]["methods"]["L-GCN"], "gamma", 1.5)
    with pytest.raises(ConfigError, match="sweep 'gamma' only, not 'lr'"):
        cfg.vary_method(riws, "lr", 0.1)


def catalog(tiny):
    return cfg.catalog(tiny["linkage"], tiny["seeds"])


def test_catalog_describes_the_section(tiny):
    cat = catalog(tiny)
    assert cat.datasets == ["faces", "fashion"]
    assert cat.splits("faces") == ["train", "H5_S2", "H5_S3"]
    assert cat.label("FL-RS") == "FL (w/ RS)" and cat.seeds == [0, 1]
    assert cat.row_kinds == ("clusterer",)
    cat.check_row({"dataset": "faces", "clusterer": "kmeans"}, "rows[0]")
    with pytest.raises(ConfigError, match=r"rows\[0\]\.clusterer = 'spectral' is not declared"):
        cat.check_row({"dataset": "faces", "clusterer": "spectral"}, "rows[0]")


def test_sweep_methods_reuse_declared_runs(tiny):
    fig = {"methods": ["RIWS", "FL-RS"], "sweep": {"param": "gamma", "values": [1.0, 1.2, 2.0]}}
    sweep = shared.sweep_methods(catalog(tiny), fig)
    # RIWS at 1: the L-GCN baseline (kNN sampler, CE loss); at 2.0: RIWS itself.
    assert sweep["RIWS"] == {1.0: "L-GCN", 1.2: "RIWS-gamma1.2", 2.0: "RIWS"}
    # FL-RS at 1 is a kNN sampler with focal loss: no declared method trains that.
    assert sweep["FL-RS"] == {1.0: "FL-RS-gamma1", 1.2: "FL-RS", 2.0: "FL-RS-gamma2"}


def test_with_sweep_methods_declares_only_new_points(tiny):
    methods = shared.with_sweep_methods(catalog(tiny), tiny["figures"])  # RIWS at 1, 1.5, 2
    assert set(methods) - set(tiny["linkage"]["methods"]) == {"RIWS-gamma1.5"}
    new = methods["RIWS-gamma1.5"]
    assert new["sampler"] == {"name": "riws", "gamma": 1.5}
    assert new["label"] == "RIWS (gamma=1.5)"
    assert new["model"] == "lgcn" and new["loss"] == {"name": "ce"}


def test_check_figure_gammas(tiny):
    sec, figures = tiny["linkage"], tiny["figures"]
    cfg.check_figure_gammas(sec, figures)
    figures["figure3"]["sweep"]["values"] = [1.0, 3.0]
    with pytest.raises(ConfigError, match=r"figures\.figure3\.sweep\.values reach 3\.0"):
        cfg.check_figure_gammas(sec, figures)
    figures["figure3"]["sweep"]["values"] = [1.0]
    figures["figure3"]["methods"] = ["L-GCN"]
    with pytest.raises(ConfigError, match="'L-GCN' uses sampler 'knn'"):
        cfg.check_figure_gammas(sec, figures)


def test_table_and_figure_checks_with_the_linkage_catalog(tiny):
    cats = {"linkage": catalog(tiny)}
    shared.check_outputs(tiny, cats)
    rows = tiny["tables"]["table3"]["rows"]
    rows.append({"dataset": "faces", "split": "H9_S9", "method": "L-GCN"})
    with pytest.raises(ConfigError, match=r"tables\.table3\.rows\[3\]: split 'H9_S9'"):
        shared.check_outputs(tiny, cats)
    rows[-1] = {"dataset": "faces", "clusterer": "spectral"}
    with pytest.raises(ConfigError, match=r"rows\[3\]\.clusterer = 'spectral'"):
        shared.check_outputs(tiny, cats)
    rows[-1] = {"dataset": "faces", "split": "test", "method": "L-GCN"}  # test is no run split
    with pytest.raises(ConfigError, match="'test' is not a run split of 'faces'"):
        shared.check_outputs(tiny, cats)
    del rows[-1]
    tiny["linkage"]["methods"]["RIWS-gamma1.5"] = {
        "model": "lgcn", "sampler": {"name": "knn"}, "loss": {"name": "cb"}, "label": "other"}
    with pytest.raises(ConfigError, match="sweep point RIWS at gamma = 1.5 .* other settings"):
        shared.check_outputs(tiny, {"linkage": catalog(tiny)})


# --- the schema's enums are the registries ----------------------------------------------------


def enum_at(schema: dict, *path: str) -> set:
    node = schema
    for key in path:
        node = node[key]
    return set(node["enum"])


def test_schema_enums_equal_the_registries():
    # check() leaves registry names to the schema, so the two must never drift apart.
    from imbgraph.clustering.classic import CLUSTERERS
    from imbgraph.linkage.models import MODELS
    from imbgraph.linkage.samplers import SAMPLERS
    from imbgraph.losses import LOSSES

    schema = yaml.safe_load(Path(SCHEMA).read_text())
    defs, props = schema["definitions"], schema["properties"]
    assert enum_at(defs, "sampler", "properties", "name") == set(SAMPLERS)
    assert enum_at(defs, "loss", "properties", "name") == set(LOSSES)
    assert enum_at(props, "models", "additionalProperties", "properties", "name") == set(MODELS)
    assert enum_at(props, "clusterers", "additionalProperties", "properties",
                   "name") == set(CLUSTERERS)
