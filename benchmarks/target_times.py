#!/usr/bin/env python3
"""Job CPU time per target of a finished default run, from Snakemake's benchmark files.

Each job is attributed to the one target that needs it first (Table 1's runs are shared
with Table 3 and Figure 3 but counted under Table 1). Prints one JSON object per target with
its jobs, CPU minutes and its share of the total; multiply the share by the run's wall time
for a per-target wall estimate.

    python benchmarks/target_times.py results/benchmarks
"""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from pathlib import Path


def target(rule: str, parts: list[str]) -> str:
    if rule == "render_table":
        return parts[0].removesuffix(".tsv")
    if rule == "render_figure":
        return "figure3"
    if rule == "cluster_baseline":
        return "clustering"
    dataset = parts[0]
    if rule in ("train_linkage", "evaluate_linkage"):
        split, method = parts[1], parts[2]
        if dataset == "fashion":
            return "table3" if split == "train" else "table2"
        if split == "train":
            return "table3" if method == "L-GCN" else "clustering"
        return "figure3" if "-g" in method else "table1"
    if dataset == "fashion":
        return "table2"
    return "table3" if len(parts) > 1 and parts[1].startswith("train") else "table1"


def main(root: str) -> None:
    cpu, jobs = Counter(), Counter()
    for f in Path(root).rglob("*.tsv"):
        parts = list(f.relative_to(root).parts)
        with open(f) as fh:
            row = next(csv.DictReader(fh, delimiter="\t"))
        t = target(parts[0], parts[1:])
        cpu[t] += float(row["cpu_time"])
        jobs[t] += 1
    total = sum(cpu.values())
    for t in sorted(cpu, key=cpu.get, reverse=True):
        print(json.dumps({"target": t, "jobs": jobs[t], "cpu_min": round(cpu[t] / 60, 1),
                          "share": round(cpu[t] / total, 3)}))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "results/benchmarks")
