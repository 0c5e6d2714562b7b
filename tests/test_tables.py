"""Tests of imbgraph.tables: loading per-run metrics, summarising over seeds (with the Avg
column and paper values) and rendering Markdown / LaTeX."""

from __future__ import annotations

import json
import math
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from imbgraph.tables import load_runs, render_markdown, render_tex, summarise
from imbgraph.tables.aggregate import read_reference

REPO = Path(__file__).resolve().parents[1]
RUNS_SCHEMA = {"method": pl.String, "split": pl.String, "seed": pl.Int64, "value": pl.Float64}
CELLS_SCHEMA = {
    "table": pl.String, "method": pl.String, "dataset": pl.String, "metric": pl.String,
    "mean": pl.Float64, "std": pl.Float64, "n_seeds": pl.Int64, "paper": pl.Float64,
}


# --- load_runs ----------------------------------------------------------------------------


def write_metrics(path: Path, **run) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(run))
    return str(path)


def test_load_runs(tmp_path):
    paths = [
        write_metrics(tmp_path / "a/metrics.json", method="RIWS", split="H5_S2", seed=0,
                      pr_auc_ap=0.91, roc_auc=0.5, method_label="RIWS"),
        write_metrics(tmp_path / "b/metrics.json", method="L-GCN", split="H5_S3", seed="1",
                      pr_auc_ap=1, roc_auc=0.7),
        write_metrics(tmp_path / "c/metrics.json", method="L-GCN", split="H5_S3", seed=2,
                      pr_auc_ap=None),
    ]
    runs = load_runs(paths, "pr_auc_ap")
    expected = pl.DataFrame(
        {
            "method": ["RIWS", "L-GCN", "L-GCN"],
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
    good = write_metrics(tmp_path / "good.json", method="A", split="S", seed=0, pr_auc_ap=0.5)
    bad = write_metrics(tmp_path / "bad.json", method="A", split="S", seed=1, roc_auc=0.5)
    with pytest.raises(KeyError) as info:
        load_runs([good, bad], "pr_auc_ap")
    msg = str(info.value)
    assert bad in msg and "'pr_auc_ap'" in msg and "roc_auc" in msg


# --- summarise ----------------------------------------------------------------------------

COLUMNS = ["H5_S2", "H5_S3"]
ROWS = ["A", "B", "C"]
LABELS = {"A": "Alpha", "B": "B (w/ X)"}  # C falls back to its key
PAPER = {
    "Alpha": {"(200,3)": 0.95, "Avg": 0.9},
    "B": {"(200,3)": 0.1},  # keyed by method name, not label: never used
    "C": {"(200,5)": 0.5},
}
PAPER_COLUMNS = {"H5_S2": "(200,3)", "H5_S3": "(200,5)"}


def runs_frame() -> pl.DataFrame:
    rows = [
        # A: three seeds on both columns, plus a split outside the table (ignored).
        ("A", "H5_S2", 0, 0.9), ("A", "H5_S2", 1, 0.8), ("A", "H5_S2", 2, 0.7),
        ("A", "H5_S3", 0, 0.6), ("A", "H5_S3", 1, 0.6), ("A", "H5_S3", 2, 0.9),
        ("A", "train", 0, 0.0),
        # B: two seeds on H5_S2, only seed 0 on H5_S3 -> Avg from seed 0 alone.
        ("B", "H5_S3", 0, 0.4), ("B", "H5_S2", 1, 0.7), ("B", "H5_S2", 0, 0.5),
        # A method that is no row of the table (ignored); C has no runs at all.
        ("Z", "H5_S2", 0, 0.99),
    ]
    return pl.DataFrame(rows, schema=RUNS_SCHEMA, orient="row")


def summarised(**kw) -> pl.DataFrame:
    args = dict(table="table1", metric="pr_auc_ap", rows=ROWS, labels=LABELS, columns=COLUMNS,
                paper=PAPER, paper_columns=PAPER_COLUMNS)
    return summarise(runs_frame(), **{**args, **kw})


def test_summarise_cells():
    # A/H5_S3: 0.6, 0.6, 0.9 -> mean 0.7, var (0.01 + 0.01 + 0.04) / 2 = 0.03.
    # A/Avg: per-seed means 0.75, 0.70, 0.80 -> mean 0.75, std 0.05.
    # B/H5_S2: 0.5, 0.7 -> mean 0.6, std sqrt(0.02); B/Avg: seed 0 only, (0.5 + 0.4) / 2.
    expected = pl.DataFrame(
        {
            "table": ["table1"] * 9,
            "method": ["Alpha"] * 3 + ["B (w/ X)"] * 3 + ["C"] * 3,
            "dataset": ["H5_S2", "H5_S3", "Avg"] * 3,
            "metric": ["pr_auc_ap"] * 9,
            "mean": [0.8, 0.7, 0.75, 0.6, 0.4, 0.45, None, None, None],
            "std": [0.1, math.sqrt(0.03), 0.05, math.sqrt(0.02), None, None, None, None, None],
            "n_seeds": [3, 3, 3, 2, 1, 1, 0, 0, 0],
            "paper": [0.95, None, 0.9, None, None, None, None, 0.5, None],
        },
        schema=CELLS_SCHEMA,
    )
    assert_frame_equal(summarised(), expected, check_exact=False, rel_tol=1e-9, abs_tol=1e-12)


def test_summarise_follows_given_row_and_column_order():
    cells = summarised(rows=["C", "A"], columns=["H5_S3", "H5_S2"])
    assert cells["method"].to_list() == ["C"] * 3 + ["Alpha"] * 3
    assert cells["dataset"].to_list() == ["H5_S3", "H5_S2", "Avg"] * 2
    # Avg does not depend on the column order.
    assert cells.filter(pl.col("method") == "Alpha", pl.col("dataset") == "Avg")["mean"].item() \
        == pytest.approx(0.75)


def test_summarise_without_paper_or_labels():
    cells = summarised(labels={}, paper=None, paper_columns=None)
    assert cells["method"].to_list() == ["A"] * 3 + ["B"] * 3 + ["C"] * 3
    assert cells["paper"].null_count() == 9


def test_summarise_single_column_avg_equals_column():
    cells = summarised(columns=["H5_S2"])
    a = cells.filter(pl.col("method") == "Alpha")
    assert a["dataset"].to_list() == ["H5_S2", "Avg"]
    assert a["mean"].to_list() == pytest.approx([0.8, 0.8])
    assert a["std"].to_list() == pytest.approx([0.1, 0.1])


# --- rendering ----------------------------------------------------------------------------


def test_render_markdown():
    md = render_markdown(summarised(), title="PR-AUC", column_labels=PAPER_COLUMNS)
    lines = md.splitlines()
    assert lines[0] == "### PR-AUC"
    assert lines[2] == "| Method | H5_S2 (200,3) | H5_S3 (200,5) | Avg |"
    assert lines[3] == "|---|---|---|---|"
    assert lines[4] == (
        "| Alpha | **0.8000 ± 0.1000** (0.9500) | **0.7000 ± 0.1732** "
        "| **0.7500 ± 0.0500** (0.9000) |"
    )
    # Single-seed cells carry no ±; cells without runs read n/a (with the paper value).
    assert lines[5] == "| B (w/ X) | 0.6000 ± 0.1414 | 0.4000 | 0.4500 |"
    assert lines[6] == "| C | n/a | n/a (0.5000) | n/a |"
    assert "mean ± std over 3 seeds" in md


def test_render_markdown_lower_is_better_and_digits():
    md = render_markdown(summarised(), title="t", higher_is_better=False, digits=2)
    lines = md.splitlines()
    assert lines[4] == "| Alpha | 0.80 ± 0.10 (0.95) | 0.70 ± 0.17 | 0.75 ± 0.05 (0.90) |"
    assert lines[5] == "| B (w/ X) | **0.60 ± 0.14** | **0.40** | **0.45** |"


def tie_cells() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "table": ["t"] * 6,
            "method": ["P", "P", "Q", "Q", "R", "R"],
            "dataset": ["S1", "S2"] * 3,
            "metric": ["m"] * 6,
            "mean": [0.5, 0.2, 0.5, float("nan"), 0.3, None],
            "std": [0.01, 0.0, 0.02, None, 0.0, None],
            "n_seeds": [2, 2, 2, 2, 1, 0],
            "paper": [None] * 6,
        },
        schema=CELLS_SCHEMA,
    )


