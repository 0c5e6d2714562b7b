#!/usr/bin/env python3
"""The node selection and tuning protocol's effect on one row of a real table (README,
"Node selection and tuning protocol").

Run as ``benchmarks/node_selection_effect.py DATASET METHOD MODE`` (e.g. ``citeseer
ECGN_Oversampling old``) with the real graphs under ``$IMBGRAPH_DATASETS`` (default
/work/shared/datasets). The method is config/real_nodecls.yaml's, resolved on its ``ecgn``
split (``--split`` for another), trained on 4 seeds (``--seeds``) in one process through
:func:`imbgraph.nodecls.job.job_records`, one torch thread. MODE:

- ``old``: the best raw validation epoch from epoch 0, the configured lr (before issue 18);
- ``select``: the config's ``select_from`` and ``smooth``, the configured lr, no grid;
- ``tuned``: the config as it is (the lr x weight decay grid too).

Prints one JSON object {"name", "value", "unit", "target", "ok"} with the mean test macro F1
and, beside it, the per-seed macro F1, best epochs, the grid's choice and the seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import torch
import yaml

from imbgraph.nodecls import config as nc
from imbgraph.nodecls.data.datasets import build_graph
from imbgraph.nodecls.data.splits import make_split
from imbgraph.nodecls.job import job_records
from imbgraph.nodecls.methods.ecgn.clusters import node_clusters

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("IMBGRAPH_DATASETS", "/work/shared/datasets"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dataset")
    ap.add_argument("method")
    ap.add_argument("mode", choices=["old", "select", "tuned"])
    ap.add_argument("--split", default="ecgn")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    args = ap.parse_args()
    torch.set_num_threads(1)
    section = yaml.safe_load((REPO / "config/real_nodecls.yaml").read_text())["nodecls"]
    g = build_graph(section["datasets"][args.dataset], data_root=DATA)
    spec = nc.resolve_split(section, args.split, args.dataset)
    splits = [make_split(g.y, g.class_names, spec, seed=s) for s in args.seeds]
    method = nc.resolve_method(section, args.method, split=args.split, dataset=args.dataset)
    train = method["train"]
    if args.mode != "tuned":
        train.pop("tune", None)
    if args.mode == "old":
        train.update(select_from=0, smooth=1)
    k = method["balancing"].get("clusters")
    cached = [{}] * len(args.seeds)
    if nc.needs_clusters(section["methods"][args.method]):  # as the METIS rule computes them
        cached = [{"clusters": node_clusters(g, int(k), seed=section["clusters"]["metis_seed"])}
                  ] * len(args.seeds)
    t0 = time.perf_counter()
    records = job_records(g, splits, method, seeds=args.seeds, dataset=args.dataset,
                          split_name=args.split, method_name=args.method, cached=cached,
                          progress=False)
    f1 = [r[0]["macro_f1"] for r in records]
    tuning = records[0][2].get("tuning") or {}
    print(json.dumps({
        "name": f"{args.dataset}/{args.method}/{args.mode}", "value": round(sum(f1) / len(f1), 4),
        "unit": "test macro F1 (mean over seeds)", "target": None, "ok": True,
        "macro_f1": [round(x, 4) for x in f1],
        "best_epoch": [r[0]["best_epoch"] for r in records],
        "chosen": tuning.get("chosen"),
        "val_means": [round(p["val_mean"], 4) for p in tuning.get("points", [])],
        "seconds": round(time.perf_counter() - t0, 1)}))


if __name__ == "__main__":
    main()
