"""Tests of imbgraph.tables.render: Markdown and LaTeX in the paper layout (best in bold,
paper values in parentheses, per-column digits and directions)."""

from __future__ import annotations

import polars as pl

from imbgraph.tables import render_markdown, render_tex
from imbgraph.tables.aggregate import CELL_SCHEMA

PAPER_COLUMNS = {"H5_S2": "(200,3)", "H5_S3": "(200,5)"}


def test_render_markdown(summarised):
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
    assert "mean ± std over 3 seeds (paper's reported value in parentheses)" in md


def test_render_markdown_without_paper_values_does_not_mention_them(summarised):
    cells = summarised().with_columns(pl.lit(None, dtype=pl.Float64).alias("paper"))
    md = render_markdown(cells, title="t")
    assert "Cells: mean ± std over 3 seeds; best mean per column in bold." in md
    assert "paper" not in md and "(0." not in md
    tex = render_tex(cells, title="t", note="n")
    assert r"\caption{t. Mean $\pm$ std over seeds; best in bold. n}" in tex


def test_render_markdown_lower_is_better_and_digits(summarised):
    md = render_markdown(summarised(), title="t", higher_is_better=False, digits=2)
    lines = md.splitlines()
    assert lines[4] == "| Alpha | 0.80 ± 0.10 (0.95) | 0.70 ± 0.17 | 0.75 ± 0.05 (0.90) |"
    assert lines[5] == "| B (w/ X) | **0.60 ± 0.14** | **0.40** | **0.45** |"


def tie_cells() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "table": ["t"] * 6,
            "method": ["P", "P", "Q", "Q", "R", "R"],
            "dataset": ["d"] * 6,
            "split": ["S1", "S2"] * 3,
            "metric": ["m"] * 6,
            "mean": [0.5, 0.2, 0.5, float("nan"), 0.3, None],
            "std": [0.01, 0.0, 0.02, None, 0.0, None],
            "n_seeds": [2, 2, 2, 2, 1, 0],
            "paper": [None] * 6,
            "column": ["S1", "S2"] * 3,
        },
        schema=CELL_SCHEMA,
    )


def test_render_markdown_ties_are_all_bold_and_nan_is_na():
    lines = render_markdown(tie_cells(), title="t", digits=2).splitlines()
    assert lines[2] == "| Method | S1 | S2 |"
    assert lines[4] == "| P | **0.50 ± 0.01** | **0.20 ± 0.00** |"
    assert lines[5] == "| Q | **0.50 ± 0.02** | n/a |"
    assert lines[6] == "| R | 0.30 | n/a |"


def test_render_tex(summarised):
    tex = render_tex(summarised(), title="PR-AUC 100%", column_labels=PAPER_COLUMNS)
    lines = tex.splitlines()
    assert lines[0] == r"\begin{table}[t]"
    assert lines[2].startswith(r"\caption{PR-AUC 100\%. Mean $\pm$ std over seeds; paper value "
                               r"in parentheses; best in bold.")
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


