"""Tests of imbgraph.tables.aggregate: loading per-run metrics, summarising over seeds (with
the Avg column and paper values) and reading reference files."""

from __future__ import annotations

import json
import math
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from imbgraph.tables.aggregate import (
    CELL_SCHEMA,
    load_runs,
    read_reference,
    reference_title,
    summarise,
)

REPO = Path(__file__).resolve().parents[2]
RUNS_SCHEMA = {"method": pl.String, "dataset": pl.String, "split": pl.String, "seed": pl.Int64,
               "value": pl.Float64}  # as load_runs returns


# --- load_runs ----------------------------------------------------------------------------


def write_metrics(path: Path, **run) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run))
    return str(path)


def test_load_runs(tmp_path):
    paths = [
        write_metrics(tmp_path / "a/metrics.json", method="RIWS", dataset="faces", split="H5_S2", seed=0,
                      pr_auc_ap=0.91, roc_auc=0.5, method_label="RIWS"),
        write_metrics(tmp_path / "b/metrics.json", method="L-GCN", dataset="faces", split="H5_S3", seed="1",
                      pr_auc_ap=1, roc_auc=0.7),
        write_metrics(tmp_path / "c/metrics.json", method="L-GCN", dataset="x", split="H5_S3", seed=2,
                      pr_auc_ap=None),
    ]
    runs = load_runs(paths, "pr_auc_ap")
    expected = pl.DataFrame(
        {
            "method": ["RIWS", "L-GCN", "L-GCN"],
            "dataset": ["faces", "faces", "x"],
            "split": ["H5_S2", "H5_S3", "H5_S3"],
            "seed": [0, 1, 2],
            "value": [0.91, 1.0, float("nan")],
        },
        schema=RUNS_SCHEMA,
    )
    assert_frame_equal(runs, expected)
    assert_frame_equal(load_runs(paths[:2], "roc_auc")["value"].to_frame(),
                       pl.DataFrame({"value": [0.5, 0.7]}))


def test_load_runs_empty():
    assert_frame_equal(load_runs([], "pr_auc_ap"), pl.DataFrame(schema=RUNS_SCHEMA))


def test_load_runs_missing_metric_names_file(tmp_path):
    good = write_metrics(tmp_path / "good.json", method="A", dataset="d", split="S", seed=0,
                         pr_auc_ap=0.5)
    bad = write_metrics(tmp_path / "bad.json", method="A", dataset="d", split="S", seed=1,
                        roc_auc=0.5)
    with pytest.raises(KeyError) as info:
        load_runs([good, bad], "pr_auc_ap")
    msg = str(info.value)
    assert bad in msg and "'pr_auc_ap'" in msg and "roc_auc" in msg


# --- summarise ----------------------------------------------------------------------------

def test_summarise_cells(summarised, columns):
    # A/H5_S3: 0.6, 0.6, 0.9 -> mean 0.7, var (0.01 + 0.01 + 0.04) / 2 = 0.03.
    # A/Avg: per-seed means 0.75, 0.70, 0.80 -> mean 0.75, std 0.05.
    # B/H5_S2: 0.5, 0.7 -> mean 0.6, std sqrt(0.02); B/Avg: seed 0 only, (0.5 + 0.4) / 2.
    expected = pl.DataFrame(
        {
            "table": ["table1"] * 9,
            "method": ["Alpha"] * 3 + ["B (w/ X)"] * 3 + ["C"] * 3,
            "dataset": ["faces"] * 9,
            "split": ["H5_S2", "H5_S3", "Avg"] * 3,
            "metric": ["pr_auc_ap"] * 9,
            "mean": [0.8, 0.7, 0.75, 0.6, 0.4, 0.45, None, None, None],
            "std": [0.1, math.sqrt(0.03), 0.05, math.sqrt(0.02), None, None, None, None, None],
            "n_seeds": [3, 3, 3, 2, 1, 1, 0, 0, 0],
            "paper": [0.95, None, 0.9, None, None, None, None, 0.5, None],
            "column": ["H5_S2", "H5_S3", "Avg"] * 3,
        },
        schema=CELL_SCHEMA,
    )
    assert_frame_equal(summarised(), expected, check_exact=False, rel_tol=1e-9, abs_tol=1e-12)


def test_summarise_follows_given_row_and_column_order(summarised, columns):
    cells = summarised(rows=["C", "A"], columns=columns[::-1])
    assert cells["method"].to_list() == ["C"] * 3 + ["Alpha"] * 3
    assert cells["split"].to_list() == ["H5_S3", "H5_S2", "Avg"] * 2
    # Avg does not depend on the column order.
    assert cells.filter(pl.col("method") == "Alpha", pl.col("split") == "Avg")["mean"].item() \
        == pytest.approx(0.75)


def test_summarise_without_paper_or_labels(summarised, columns):
    cells = summarised(labels={}, paper=None)
    assert cells["method"].to_list() == ["A"] * 3 + ["B"] * 3 + ["C"] * 3
    assert cells["paper"].null_count() == 9


