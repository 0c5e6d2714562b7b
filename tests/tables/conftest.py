"""Shared cells for the table tests: per-run values of three methods on two subsets and
their summary (mean +- std over seeds, Avg, paper values)."""

from __future__ import annotations

import polars as pl
import pytest

from imbgraph.tables.aggregate import summarise

RUNS_SCHEMA = {"method": pl.String, "dataset": pl.String, "split": pl.String, "seed": pl.Int64,
               "value": pl.Float64}
COLUMNS = [{"key": "H5_S2", "dataset": "faces", "split": "H5_S2", "paper": "(200,3)"},
           {"key": "H5_S3", "dataset": "faces", "split": "H5_S3", "paper": "(200,5)"}]
ROWS = ["A", "B", "C"]
LABELS = {"A": "Alpha", "B": "B (w/ X)"}  # C falls back to its key
PAPER = {
    "Alpha": {"(200,3)": 0.95, "Avg": 0.9},
    "B": {"(200,3)": 0.1},  # keyed by method name, not label: never used
    "C": {"(200,5)": 0.5},
}


def runs_frame() -> pl.DataFrame:
    rows = [(m, "faces", s, seed, v) for m, s, seed, v in [
        # A: three seeds on both columns, plus a split outside the table (ignored).
        ("A", "H5_S2", 0, 0.9), ("A", "H5_S2", 1, 0.8), ("A", "H5_S2", 2, 0.7),
        ("A", "H5_S3", 0, 0.6), ("A", "H5_S3", 1, 0.6), ("A", "H5_S3", 2, 0.9),
        ("A", "train", 0, 0.0),
        # B: two seeds on H5_S2, only seed 0 on H5_S3 -> Avg from seed 0 alone.
        ("B", "H5_S3", 0, 0.4), ("B", "H5_S2", 1, 0.7), ("B", "H5_S2", 0, 0.5),
        # A method that is no row of the table (ignored); C has no runs at all.
        ("Z", "H5_S2", 0, 0.99),
    ]] + [("A", "other", "H5_S2", 0, 0.0)]  # another dataset's run of the split (ignored)
    return pl.DataFrame(rows, schema=RUNS_SCHEMA, orient="row")


def _summarised(**kw) -> pl.DataFrame:
    args = dict(table="table1", metric="pr_auc_ap", rows=ROWS, labels=LABELS, columns=COLUMNS,
                paper=PAPER)
    return summarise(runs_frame(), **{**args, **kw})




@pytest.fixture
def summarised():
    """summarise() of runs_frame() with the constants above; keyword arguments override."""
    return _summarised


@pytest.fixture
def columns():
    return [dict(c) for c in COLUMNS]
