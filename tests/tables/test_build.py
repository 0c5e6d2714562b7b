"""Tests of the multi-metric and row tables: summarise_metrics, summarise_rows,
read_reference with null cells, and build_grid / build_rows rendered end to end."""

from __future__ import annotations

import json
import math
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from imbgraph.tables import load_runs, render_markdown, render_tex, summarise
from imbgraph.tables.aggregate import (
    CELL_SCHEMA,
    read_reference,
    summarise_metrics,
    summarise_rows,
)
from imbgraph.tables.build import build_grid, build_rows, keyed_columns

REPO = Path(__file__).resolve().parents[2]
RUNS_SCHEMA = {"method": pl.String, "dataset": pl.String, "split": pl.String, "seed": pl.Int64,
               "value": pl.Float64}
R2, R5 = math.sqrt(0.02), math.sqrt(0.005)  # std of {x, x +- 0.2}, of {x, x +- 0.1}
TOL = dict(check_exact=False, rel_tol=1e-9, abs_tol=1e-12)

# (method, split, seed, pr_auc_ap, bcubed_f); S9 lies outside the table.
RUNS = [
    ("A", "S1", 0, 0.9, 0.5), ("A", "S1", 1, 0.7, 0.3), ("A", "S2", 0, 0.6, 0.2),
    ("A", "S2", 1, 0.6, 0.4), ("A", "S9", 0, 0.0, 0.0),
    ("B", "S1", 0, 0.8, 0.1), ("B", "S1", 1, 0.8, 0.3), ("B", "S2", 0, 0.5, 0.6),
    ("B", "S2", 1, 0.7, 0.2),
]
METRICS = ["pr_auc_ap", "bcubed_f"]
METRIC_LABELS = {"pr_auc_ap": "PR-AUC", "bcubed_f": "BCubed F"}
PAPER_COLUMNS = {"S1": "(p1)", "S2": "(p2)"}
COLUMNS = [{"key": "S1", "dataset": "faces", "split": "S1", "paper": "(p1)"},
           {"key": "S2", "dataset": "faces", "split": "S2", "paper": "(p2)"}]


def runs_by_metric() -> dict[str, pl.DataFrame]:
    return {m: pl.DataFrame([(r[0], "faces", r[1], r[2], r[3 + i]) for r in RUNS],
                            schema=RUNS_SCHEMA, orient="row") for i, m in enumerate(METRICS)}