def test_render_markdown_ties_are_all_bold_and_nan_is_na():
    lines = render_markdown(tie_cells(), title="t", digits=2).splitlines()
    assert lines[2] == "| Method | S1 | S2 |"
    assert lines[4] == "| P | **0.50 ± 0.01** | **0.20 ± 0.00** |"
    assert lines[5] == "| Q | **0.50 ± 0.02** | n/a |"
    assert lines[6] == "| R | 0.30 | n/a |"


def test_render_tex():
    tex = render_tex(summarised(), title="PR-AUC 100%", column_labels=PAPER_COLUMNS)
    lines = tex.splitlines()
    assert lines[0] == r"\begin{table}[t]"
    assert r"\caption{PR-AUC 100\%." in lines[2]
    assert lines[3] == r"\begin{tabular}{lccc}"
    assert r"Method & H5\_S2 (200,3) & H5\_S3 (200,5) & Avg \\" in lines
    assert (
        r"Alpha & \textbf{0.8000 $\pm$ 0.1000} (0.9500) & \textbf{0.7000 $\pm$ 0.1732} & "
        r"\textbf{0.7500 $\pm$ 0.0500} (0.9000) \\"
    ) in lines
    assert r"B (w/ X) & 0.6000 $\pm$ 0.1414 & 0.4000 & 0.4500 \\" in lines
    assert r"C & n/a & n/a (0.5000) & n/a \\" in lines
    assert lines[-3:] == [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    assert tex.endswith("\n")
    assert "±" not in tex


def test_render_tex_ties_and_escaping():
    cells = tie_cells().with_columns(pl.col("method").replace({"P": "P & Q_1"}))
    lines = render_tex(cells, title="t", digits=2).splitlines()
    assert r"P \& Q\_1 & \textbf{0.50 $\pm$ 0.01} & \textbf{0.20 $\pm$ 0.00} \\" in lines
    assert r"Q & \textbf{0.50 $\pm$ 0.02} & n/a \\" in lines


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
    labels = {config["methods"][m].get("label", m) for m in config["tables"]["table1"]["rows"]}
    assert labels == set(ref)
    papers = {c["paper"] for c in config["tables"]["table1"]["columns"]}
    assert papers | {"Avg"} == set(ref["L-GCN"])


def test_every_reference_row_and_column_is_reachable_from_the_default_config():
    # A label or column that does not match the config would silently show no paper value.
    import yaml

    config = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    for name, t in config["tables"].items():
        ref = read_reference(REPO / t["reference"])
        if t.get("kind") == "rows":
            def default(r):
                entry = config["clusterers"][r["clusterer"]] if "clusterer" in r else \
                    config["methods"][r["method"]]
                return entry["label"]

            keys = {r.get("paper", r.get("label", default(r))) for r in t["rows"]}
            assert set(ref) <= keys, name
            metrics = {c["metric"] for c in t["columns"]}
            assert all(set(v) <= metrics for v in ref.values()), name
        else:
            labels = {config["methods"][m].get("label", m) for m in t["rows"]}
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
