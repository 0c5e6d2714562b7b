"""Cell-by-cell difference of the face tables and Figure 3 between two finished runs.

Used to show that the house refactor (issue 8) changed no number: run the tiny config on a
checkout before and after, then

    .venv/bin/python benchmarks/compare_tables.py OLD_CLONE NEW_CLONE

prints, per table and column, the largest absolute difference and the number of cells that
are empty in one run only, and exits 1 when any difference exceeds ``--tolerance`` or a table's
rows or the figure's points differ. Tables of the old layout called the split column `dataset`; they
are renamed so both runs join on (method, split, metric).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

TABLES = ("table1", "table2", "table3", "clustering")
# table3 and clustering have one split per method: join on the method alone.
KEYS = {"table1": ["method", "split", "metric"], "table2": ["method", "split", "metric"],
        "table3": ["method", "metric"], "clustering": ["method", "metric"]}


def compare_table(old: pl.DataFrame, new: pl.DataFrame, name: str) -> float:
    if "split" not in old.columns:
        old = old.rename({"dataset": "split"})
    joined = old.join(new, on=KEYS[name], how="full", suffix="_new")
    if not joined.height == old.height == new.height:
        raise SystemExit(f"{name}: rows differ (old {old.height}, new {new.height}, "
                         f"joined {joined.height})")
    if name == "clustering":  # wall time is a measurement, not a result
        joined = joined.filter(pl.col("metric") != "wall_s")
    worst = 0.0
    for col in ("mean", "std", "paper", "n_seeds"):
        diff = (joined[col] - joined[f"{col}_new"]).abs().max() or 0.0
        nulls = (joined[col].is_null() != joined[f"{col}_new"].is_null()).sum()
        print(f"{name:10s} {col:8s} max|diff| = {diff:.3g}  empty in one run only: {nulls}")
        worst = max(worst, diff)
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=Path, help="clone (or results parent) of the first run")
    parser.add_argument("new", type=Path, help="clone of the second run")
    parser.add_argument("--tolerance", type=float, default=1e-12,
                        help="largest difference still counted as equal (summation order)")
    args = parser.parse_args()
    worst = 0.0
    for name in TABLES:
        old = pl.read_csv(args.old / "results" / "tables" / f"{name}.csv")
        new = pl.read_csv(args.new / "results" / "tables" / f"{name}.csv")
        worst = max(worst, compare_table(old, new, name))
    old = pl.read_csv(args.old / "results" / "figures" / "figure3.csv")
    new = pl.read_csv(args.new / "results" / "figures" / "figure3.csv")
    fig = old.join(new, on=["series", "gamma"], how="full", suffix="_new", nulls_equal=True)
    if not fig.height == old.height == new.height:
        raise SystemExit(f"figure3: points differ (old {old.height}, new {new.height}, "
                         f"joined {fig.height})")
    for col in ("mean", "std"):
        diff = (fig[col] - fig[f"{col}_new"]).abs().max() or 0.0
        print(f"figure3    {col:8s} max|diff| = {diff:.3g}  ({old.height} / {new.height} points)")
        worst = max(worst, diff)
    print(f"largest difference anywhere: {worst:.3g}")
    if worst > args.tolerance:
        raise SystemExit(f"the runs differ by more than {args.tolerance:g}")


if __name__ == "__main__":
    main()