def write_text(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


def write_metrics(path: Path, **run) -> str:
    return write_text(path, json.dumps(run))


def write_runs(tmp_path: Path) -> list[str]:
    return [write_metrics(tmp_path / f"{m}_{s}_{seed}.json", dataset="faces", method=m, split=s,
                          seed=seed, pr_auc_ap=p, bcubed_f=b, train_size=10, wall_s=0.1)
            for m, s, seed, p, b in RUNS]


def cells(rows: list[tuple]) -> pl.DataFrame:
    """Cells from (table, method, dataset, split, metric, mean, std, n, paper, column)."""
    return pl.DataFrame(rows, schema=CELL_SCHEMA, orient="row")


# --- summarise_metrics ----------------------------------------------------------------------


def metric_cells(**kw) -> pl.DataFrame:
    # Paper values live under "<paper column> <metric>"; "(p1)" and "S1 pr_auc_ap" are decoys.
    args = dict(table="t2", metric_labels=METRIC_LABELS, rows=["A", "B"], labels={"A": "Alpha"},
                columns=COLUMNS, average=True,
                paper={"Alpha": {"(p1) pr_auc_ap": 0.91, "(p2) bcubed_f": 0.33, "(p1)": 7.0,
                                 "S1 pr_auc_ap": 8.0},
                       "B": {"(p2) pr_auc_ap": 0.55}})
    return summarise_metrics(runs_by_metric(), **{**args, **kw})


def test_summarise_metrics_cells():
    # A pr: S1 {0.9, 0.7}, S2 {0.6, 0.6}, per-seed Avg {0.75, 0.65}; A bcubed: S1 {0.5, 0.3},
    # S2 {0.2, 0.4}, Avg {0.35, 0.35}. B pr: S1 {0.8, 0.8}, S2 {0.5, 0.7}, Avg {0.65, 0.75};
    # B bcubed: S1 {0.1, 0.3}, S2 {0.6, 0.2} (std sqrt(0.08)), Avg {0.35, 0.25}.
    pr, bf = METRICS
    expected = cells([
        ("t2", "Alpha", "faces", "S1", pr, 0.8, R2, 2, 0.91, "S1 PR-AUC"),
        ("t2", "B", "faces", "S1", pr, 0.8, 0.0, 2, None, "S1 PR-AUC"),
        ("t2", "Alpha", "faces", "S1", bf, 0.4, R2, 2, None, "S1 BCubed F"),
        ("t2", "B", "faces", "S1", bf, 0.2, R2, 2, None, "S1 BCubed F"),
        ("t2", "Alpha", "faces", "S2", pr, 0.6, 0.0, 2, None, "S2 PR-AUC"),
        ("t2", "B", "faces", "S2", pr, 0.6, R2, 2, 0.55, "S2 PR-AUC"),
        ("t2", "Alpha", "faces", "S2", bf, 0.3, R2, 2, 0.33, "S2 BCubed F"),
        ("t2", "B", "faces", "S2", bf, 0.4, math.sqrt(0.08), 2, None, "S2 BCubed F"),
        ("t2", "Alpha", "faces", "Avg", pr, 0.7, R5, 2, None, "Avg PR-AUC"),
        ("t2", "B", "faces", "Avg", pr, 0.7, R5, 2, None, "Avg PR-AUC"),
        ("t2", "Alpha", "faces", "Avg", bf, 0.35, 0.0, 2, None, "Avg BCubed F"),
        ("t2", "B", "faces", "Avg", bf, 0.3, R5, 2, None, "Avg BCubed F"),
    ])
    assert_frame_equal(metric_cells(), expected, **TOL)


def test_summarise_metrics_column_order_follows_columns_and_metrics():
    runs = runs_by_metric()
    got = summarise_metrics({"bcubed_f": runs["bcubed_f"], "pr_auc_ap": runs["pr_auc_ap"]},
                            table="t", metric_labels={"pr_auc_ap": "PR"}, rows=["B"], labels={},
                            columns=COLUMNS[::-1], average=True)
    assert got["column"].to_list() == ["S2 bcubed_f", "S2 PR", "S1 bcubed_f", "S1 PR",
                                       "Avg bcubed_f", "Avg PR"]
    assert got["paper"].null_count() == 6


def test_summarise_metrics_avg_paper_is_keyed_by_metric():
    got = metric_cells(paper={"Alpha": {"Avg pr_auc_ap": 0.8, "Avg bcubed_f": 0.6}})
    avg = got.filter(pl.col("method") == "Alpha", pl.col("split") == "Avg")
    assert avg["paper"].to_list() == [0.8, 0.6]


# --- summarise_rows -------------------------------------------------------------------------


def table_rows() -> list[dict]:
    sub = dict(subsampled=True, n_total=1000)
    return [
        {"label": "Full", "dataset": "faces", "split": "train", "paper": "Paper Full",
         "runs": [{"m": 0.5, "n": 10}, {"m": 0.7, "n": 20}]},
        {"label": "Sub", "dataset": "fashion", "split": "H3_S2",
         "runs": [{"m": 0.4, "n": 30, "n_samples": 100, **sub},
                  {"m": 0.6, "n": None, "n_samples": 200, **sub}]},
        {"label": "One", "dataset": "faces", "split": "test", "runs": [{"m": 0.25, "n": 5, "subsampled": False}]},
    ]


def test_summarise_rows():
    paper = {"Paper Full": {"m": 0.65}, "Full": {"m": 9.9, "n": 9.9}, "Sub": {"n": 31},
             "One": {"m": 0.2}}
    got = summarise_rows(table_rows(), table="t3", metrics=["m", "n"], metric_labels={"n": "N"},
                         paper=paper)
    # Full: m {0.5, 0.7}, n {10, 20} (std sqrt(50)); "Paper Full" wins over the label.
    # Sub: the largest subsample names the row; n has a null run -> NaN. One: single run.
    sub = "Sub (subsample 200/1000)"
    expected = cells([
        ("t3", "Full", "faces", "train", "m", 0.6, R2, 2, 0.65, "m"),
        ("t3", "Full", "faces", "train", "n", 15.0, math.sqrt(50), 2, None, "N"),
        ("t3", sub, "fashion", "H3_S2", "m", 0.5, R2, 2, None, "m"),
        ("t3", sub, "fashion", "H3_S2", "n", float("nan"), float("nan"), 2, 31.0, "N"),
        ("t3", "One", "faces", "test", "m", 0.25, None, 1, 0.2, "m"),
        ("t3", "One", "faces", "test", "n", 5.0, None, 1, None, "N"),
    ])
    assert_frame_equal(got, expected, **TOL)
    assert summarise_rows(table_rows(), table="t3", metrics=["m"],
                          metric_labels={})["paper"].null_count() == 3


def test_summarise_rows_missing_metric_names_row_and_metric():
    rows = table_rows()
    del rows[1]["runs"][1]["m"]
    with pytest.raises(KeyError, match=r"row 'Sub': run has no metric 'm' \(has .*'n_samples'"):
        summarise_rows(rows, table="t3", metrics=["n", "m"], metric_labels={})


# --- read_reference -------------------------------------------------------------------------


def test_read_reference_null_cells(tmp_path):
    path = write_text(tmp_path / "ref.yaml",
                      "columns: [a, b, c]\nrows:\n  X: [1, null, 3.5]\n  Y: [null, null, null]\n")
    assert read_reference(path) == {"X": {"a": 1.0, "c": 3.5}, "Y": {}}
    rgcn = read_reference(REPO / "config" / "reference" / "rgcn_table2.yaml")
    assert rgcn["K-means"] == {"bcubed_f": 0.612, "nmi": 0.858}


# --- build_grid / build_rows ----------------------------------------------------------------


def grid_table(**kw) -> dict:
    return {"name": "t", "title": "T", "rows": ["A", "B"], "dataset": "faces",
            "columns": [{"split": "S1", "paper": "(p1)"}, {"split": "S2", "paper": "(p2)"}], **kw}


def test_build_grid_metric_list_without_average(tmp_path):
    ref = write_text(tmp_path / "ref.yaml", 'columns: ["(p1) pr_auc_ap", "(p1) bcubed_f", '
                     '"(p2) pr_auc_ap", "(p2) bcubed_f"]\nrows:\n  Alpha: [0.91, null, null, 0.33]'
                     '\n  B: [null, null, 0.55, null]\n')
    got, style = build_grid(grid_table(metric=METRICS, average=False), write_runs(tmp_path),
                            {"A": "Alpha"}, ref)
    expected = metric_cells(table="t", average=False)
    assert_frame_equal(got, expected, **TOL)
    shown = ["S1 PR-AUC", "S1 BCubed F", "S2 PR-AUC", "S2 BCubed F"]
    assert got["column"].unique(maintain_order=True).to_list() == shown
    assert [style["column_labels"][c] for c in shown] == ["(p1)", "(p1)", "(p2)", "(p2)"]
    lines = render_markdown(got, **style).splitlines()
    assert lines[2] == "| Method | S1 PR-AUC (p1) | S1 BCubed F (p1) | S2 PR-AUC (p2) " \
                       "| S2 BCubed F (p2) |"
    assert lines[4] == "| Alpha | **0.8000 ± 0.1414** (0.9100) | **0.4000 ± 0.1414** " \
                       "| **0.6000 ± 0.0000** | 0.3000 ± 0.1414 (0.3300) |"


def test_build_grid_single_metric_is_plain_summarise(tmp_path):
    files = write_runs(tmp_path)
    got, style = build_grid(grid_table(metric="bcubed_f", digits=3), files, {"B": "Beta"}, None)
    expected = summarise(load_runs(files, "bcubed_f"), table="t", metric="bcubed_f",
                         rows=["A", "B"], labels={"B": "Beta"}, columns=COLUMNS, paper={})
    assert_frame_equal(got, expected)
    assert got["split"].to_list() == ["S1", "S2", "Avg"] * 2
    assert style == {"title": "T", "column_labels": PAPER_COLUMNS, "note": "",
                     "higher_is_better": {"S1": True, "S2": True, "Avg": True},
                     "digits": {"S1": 3, "S2": 3, "Avg": 3}}


def rows_table(columns: list[dict], tmp_path: Path) -> tuple[dict, list[dict]]:
    def run(name, seed, **values):
        return write_metrics(tmp_path / f"{name}_{seed}.json", dataset="faces", split="train",
                             method=name, seed=seed, **values)
    rows = [
        {"label": "K-means", "dataset": "faces", "split": "test",
         "files": [run("km", 0, train_size=100, bcubed_f=0.5, wall_s=1.0),
                   run("km", 1, train_size=120, bcubed_f=0.7, wall_s=2.0)]},
        {"label": "GCN", "dataset": "faces", "split": "train", "paper": "RGCN",
         "files": [run("gcn", 0, train_size=1000, bcubed_f=0.8, wall_s=0.25),
                   run("gcn", 1, train_size=1000, bcubed_f=0.8, wall_s=0.35)]},
    ]
    return {"name": "c", "title": "Clustering", "note": "  Time excludes kNN.\n",
            "columns": columns}, rows


def test_build_rows_end_to_end(tmp_path):
    ref = write_text(tmp_path / "ref.yaml", "columns: [train_size, bcubed_f, wall_s]\nrows:\n"
                     "  K-means: [500, 0.612, null]\n  RGCN: [null, 0.878, null]\n")
    table, rows = rows_table([{"metric": "train_size"}, {"metric": "bcubed_f"},
                              {"metric": "wall_s"}], tmp_path)
    got, style = build_rows(table, rows, ref)
    assert got["column"].to_list() == ["Training images", "BCubed F", "Time (s)"] * 2
    assert style["digits"] == {"Training images": 0, "BCubed F": 4, "Time (s)": 2}
    assert style["higher_is_better"] == {"Training images": None, "BCubed F": True,
                                         "Time (s)": False}
    # K-means: 110 +- sqrt(200), 0.6 +- sqrt(0.02), 1.5 +- sqrt(0.5); GCN: 1000 +- 0,
    # 0.8 +- 0, 0.3 +- sqrt(0.005). The largest train_size is not bold; the least time is.
    md = render_markdown(got, **style)
    assert md.splitlines()[2:6] == [
        "| Method | Training images | BCubed F | Time (s) |",
        "|---|---|---|---|",
        "| K-means | 110 ± 14 (500) | 0.6000 ± 0.1414 (0.6120) | 1.50 ± 0.71 |",
        "| GCN | 1000 ± 0 | **0.8000 ± 0.0000** (0.8780) | **0.30 ± 0.07** |",
    ]
    assert md.endswith("\nTime excludes kNN.\n")
    assert "Time excludes kNN.}" in render_tex(got, **style)


def test_build_rows_per_column_overrides(tmp_path):
    table, rows = rows_table([{"metric": "wall_s", "digits": 3, "higher_is_better": True},
                              {"metric": "bcubed_f", "label": "F", "higher_is_better": None}],
                             tmp_path)
    got, style = build_rows(table, rows, None)
    assert style["digits"] == {"Time (s)": 3, "F": 4}
    assert style["higher_is_better"] == {"Time (s)": True, "F": None}
    assert style["column_labels"] is None
    lines = render_markdown(got, **style).splitlines()
    assert lines[4:6] == ["| K-means | **1.500 ± 0.707** | 0.6000 ± 0.1414 |",
                          "| GCN | 0.300 ± 0.071 | 0.8000 ± 0.0000 |"]


def test_keyed_columns_headers():
    one_dataset = {"name": "t", "dataset": "d", "columns": [{"split": "a"}, {"split": "b"}]}
    assert [c["key"] for c in keyed_columns(one_dataset)] == ["a", "b"]
    one_split = {"name": "t", "split": "s", "columns": [{"dataset": "x"}, {"dataset": "y",
                                                                          "label": "Y"}]}
    assert [c["key"] for c in keyed_columns(one_split)] == ["x", "Y"]
    both = {"name": "t", "columns": [{"dataset": "x", "split": "a"}, {"dataset": "y",
                                                                      "split": "b"}]}
    assert [c["key"] for c in keyed_columns(both)] == ["x a", "y b"]
    clash = {"name": "t", "split": "s", "columns": [{"dataset": "x", "label": "Z"},
                                                    {"dataset": "y", "label": "Z"}]}
    with pytest.raises(ValueError, match="two columns have the same header"):
        keyed_columns(clash)


def test_build_grid_columns_across_datasets(tmp_path):
    files = [write_metrics(tmp_path / f"{d}_{seed}.json", dataset=d, split="s", method="A",
                           seed=seed, acc=v, macro_f1=v / 2)
             for d, seed, v in [("cora", 0, 0.6), ("cora", 1, 0.8), ("blog", 0, 0.2)]]
    table = {"name": "t1", "title": "T1", "split": "s", "metric": ["acc", "macro_f1"],
             "average": False, "rows": ["A"],
             "columns": [{"dataset": "cora", "paper": "Cora"}, {"dataset": "blog",
                                                                "paper": "BlogCatalog"}]}
    ref = write_text(tmp_path / "ref.yaml", 'columns: ["Cora acc", "Cora macro_f1", '
                     '"BlogCatalog acc", "BlogCatalog macro_f1"]\nrows:\n  A: [0.7, 0.4, null, 0.1]\n')
    got, style = build_grid(table, files, {}, ref)
    assert got["column"].to_list() == ["cora ACC", "cora Macro-F1", "blog ACC", "blog Macro-F1"]
    assert got["dataset"].to_list() == ["cora", "cora", "blog", "blog"]
    assert got["mean"].to_list() == pytest.approx([0.7, 0.35, 0.2, 0.1])
    assert got["paper"].to_list() == [0.7, 0.4, None, 0.1]
    header = render_markdown(got, **style).splitlines()[2]
    assert header == "| Method | cora ACC Cora | cora Macro-F1 Cora | blog ACC BlogCatalog " \
                     "| blog Macro-F1 BlogCatalog |"


def test_build_grid_rows_not_built_show_the_paper_and_a_dash(tmp_path):
    ref = write_text(tmp_path / "ref.yaml", 'columns: ["(p1) pr_auc_ap", "(p1) bcubed_f", '
                     '"(p2) pr_auc_ap", "(p2) bcubed_f"]\nrows:\n  Alpha: [0.9, 0.4, 0.6, 0.3]\n'
                     '  Mamba: [0.95, null, 0.5, 0.2]\n')
    table = grid_table(metric=METRICS, average=False,
                       not_built=[{"label": "Mamba", "reason": "needs CUDA kernels"}])
    got, style = build_grid(table, write_runs(tmp_path), {"A": "Alpha"}, ref)
    mamba = got.filter(pl.col("method") == "Mamba")
    assert mamba.height == 4 and mamba["n_seeds"].to_list() == [0] * 4
    assert mamba["mean"].null_count() == 4
    assert mamba["paper"].to_list() == [0.95, None, 0.5, 0.2]
    assert style["not_built"] == ["Mamba"]
    md = render_markdown(got, **style)
    assert "| Mamba | — (0.9500) | — | — (0.5000) | — (0.2000) |" in md
    assert "— not built here (Mamba: needs CUDA kernels)." in md
    assert "Mamba & — (0.9500)" in render_tex(got, **style)


def _tuned_run(tmp_path: Path, method: str, split: str, seed: int, lr: float, f1: float,
               tuned: bool = True) -> str:
    folder = tmp_path / method / split / str(seed)
    folder.mkdir(parents=True)
    settings = {"method": method, "dataset": "faces", "split": split, "seed": seed}
    if tuned:
        settings["tuning"] = {"grid": {"lr": [0.001, 0.01], "weight_decay": [0.0005]},
                              "seeds": [0, 1], "criterion": "macro_f1", "smooth": 5,
                              "select_from": 20, "chosen": {"lr": lr, "weight_decay": 5e-4}}
    write_text(folder / "settings.json", json.dumps(settings))
    return write_metrics(folder / "metrics.json", dataset="faces", method=method, split=split,
                         seed=seed, macro_f1=f1)


def test_build_grid_notes_each_methods_tuned_lr_and_weight_decay(tmp_path):
    files = [_tuned_run(tmp_path, "A", "S1", 0, 0.01, 0.5), _tuned_run(tmp_path, "A", "S1", 1, 0.01, 0.6),
             _tuned_run(tmp_path, "A", "S2", 0, 0.001, 0.5),
             _tuned_run(tmp_path, "A", "S2", 1, 0.01, 0.5),  # one job per seed: differs
             _tuned_run(tmp_path, "B", "S1", 0, 0, 0.4, tuned=False),
             _tuned_run(tmp_path, "B", "S1", 1, 0, 0.4, tuned=False)]
    table = {"name": "t", "title": "T", "metric": "macro_f1", "average": False,
             "rows": ["A", "B"], "columns": [{"dataset": "faces", "split": "S1"},
                                             {"dataset": "faces", "split": "S2"}]}
    _, style = build_grid(table, files[:4] + files[4:], {"A": "Method A"}, None)
    assert style["note"].endswith(
        "Learning rate and weight decay tuned per row and column (lr {0.001, 0.01} x weight "
        "decay {0.0005} on validation macro_f1 smoothed over 5 epochs from epoch 20, mean of "
        "2 seeds):\n\n"
        "- Method A: S1: lr 0.01, wd 0.0005; S2: lr 0.001, wd 0.0005 (seeds 0); lr 0.01, "
        "wd 0.0005 (seeds 1)")
    assert "B" not in style["note"].split("seeds):")[1]


def test_build_grid_without_tuning_has_no_tuning_note(tmp_path):
    files = [_tuned_run(tmp_path, "B", "S1", s, 0, 0.4, tuned=False) for s in (0, 1)]
    table = {"name": "t", "title": "T", "metric": "macro_f1", "average": False,
             "rows": ["B"], "columns": [{"dataset": "faces", "split": "S1"}]}
    assert "tuned" not in build_grid(table, files, {}, None)[1]["note"]


def test_grid_rank_and_epoch_columns_by_hand(tmp_path):
    """rank: each (column, metric) cell ranks the methods by mean (ties share), averaged;
    epoch_time: train_s / epochs of the dataset's runs, mean over seeds."""
    files = []
    for m, s, seed, p, b in RUNS:
        path = write_metrics(tmp_path / f"{m}_{s}_{seed}.json", dataset="faces", method=m,
                             split=s, seed=seed, pr_auc_ap=p, bcubed_f=b)
        d = tmp_path / f"{m}_{s}_{seed}"
        d.mkdir()
        Path(path).rename(d / "metrics.json")
        (d / "timings.json").write_text(json.dumps(
            {"train_s": {"A": 2.0, "B": 6.0}[m] * (1 + seed), "epochs": 2}))
        files.append(str(d / "metrics.json"))
    table = {"name": "t", "title": "T", "metric": METRICS, "rows": ["A", "B"],
             "columns": [{"split": "S1"}, {"split": "S2"}], "dataset": "faces",
             "average": False, "rank": True, "epoch_time": "faces"}
    cells, style = build_grid(table, files, {"A": "A", "B": "B"}, None)
    get = {(r["method"], r["column"]): r["mean"] for r in cells.iter_rows(named=True)}
    # means: PR-AUC S1 A 0.8 B 0.8 (tie: 1.5 each), S2 A 0.6 B 0.6 (tie);
    # BCubed S1 A 0.4 B 0.2 (A 1, B 2), S2 A 0.3 B 0.4 (A 2, B 1)
    assert get[("A", "Avg. rank")] == pytest.approx((1.5 + 1.5 + 1 + 2) / 4)
    assert get[("B", "Avg. rank")] == pytest.approx((1.5 + 1.5 + 2 + 1) / 4)
    # A: seeds 0, 1 on two splits -> 1, 2, 1, 2 s per epoch; B: 3, 6, 3, 6
    assert get[("A", "Epoch (s) faces")] == pytest.approx(1.5)
    assert get[("B", "Epoch (s) faces")] == pytest.approx(4.5)
    assert style["higher_is_better"]["Avg. rank"] is False
    assert "Avg. rank" in render_markdown(cells, **style)
