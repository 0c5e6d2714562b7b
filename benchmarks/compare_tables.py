#!/usr/bin/env python3
"""Cell-by-cell difference of the tables and figures of two finished runs.

Used to show that a refactor changed no number: run a config on a checkout before and after
(each into its own folder), then

    .venv/bin/python benchmarks/compare_tables.py OLD_RUN NEW_RUN

compares every ``results/tables/*.csv`` and ``results/figures/*.csv`` of the old run with
the new run's file of the same name: the rows are joined on every column that is not a
number of the cell (``mean``, ``std``, ``paper``, ``n_seeds``), and the tool prints, per file
and numeric column, the largest absolute difference and the number of cells empty in one run
only. It exits 1 when a file is missing, the rows differ, or any difference exceeds
``--tolerance`` (0 by default: identical cells). ``--face`` compares the face family's four
tables and Figure 3 the way the house refactor (issue 8) did: tables of that old layout
called the split column `dataset` and are renamed so both runs join on (method, split,
metric).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

VALUES = ("mean", "std", "paper", "n_seeds")
FACE_TABLES = ("table1", "table2", "table3", "clustering")
# table3 and clustering have one split per method: join on the method alone.
FACE_KEYS = {"table1": ["method", "split", "metric"], "table2": ["method", "split", "metric"],
             "table3": ["method", "metric"], "clustering": ["method", "metric"]}


def compare_frames(old: pl.DataFrame, new: pl.DataFrame, name: str,
                   keys: list[str] | None = None) -> float:
    """Largest absolute difference of the value columns of two tables (SystemExit when
    their rows differ); prints one line per value column."""
    values = [c for c in VALUES if c in old.columns]
    keys = keys or [c for c in old.columns if c not in values]
    if sorted(old.columns) != sorted(new.columns):
        raise SystemExit(f"{name}: columns differ ({old.columns} / {new.columns})")
    joined = old.join(new, on=keys, how="full", suffix="_new", nulls_equal=True)
    if not joined.height == old.height == new.height:
        raise SystemExit(f"{name}: rows differ (old {old.height}, new {new.height}, "
                         f"joined {joined.height})")
    if "metric" in joined.columns:  # wall time is a measurement, not a result
        joined = joined.filter(pl.col("metric") != "wall_s")
    worst = 0.0
    for col in values:
        diff = (joined[col].cast(pl.Float64) - joined[f"{col}_new"].cast(pl.Float64)).abs().max()
        nulls = int((joined[col].is_null() != joined[f"{col}_new"].is_null()).sum())
        print(f"{name:24s} {col:8s} max|diff| = {diff or 0.0:.3g}  "
              f"empty in one run only: {nulls}  ({old.height} rows)")
        worst = max(worst, diff or 0.0, float("inf") if nulls else 0.0)
    return worst


def compare_all(old_root: Path, new_root: Path) -> float:
    worst = 0.0
    files = sorted((old_root / "results").glob("tables/*.csv")) + sorted(
        (old_root / "results").glob("figures/*.csv"))
    if not files:
        raise SystemExit(f"{old_root}/results holds no tables or figures")
    for old_file in files:
        rel = old_file.relative_to(old_root)
        new_file = new_root / rel
        if not new_file.exists():
            raise SystemExit(f"{rel}: missing from {new_root}")
        worst = max(worst, compare_frames(pl.read_csv(old_file), pl.read_csv(new_file),
                                          str(rel)))
    print(f"{len(files)} files compared")
    return worst


def compare_face(old_root: Path, new_root: Path) -> float:
    worst = 0.0
    for name in FACE_TABLES:
        old = pl.read_csv(old_root / "results" / "tables" / f"{name}.csv")
        new = pl.read_csv(new_root / "results" / "tables" / f"{name}.csv")
        if "split" not in old.columns:
            old = old.rename({"dataset": "split"})
        old, new = old.select(FACE_KEYS[name] + list(VALUES)), new.select(
            FACE_KEYS[name] + list(VALUES))
        worst = max(worst, compare_frames(old, new, name, FACE_KEYS[name]))
    old = pl.read_csv(old_root / "results" / "figures" / "figure3.csv")
    new = pl.read_csv(new_root / "results" / "figures" / "figure3.csv")
    cols = ["series", "gamma", "mean", "std"]
    return max(worst, compare_frames(old.select(cols), new.select(cols), "figure3",
                                     ["series", "gamma"]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", type=Path, help="folder (clone or --directory) of the first run")
    parser.add_argument("new", type=Path, help="folder of the second run")
    parser.add_argument("--tolerance", type=float, default=0.0,
                        help="largest difference still counted as equal (default 0)")
    parser.add_argument("--face", action="store_true",
                        help="the face family's tables and Figure 3 only, old layout renamed")
    args = parser.parse_args()
    worst = (compare_face if args.face else compare_all)(args.old, args.new)
    print(f"largest difference anywhere: {worst:.3g}")
    if worst > args.tolerance:
        raise SystemExit(f"the runs differ by more than {args.tolerance:g}")


if __name__ == "__main__":
    main()