def test_summarise_single_column_avg_equals_column(summarised, columns):
    cells = summarised(columns=columns[:1])
    a = cells.filter(pl.col("method") == "Alpha")
    assert a["split"].to_list() == ["H5_S2", "Avg"]
    assert a["mean"].to_list() == pytest.approx([0.8, 0.8])
    assert a["std"].to_list() == pytest.approx([0.1, 0.1])




def test_summarise_columns_of_several_datasets_and_no_average():
    runs = pl.DataFrame([("A", "d1", "s", 0, 0.2), ("A", "d2", "s", 0, 0.4),
                         ("A", "d2", "s", 1, 0.6)], schema=RUNS_SCHEMA, orient="row")
    cols = [{"key": "D1", "dataset": "d1", "split": "s"}, {"key": "D2", "dataset": "d2",
                                                           "split": "s", "paper": "P2"}]
    cells = summarise(runs, table="t", metric="m", rows=["A"], labels={}, columns=cols,
                      average=False, paper={"A": {"D1": 0.1, "P2": 0.3}})
    assert cells["dataset"].to_list() == ["d1", "d2"]
    assert cells["column"].to_list() == ["D1", "D2"]
    assert cells["mean"].to_list() == pytest.approx([0.2, 0.5])
    assert cells["paper"].to_list() == [0.1, 0.3]  # a column without `paper` uses its key
    with_avg = summarise(runs, table="t", metric="m", rows=["A"], labels={}, columns=cols)
    avg = with_avg.filter(pl.col("split") == "Avg")
    assert avg["dataset"].to_list() == [None]  # two datasets: no single one for Avg
    assert avg["mean"].item() == pytest.approx(0.3)  # seed 0 only: (0.2 + 0.4) / 2


# --- read_reference -----------------------------------------------------------------------


def test_read_reference_digl_table1():
    ref = read_reference(REPO / "config" / "reference" / "digl_table1.yaml")
    assert len(ref) == 9
    assert all(len(v) == 9 for v in ref.values())
    assert list(ref["L-GCN"]) == ["(200,3)", "(200,5)", "(500,3)", "(500,5)", "(1000,3)",
                                  "(1000,5)", "(2000,3)", "(2000,5)", "Avg"]
    assert ref["L-GCN"]["(200,3)"] == 0.9588
    assert ref["FL (w/ RIWS)"]["Avg"] == 0.9808
    assert set(ref) >= {"L-GCN", "RS", "RIWS", "CB (w/ RS)", "FL (w/ RIWS)"}


def test_read_reference_labels_match_default_config():
    import yaml

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    ref = read_reference(REPO / config["tables"]["table1"]["reference"])
    methods = config["linkage"]["methods"]
    labels = {methods[m].get("label", m) for m in config["tables"]["table1"]["rows"]}
    assert labels == set(ref)
    papers = {c["paper"] for c in config["tables"]["table1"]["columns"]}
    assert papers | {"Avg"} == set(ref["L-GCN"])


def test_every_reference_row_and_column_is_reachable_from_the_default_config():
    # A label or column that does not match the config would silently show no paper value.
    import yaml

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    for name, t in config["tables"].items():
        if t["task"] != "linkage":
            continue  # each family's tests check its own references
        sec = config["linkage"]
        ref = read_reference(REPO / t["reference"])
        if t.get("kind") == "rows":
            def default(r):
                entry = sec["clusterers"][r["clusterer"]] if "clusterer" in r else \
                    sec["methods"][r["method"]]
                return entry["label"]

            keys = {r.get("paper", r.get("label", default(r))) for r in t["rows"]}
            assert set(ref) <= keys, name
            metrics = {c["metric"] for c in t["columns"]}
            assert all(set(v) <= metrics for v in ref.values()), name
        else:
            labels = {sec["methods"][m].get("label", m) for m in t["rows"]}
            assert labels <= set(ref), name
            metrics = [t["metric"]] if isinstance(t["metric"], str) else t["metric"]
            cols = {c["paper"] for c in t["columns"]}
            want = cols if len(metrics) == 1 else {f"{c} {m}" for c in cols for m in metrics}
            assert want <= set(ref["L-GCN"]), name


def test_read_reference_wrong_row_length(tmp_path):
    path = tmp_path / "ref.yaml"
    path.write_text('columns: ["a", "b", "c"]\nrows:\n  X: [1, 2, 3]\n  "Y (w/ Z)": [1, 2]\n')
    with pytest.raises(ValueError) as info:
        read_reference(path)
    msg = str(info.value)
    assert str(path) in msg and "row 'Y (w/ Z)' has 2 values for 3 columns" in msg


def test_reference_titles_name_the_paper():
    for path in sorted((REPO / "config" / "reference").glob("*.yaml")):
        title = reference_title(path)
        assert title and ("Table" in title or "Figure" in title), path
    assert reference_title(None) == ""
