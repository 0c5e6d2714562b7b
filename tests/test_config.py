"""Tests of imbgraph.config (resolution helpers and cross-key checks) and of the JSON schema
workflow/schemas/config.schema.yaml, on deep copies of config/tiny.yaml."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from imbgraph import config as cfg
from imbgraph.config import ConfigError

REPO = Path(__file__).resolve().parents[1]
SCHEMA = str(REPO / "workflow" / "schemas" / "config.schema.yaml")
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
    assert cfg.subset_specs(tiny, "faces") == {"H5_S2": (5, 2), "H5_S3": (5, 3)}
    specs = cfg.subset_specs(default, "faces")
    assert len(specs) == 8
    assert specs["H100_S5"] == (100, 5)
    del tiny["datasets"]["faces"]["subsets"]
    assert cfg.subset_specs(tiny, "faces") == {}


def test_train_splits(tiny):
    assert cfg.train_splits(tiny, "faces") == ["train", "H5_S2", "H5_S3"]
    del tiny["datasets"]["faces"]["subsets"]
    assert cfg.train_splits(tiny, "faces") == ["train"]


def test_ips_params_test_split_has_gamma_one(tiny):
    tiny["subgraphs"]["test"] = {"k1": 7, "k2": 4, "u": 2}
    assert cfg.ips_params(tiny, "faces", "test") == {"k1": 7, "k2": 4, "u": 2, "gamma": 1.0}


@pytest.mark.parametrize("split", ["train", "H5_S2"])
def test_ips_params_training_splits_use_max_gamma(tiny, split):
    tiny["subgraphs"]["train"] = {"k1": 6, "k2": 3, "u": 2, "max_gamma": 3}
    p = cfg.ips_params(tiny, "faces", split)
    assert p == {"k1": 6, "k2": 3, "u": 2, "gamma": 3.0}
    assert isinstance(p["gamma"], float)


def test_knn_k(tiny):
    tiny["subgraphs"]["train"] = {"k1": 5, "k2": 3, "u": 3, "max_gamma": 2.5}
    tiny["subgraphs"]["test"] = {"k1": 5, "k2": 3, "u": 3}
    assert cfg.knn_k(tiny, "faces", "train") == 13  # ceil(5 * 2.5)
    assert cfg.knn_k(tiny, "faces", "H5_S3") == 13
    assert cfg.knn_k(tiny, "faces", "test") == 5
    # An exact product is not rounded up by float noise: 10 * 1.1 = 11.000000000000002.
    tiny["subgraphs"]["train"] = {"k1": 10, "k2": 3, "u": 3, "max_gamma": 1.1}
    assert cfg.knn_k(tiny, "faces", "train") == 11
    # k2 or u larger than the candidate count wins.
    tiny["subgraphs"]["test"] = {"k1": 2, "k2": 9, "u": 4}
    assert cfg.knn_k(tiny, "faces", "test") == 9
    tiny["subgraphs"]["test"] = {"k1": 2, "k2": 3, "u": 6}
    assert cfg.knn_k(tiny, "faces", "test") == 6


def test_resolve_method_merges_training_defaults(tiny):
    tiny["methods"]["RIWS"]["train"] = {"epochs": 5, "lr": 0.01}
    r = cfg.resolve_method(tiny, "RIWS")
    assert r["label"] == "RIWS"
    assert r["model"] == {"name": "lgcn", "hidden": [16, 16, 8, 8], "head": 8}
    assert r["sampler"] == {"name": "riws", "gamma": 2.0}
    assert r["loss"] == {"name": "ce"}
    assert r["train"] == {**_TINY["training"], "epochs": 5, "lr": 0.01}
    # The config itself is left alone.
    assert tiny["training"] == _TINY["training"]
    assert cfg.resolve_method(tiny, "L-GCN")["train"] == _TINY["training"]


def test_resolve_method_label_falls_back_to_key(tiny):
    del tiny["methods"]["FL-RS"]["label"]
    assert cfg.resolve_method(tiny, "FL-RS")["label"] == "FL-RS"
    assert cfg.resolve_method(tiny, "L-GCN")["label"] == "L-GCN"


# --- cross-key checks ---------------------------------------------------------------------


def test_check_accepts_shipped_configs(tiny, default):
    cfg.check(tiny)
    cfg.check(default)


def check_fails(config, *patterns: str, prefix: bool = True) -> str:
    with pytest.raises(ConfigError) as info:
        cfg.check(config, configfile="my.yaml")
    msg = str(info.value)
    if prefix:  # (learn-to-cluster file errors are raised without the config file name)
        assert msg.startswith("my.yaml: "), msg
    for p in patterns:
        assert re.search(p, msg), f"{p!r} not in {msg!r}"
    return msg


def test_check_undeclared_model(tiny):
    tiny["methods"]["RIWS"]["model"] = "gcnv"
    check_fails(tiny, r"methods\.RIWS\.model", "'gcnv'", "not declared under models")


def test_check_riws_gamma_above_max_gamma(tiny):
    tiny["methods"]["RIWS"]["sampler"]["gamma"] = 2.5
    check_fails(tiny, r"methods\.RIWS\.sampler", r"subgraphs\.train\.max_gamma = 2\.0", "2.5")


def test_check_rs_ratio_above_max_gamma(tiny):
    tiny["subgraphs"]["train"]["max_gamma"] = 1.1
    tiny["methods"]["RIWS"]["sampler"]["gamma"] = 1.1  # at the limit: fine
    tiny["methods"]["FL-RS"]["sampler"]["ratio"] = 1.2
    check_fails(tiny, r"methods\.FL-RS\.sampler", r"max_gamma = 1\.1")


def test_check_sampler_at_max_gamma_passes(tiny):
    tiny["methods"]["RIWS"]["sampler"]["gamma"] = tiny["subgraphs"]["train"]["max_gamma"]
    cfg.check(tiny)


def test_check_duplicate_labels(tiny):
    tiny["methods"]["FL-RS"]["label"] = "RIWS"
    check_fails(tiny, "duplicate labels", "'RIWS'")


def test_check_duplicate_label_via_key_fallback(tiny):
    del tiny["methods"]["RIWS"]["label"]
    tiny["methods"]["FL-RS"]["label"] = "RIWS"
    check_fails(tiny, r"methods: duplicate labels \['RIWS'\]")


def test_check_table_row_not_a_method(tiny):
    tiny["tables"]["table1"]["rows"].append("CB")
    check_fails(tiny, r"tables\.table1\.rows", "'CB' is not a method")


def test_check_table_column_not_a_training_split(tiny):
    tiny["tables"]["table1"]["columns"].append({"split": "H9_S9"})
    check_fails(tiny, r"tables\.table1\.columns", "'H9_S9'", "training split")


def test_check_table_column_test_split_rejected(tiny):
    tiny["tables"]["table1"]["columns"] = [{"split": "test"}]
    check_fails(tiny, r"tables\.table1\.columns", "'test'")


def test_check_table_unknown_dataset(tiny):
    tiny["tables"]["table1"]["dataset"] = "cars"
    check_fails(tiny, r"tables\.table1\.dataset", "'cars'")


def test_check_learn_to_cluster_ok(tiny, tmp_path):
    train = write_pair(tmp_path, 6, 4, name="train")
    test = write_pair(tmp_path, 5, 4, name="test")
    cfg.check(l2c_config(tiny, train, test))


@pytest.mark.parametrize("missing", ["features", "labels"])
def test_check_learn_to_cluster_missing_file(tiny, tmp_path, missing):
    train = write_pair(tmp_path, 6, 4, name="train")
    test = write_pair(tmp_path, 5, 4, name="test")
    Path(test[missing]).unlink()
    msg = check_fails(l2c_config(tiny, train, test), rf"datasets\.faces\.test\.{missing}",
                      "file not found", prefix=False)
    assert test[missing] in msg


def test_check_learn_to_cluster_wrong_bin_size(tiny, tmp_path):
    train = write_pair(tmp_path, 6, 4, extra_bytes=4, name="train")  # 6 x 4 x 4 + 4
    test = write_pair(tmp_path, 5, 4, name="test")
    msg = check_fails(l2c_config(tiny, train, test), r"datasets\.faces\.train\.features",
                      "is 100 bytes", r"6 x 4 x 4 = 96", prefix=False)
    assert train["features"] in msg


def test_check_learn_to_cluster_dim_mismatch(tiny, tmp_path):
    train = write_pair(tmp_path, 6, 4, name="train")
    test = write_pair(tmp_path, 5, 4, name="test")
    check_fails(l2c_config(tiny, train, test, dim=3), r"datasets\.faces\.train\.features",
                r"6 x 3 x 4 = 72", prefix=False)


# --- JSON schema --------------------------------------------------------------------------


def test_schema_accepts_shipped_configs(tiny, default):
    validate(tiny, SCHEMA)
    validate(default, SCHEMA)


def schema_fails(config, *needles: str) -> str:
    with pytest.raises(WorkflowError) as info:
        validate(config, SCHEMA)
    msg = str(info.value)
    for n in needles:
        assert n in msg, f"{n!r} not in {msg!r}"
    return msg


def test_schema_unknown_sampler(tiny):
    tiny["methods"]["RIWS"]["sampler"] = {"name": "smote", "gamma": 2.0}
    schema_fails(tiny, "'smote'", "['methods']['RIWS']['sampler']")


def test_schema_unknown_loss(tiny):
    tiny["methods"]["L-GCN"]["loss"] = {"name": "hinge"}
    schema_fails(tiny, "'hinge'", "['methods']['L-GCN']['loss']")


def test_schema_unknown_model_name(tiny):
    tiny["models"]["lgcn"]["name"] = "gcnv"
    schema_fails(tiny, "'gcnv'", "['models']['lgcn']['name']")


@pytest.mark.parametrize("gamma", [1.0, 0.8])
def test_schema_riws_gamma_must_exceed_one(tiny, gamma):
    tiny["methods"]["RIWS"]["sampler"]["gamma"] = gamma
    schema_fails(tiny, str(gamma), "['methods']['RIWS']['sampler']['gamma']")


@pytest.mark.parametrize("ratio", [1.0, 0.5])
def test_schema_rs_ratio_must_exceed_one(tiny, ratio):
    tiny["methods"]["FL-RS"]["sampler"]["ratio"] = ratio
    schema_fails(tiny, str(ratio), "['methods']['FL-RS']['sampler']['ratio']")


def test_schema_riws_requires_gamma(tiny):
    del tiny["methods"]["RIWS"]["sampler"]["gamma"]
    schema_fails(tiny, "'gamma' is a required property")


def test_schema_unknown_top_level_key(tiny):
    tiny["sedds"] = [0]
    schema_fails(tiny, "'sedds' was unexpected")


def test_schema_learn_to_cluster_dataset(tiny, tmp_path):
    files = {"features": "a.bin", "labels": "a.meta"}
    validate(l2c_config(tiny, files, files), SCHEMA)
    del tiny["datasets"]["faces"]["dim"]
    schema_fails(tiny, "'dim' is a required property")


# --- per-dataset settings, the gamma sweep, new table kinds ---------------------------------


def test_dataset_overrides_subgraphs_and_propagation(tiny):
    # fashion declares k = 3/3/3 and its own propagation; faces uses the global blocks.
    assert cfg.ips_params(tiny, "fashion", "test") == {"k1": 3, "k2": 3, "u": 3, "gamma": 1.0}
    assert cfg.ips_params(tiny, "fashion", "H3_S2")["gamma"] == 2.0
    assert cfg.knn_k(tiny, "fashion", "train") == 6
    assert cfg.ips_params(tiny, "faces", "test") == {"k1": 5, "k2": 3, "u": 3, "gamma": 1.0}
    assert cfg.propagation(tiny, "fashion") == {"max_size": 20, "step": 0.5, "max_iter": None}
    assert cfg.propagation(tiny, "faces") == {"max_size": 30, "step": 0.6, "max_iter": None}
    # A dataset may override only one of train / test.
    tiny["datasets"]["faces"]["subgraphs"] = {"test": {"k1": 9, "k2": 2, "u": 2}}
    assert cfg.ips_params(tiny, "faces", "test")["k1"] == 9
    assert cfg.ips_params(tiny, "faces", "train")["k1"] == 5


def test_method_must_fit_every_datasets_max_gamma(tiny):
    tiny["datasets"]["fashion"]["subgraphs"]["train"]["max_gamma"] = 1.5
    check_fails(tiny, r"methods\.RIWS\.sampler", r"max_gamma = 1\.5 \(the smallest over datasets\)")


def test_gpu_per_job(tiny):
    tiny["gpu_per_job"] = 0
    assert cfg.gpu_per_job(tiny) == 0
    tiny["gpu_per_job"] = 1
    assert cfg.gpu_per_job(tiny) == 1


def test_sweep_method_at_gamma_one_is_the_knn_sampler(tiny):
    riws = tiny["methods"]["RIWS"]
    assert cfg.sweep_method(riws, 1.0)["sampler"] == {"name": "knn"}
    assert cfg.sweep_method(riws, 1.5)["sampler"] == {"name": "riws", "gamma": 1.5}
    rs = tiny["methods"]["FL-RS"]
    assert cfg.sweep_method(rs, 2.0)["sampler"] == {"name": "rs", "ratio": 2.0}
    assert cfg.sweep_method(rs, 2.0)["loss"] == rs["loss"]  # the loss is kept
    with pytest.raises(ConfigError, match="'knn' has no expansion coefficient"):
        cfg.sweep_method(tiny["methods"]["L-GCN"], 1.5)


def test_sweep_methods_reuse_declared_runs(tiny):
    fig = {"methods": ["RIWS", "FL-RS"], "gammas": [1.0, 1.2, 2.0]}
    sweep = cfg.sweep_methods(tiny, fig)
    # RIWS at 1: the L-GCN baseline (kNN sampler, CE loss); at 2.0: RIWS itself.
    assert sweep["RIWS"] == {1.0: "L-GCN", 1.2: "RIWS-g1.2", 2.0: "RIWS"}
    # FL-RS at 1 is a kNN sampler with focal loss: no declared method trains that.
    assert sweep["FL-RS"] == {1.0: "FL-RS-g1", 1.2: "FL-RS", 2.0: "FL-RS-g2"}


def test_with_sweep_methods_declares_only_new_points(tiny):
    methods = cfg.with_sweep_methods(tiny)  # figure3: RIWS at 1.0, 1.5, 2.0
    assert set(methods) - set(tiny["methods"]) == {"RIWS-g1.5"}
    new = methods["RIWS-g1.5"]
    assert new["sampler"] == {"name": "riws", "gamma": 1.5}
    assert new["label"] == "RIWS (gamma=1.5)"
    assert new["model"] == "lgcn" and new["loss"] == {"name": "ce"}


def test_check_figure_errors(tiny):
    tiny["figures"]["figure3"]["gammas"] = [1.0, 3.0]
    check_fails(tiny, r"figures\.figure3\.gammas reach 3\.0", "raise max_gamma")
    tiny["figures"]["figure3"]["gammas"] = [1.0]
    tiny["figures"]["figure3"]["methods"] = ["L-GCN"]
    check_fails(tiny, r"figures\.figure3\.methods", "'L-GCN' uses sampler 'knn'")
    tiny["figures"]["figure3"]["methods"] = ["RIWS"]
    tiny["figures"]["figure3"]["table"] = "table3"
    check_fails(tiny, r"figures\.figure3\.table = 'table3'", "grid table of dataset 'faces'")


def test_check_figure_name_clash(tiny):
    tiny["methods"]["RIWS-g1.5"] = {"model": "lgcn", "sampler": {"name": "knn"},
                                    "loss": {"name": "cb"}, "label": "other"}
    check_fails(tiny, "sweep point RIWS at gamma 1.5", "'RIWS-g1.5'", "other settings")


def test_check_rows_table_errors(tiny):
    rows = tiny["tables"]["table3"]["rows"]
    rows.append({"dataset": "faces", "split": "H9_S9", "method": "L-GCN"})
    check_fails(tiny, r"tables\.table3\.rows\[3\]", "'H9_S9'")
    rows[-1] = {"dataset": "faces", "clusterer": "spectral"}
    check_fails(tiny, r"tables\.table3\.rows\[3\]\.clusterer = 'spectral'", "not declared")
    rows[-1] = {"dataset": "cars", "clusterer": "kmeans"}
    check_fails(tiny, r"tables\.table3\.rows\[3\]\.dataset = 'cars'")


def test_schema_rejects_bad_new_entries(tiny):
    tiny["models"]["rgcn16"]["hidden"] = [16, 16]  # RGCN: one width for every block
    with pytest.raises(WorkflowError):
        validate(tiny, SCHEMA)
    tiny["models"]["rgcn16"]["hidden"] = 16
    tiny["tables"]["table3"]["rows"][0]["clusterer"] = "kmeans"  # both method and clusterer
    with pytest.raises(WorkflowError):
        validate(tiny, SCHEMA)
    del tiny["tables"]["table3"]["rows"][0]["clusterer"]
    tiny["clusterers"]["kmeans"]["name"] = "spectral"
    with pytest.raises(WorkflowError):
        validate(tiny, SCHEMA)
