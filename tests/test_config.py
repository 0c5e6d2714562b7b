"""Tests of imbgraph.config: the table and figure checks against a family's catalog, sweeps,
seeds and the GPU resource, and the shared keys' JSON schema (config.schema.yaml). A small
hand-made catalog stands in for a family, so nothing here depends on one."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from imbgraph import config as cfg
from imbgraph.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
SCHEMA = str(REPO / "workflow" / "schemas" / "config.schema.yaml")


def vary(entry, param, value):
    if param != "scale":
        raise ConfigError(f"only 'scale' is swept, not {param!r}")
    return {**entry, "scale": value}


def catalog(**overrides):
    methods = {"A": {"label": "Method A", "scale": 1.0}, "B": {"scale": 2.0},
               "C": {"label": "C", "scale": 0.5, "train": {"lr": 0.1}}}
    base = dict(
        datasets=["d1", "d2"],
        methods=methods,
        splits=lambda d: ["s1", "s2"] if d == "d1" else ["s1"],
        spec=lambda e: cfg.spec_json(e, {"lr": 0.01}),
        vary=vary,
        seeds=[0, 1],
    )
    return cfg.Catalog(**{**base, **overrides})


@pytest.fixture
def config():
    return {
        "seeds": [0, 1],
        "fam": {},
        "tables": {
            "grid": {"task": "fam", "title": "g", "dataset": "d1", "metric": "m",
                     "rows": ["A", "B"], "columns": [{"split": "s1"}, {"split": "s2"}]},
            "wide": {"task": "fam", "title": "w", "split": "s1", "metric": ["m", "n"],
                     "average": False, "rows": ["A"],
                     "columns": [{"dataset": "d1"}, {"dataset": "d2"}]},
            "rows": {"task": "fam", "kind": "rows", "title": "r",
                     "columns": [{"metric": "m"}],
                     "rows": [{"dataset": "d2", "split": "s1", "method": "C"}]},
        },
        "figures": {
            "fig": {"task": "fam", "title": "f", "dataset": "d1", "table": "grid",
                    "metric": "m", "methods": ["A"], "baseline": "B",
                    "sweep": {"param": "scale", "values": [0.5, 1.0, 3.0]}},
        },
    }


def fails(config, catalogs, pattern):
    with pytest.raises(ConfigError, match=pattern):
        cfg.check_outputs(config, catalogs, where="my.yaml")


def test_a_consistent_config_passes(config):
    cfg.check_outputs(config, {"fam": catalog()})


def test_table_of_a_family_the_config_lacks(config):
    fails(config, {}, r"my\.yaml: tables\.grid\.task = 'fam', but the config has no 'fam' section")


def test_unknown_dataset_method_and_split(config):
    config["tables"]["grid"]["dataset"] = "d9"
    fails(config, {"fam": catalog()}, r"tables\.grid\.rows: dataset 'd9' is not declared")
    config["tables"]["grid"]["dataset"] = "d1"
    config["tables"]["grid"]["rows"].append("Z")
    fails(config, {"fam": catalog()}, r"'Z' is not a method")
    config["tables"]["grid"]["rows"].pop()
    config["tables"]["wide"]["split"] = "s2"  # d2 has no s2
    fails(config, {"fam": catalog()}, r"split 's2' is not a run split of 'd2'")


def test_grid_column_without_dataset(config):
    del config["tables"]["grid"]["dataset"]
    fails(config, {"fam": catalog()}, r"tables\.grid\.columns\[0\]: no dataset / split")


def test_rows_table_row_forms(config):
    rows = config["tables"]["rows"]["rows"]
    rows.append({"dataset": "d1", "thing": "x"})
    fails(config, {"fam": catalog()}, r"rows\[1\]: expected a row of the form "
                                      r"\{dataset, split, method\}")
    checked = []
    cat = catalog(row_kinds=("thing",), check_row=lambda row, key: checked.append(key))
    cfg.check_outputs(config, {"fam": cat})
    assert checked == ["tables.rows.rows[1]"]


def test_figure_checks(config):
    fig = config["figures"]["fig"]
    fig["table"] = "rows"
    fails(config, {"fam": catalog()}, r"figures\.fig\.table = 'rows': expected a grid table")
    del fig["table"]
    fails(config, {"fam": catalog()}, r"figures\.fig: give the splits to average")
    fig["splits"] = ["s1"]
    cfg.check_outputs(config, {"fam": catalog()})
    fig["sweep"]["param"] = "lr"
    fails(config, {"fam": catalog()}, r"figures\.fig\.methods: 'A': only 'scale' is swept")


def test_sweep_methods_reuse_equal_specs():
    fig = {"methods": ["A"], "sweep": {"param": "scale", "values": [0.5, 1.0, 2.0, 3.0]}}
    sweep = cfg.sweep_methods(catalog(), fig)
    # A at 1.0 is A; A at 2.0 equals B (same spec, label aside); A at 0.5 differs from C
    # (C trains with another lr); A at 3.0 is new.
    assert sweep == {"A": {0.5: "A-scale0.5", 1.0: "A", 2.0: "B", 3.0: "A-scale3"}}
    methods = cfg.with_sweep_methods(catalog(), {"f": fig})
    assert set(methods) - set(catalog().methods) == {"A-scale0.5", "A-scale3"}
    assert methods["A-scale3"] == {"label": "Method A (scale=3)", "scale": 3.0}


def test_sweep_name_clash_is_refused(config):
    methods = {**catalog().methods, "A-scale3": {"scale": 7.0}}
    fails(config, {"fam": catalog(methods=methods)},
          r"sweep point A at scale = 3 would be named 'A-scale3'.*other settings")


def test_spec_json_ignores_the_label_and_merges_training_defaults():
    a = cfg.spec_json({"label": "x", "m": 1}, {"lr": 0.1})
    b = cfg.spec_json({"label": "y", "m": 1, "train": {"lr": 0.1}}, {"lr": 0.1})
    assert a == b
    assert json.loads(a) == {"m": 1, "train": {"lr": 0.1}}
    assert cfg.spec_json({"m": 1, "train": {"lr": 0.2}}, {"lr": 0.1}) != a


def test_grid_columns_and_figure_splits(config):
    cols = cfg.grid_columns(config["tables"]["wide"])
    assert cols == [{"dataset": "d1", "split": "s1"}, {"dataset": "d2", "split": "s1"}]
    assert cfg.figure_splits(config, config["figures"]["fig"]) == ["s1", "s2"]
    assert cfg.figure_splits(config, {"splits": ["x"]}) == ["x"]
    assert cfg.figure_datasets({"datasets": ["a", "b"]}) == ["a", "b"]
    assert cfg.table_metrics(config["tables"]["wide"]) == ["m", "n"]
    assert cfg.table_metrics(config["tables"]["grid"]) == ["m"]


def test_family_seeds_and_gpu_per_job(config):
    assert cfg.family_seeds(config, "fam") == [0, 1]
    config["fam"]["seeds"] = [3]
    assert cfg.family_seeds(config, "fam") == [3]
    assert cfg.gpu_per_job({"gpu_per_job": 0}) == 0
    assert cfg.gpu_per_job({"gpu_per_job": 1}) == 1
    assert cfg.gpu_per_job({}) == int(Path("/proc/driver/nvidia/version").exists())


def test_command_line_seeds_become_integers():
    config = {"seeds": ["0", " 1", 2]}
    cfg.command_line_seeds(config)
    assert config["seeds"] == [0, 1, 2]
    bad = {"seeds": ["x", "-1"]}  # left for the schema to name
    cfg.command_line_seeds(bad)
    assert bad["seeds"] == ["x", "-1"]
    cfg.command_line_seeds({})  # no seeds: nothing to do


# --- the shared keys' schema ---------------------------------------------------------------

SHIPPED = sorted((REPO / "config").glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_schema_accepts_shipped_configs(path):
    validate(yaml.safe_load(path.read_text()), SCHEMA)


def test_schema_errors_name_the_key():
    tiny = yaml.safe_load((REPO / "config" / "tiny.yaml").read_text())
    bad = copy.deepcopy(tiny)
    bad["sedds"] = [0]
    with pytest.raises(WorkflowError, match="'sedds' was unexpected"):
        validate(bad, SCHEMA)
    bad = copy.deepcopy(tiny)
    bad["tables"]["table1"]["task"] = "faces"
    with pytest.raises(WorkflowError, match=r"'faces' is not one of \['linkage', 'nodecls', 'graphcls'\]"):
        validate(bad, SCHEMA)
    bad = copy.deepcopy(tiny)
    del bad["linkage"]
    with pytest.raises(WorkflowError):  # no family section at all
        validate(bad, SCHEMA)


def test_check_outputs_names_a_metric_the_family_does_not_record(config):
    cfg.check_outputs(config, {"fam": catalog(metrics=("m", "n"))})  # the tables show m, n
    config["tables"]["wide"]["metric"] = ["m", "macro_auc"]
    fails(config, {"fam": catalog(metrics=("m", "n"))},
          r"tables\.wide\.metric: 'macro_auc' is not a fam metric")
    rows = {"fam": catalog(metrics=("m",), timings=("wall_s",))}
    config["tables"]["wide"]["metric"] = "m"
    config["tables"]["rows"]["columns"] = [{"metric": "m"}, {"metric": "wall_s"}]
    cfg.check_outputs(config, rows)  # a rows table may also show timings
    config["tables"]["rows"]["columns"].append({"metric": "seconds"})
    fails(config, rows, r"tables\.rows\.metric: 'seconds' is not a fam metric")
    config["tables"]["rows"]["columns"] = [{"metric": "m"}]
    config["tables"]["wide"]["metric"] = ["m", "macro_auc"]
    cfg.check_outputs(config, {"fam": catalog()})  # metrics=None: not checked
    config["tables"]["wide"]["metric"] = "m"
    config["figures"]["fig"]["metric"] = "x"
    fails(config, {"fam": catalog(metrics=("m", "n"))}, r"figures\.fig\.metric: 'x'")


# --- leaderboards and rankings -----------------------------------------------------------------
def validate_as_nodecls(key: str, name: str, entry: dict) -> None:
    """The shared schema on one table / ranking entry of a real family."""
    validate({"seeds": [0], "nodecls": {}, "tables": {}, key: {name: {**entry, "task": "nodecls"}}},
             SCHEMA)


def test_leaderboard_columns_and_checks(config):
    lb = {"task": "fam", "kind": "leaderboard", "title": "l", "metric": "m", "rows": ["A", "B"],
          "datasets": ["d1", "d2"], "splits": ["s1"], "dataset_labels": {"d1": "One"}}
    config["tables"]["lb"] = lb
    assert cfg.grid_columns(lb) == [{"dataset": "d1", "split": "s1", "label": "One s1"},
                                    {"dataset": "d2", "split": "s1", "label": "d2 s1"}]
    cfg.check_outputs(config, {"fam": catalog()})
    validate_as_nodecls("tables", "lb", lb)
    assert ("d2", "s1", "B") in cfg.requested_runs(config, catalog(), "fam")
    lb["cost_dataset"] = "d9"
    fails(config, {"fam": catalog()}, r"tables\.lb\.cost_dataset = 'd9' is not a dataset")
    lb["cost_dataset"] = "d2"
    lb["splits"] = ["s2"]  # d2 has no s2
    fails(config, {"fam": catalog()}, r"tables\.lb\.rows: split 's2' is not a run split of 'd2'")


def test_ranking_checks_and_runs(config):
    config["rankings"] = {"sens": {"task": "fam", "title": "s", "metric": "m",
                                   "rows": ["A", "C"], "datasets": ["d1"],
                                   "protocols": {"step": "s1", "lt": "s2"}}}
    validate_as_nodecls("rankings", "sens", config["rankings"]["sens"])
    cfg.check_outputs(config, {"fam": catalog()})
    assert cfg.ranking_cells(config["rankings"]["sens"]) == [("d1", "step", "s1"),
                                                             ("d1", "lt", "s2")]
    runs = cfg.requested_runs(config, catalog(), "fam")
    assert {("d1", "s1", "C"), ("d1", "s2", "C"), ("d1", "s2", "A")} <= set(runs)
    config["rankings"]["sens"]["datasets"] = ["d2"]  # d2 has no s2
    fails(config, {"fam": catalog()},
          r"rankings\.sens\.protocols\.lt: split 's2' is not a run split of 'd2'")
    config["rankings"]["grid"] = config["rankings"].pop("sens")
    fails(config, {"fam": catalog()}, r"rankings\.grid: a table or figure has the same name")
    with pytest.raises(WorkflowError):  # two protocols at least
        validate_as_nodecls("rankings", "x", {**config["rankings"]["grid"],
                                              "protocols": {"only": "s1"}})


def test_schema_error_names_the_config_file_the_key_and_the_schema():
    import jsonschema

    schema = {"type": "object", "properties": {"training": {"type": "object", "properties": {
        "smooth": {"type": "integer", "minimum": 1}}}, "rows": {"type": "array",
                                                            "items": {"type": "string"}}}}
    for data, key, message in [
            ({"training": {"smooth": 0}}, "nodecls.training.smooth",
             "0 is less than the minimum of 1"),
            ({"rows": ["a", 3]}, "nodecls.rows[1]", "3 is not of type 'string'")]:
        try:
            jsonschema.validate(data, schema)
        except jsonschema.ValidationError as cause:
            try:  # as Snakemake's validate wraps it
                raise RuntimeError("Error validating config file.") from cause
            except RuntimeError as err:
                got = cfg.schema_error(err, "my.yaml", "nodecls", "nodecls.schema.yaml")
        assert isinstance(got, ConfigError)
        assert str(got) == (f"my.yaml: {key}: {message} (checked against "
                            "workflow/schemas/nodecls.schema.yaml)")
    plain = RuntimeError("other")
    assert cfg.schema_error(plain, "my.yaml", None, "x.yaml") is plain
