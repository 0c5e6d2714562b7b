#!/usr/bin/env python3
"""Benchmark the graph-classification family (imbgraph.graphcls) on one core.

Run as ``python benchmarks/bench_graphcls.py [default|real|epoch] [options]``. Prints one JSON
object per measurement: {"name", "value", "unit", "target", "ok"}.

* ``default`` (``--config``, ``--tables``: a YAML holding the ``graphcls:`` section and one
  holding the ``tables:`` entries; default config/config.yaml for both): the whole graph part of
  the default config as the pipeline would run it - per dataset the collection, its PE and the
  G2GNN kNN table once, the splits of every seed, then one job per (dataset, split, method) that
  the tables name, looping over the seeds in this process. Each job's wall time is measured;
  the import cost of one job (python + torch + PyG + imbgraph.graphcls, measured in a fresh
  interpreter) is added per job. Target: 720 s (12 minutes) in total.
* ``real`` (``--data-root``, ``--datasets``, ``--epochs``): per-run seconds of every method of
  the config on real TU / GIN-text data (one seed, a fixed number of epochs, no early stopping),
  plus the one-off costs (reading, PE, kernel kNN); to plan epochs for a budget.
* ``epoch`` (``--data-root``, ``--datasets``): seconds per training epoch of GIN and UniImb on
  the paper's split of large collections (REDDIT-BINARY, COLLAB) and the peak RSS of a child
  process doing one epoch of each.

torch uses one intra-op thread, as a pipeline job with ``threads: 1``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from imbgraph.graphcls.config import check, knn_spec, pe_dim, resolve_method, split_params
from imbgraph.graphcls.datasets import build_collection
from imbgraph.graphcls.encodings import random_walk_pe
from imbgraph.graphcls.job import run_method
from imbgraph.graphcls.kernel_knn import kernel_knn
from imbgraph.graphcls.splits import make_split

ROOT = Path(__file__).resolve().parents[1]


def emit(name: str, value, unit: str, target=None, ok=None) -> None:
    print(json.dumps({"name": name, "value": value, "unit": unit, "target": target, "ok": ok}))
    sys.stdout.flush()


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def import_seconds() -> float:
    """Wall seconds of a fresh interpreter importing what a graph job imports (median of 3)."""
    code = ("import torch, torch_geometric, imbgraph.graphcls.job, "
            "imbgraph.graphcls.config, imbgraph.metrics.classification")
    times = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def load_yaml(path: str) -> dict:
    with open(path) as fh:
        return yaml.safe_load(fh)


def prepare(section: dict, name: str, methods: list[str], data_root: str | None):
    """(collection, pe, {(kernel, k, params) -> knn}, seconds per step) of one dataset."""
    t = time.perf_counter()
    coll = build_collection(section["datasets"][name], name=name, data_root=data_root)
    t_read = time.perf_counter() - t
    t = time.perf_counter()
    pe = random_walk_pe(coll, pe_dim(section, name),
                        method=section.get("pe", {}).get("method", "half"))
    t_pe = time.perf_counter() - t
    knns, t = {}, time.perf_counter()
    for m in methods:
        spec = knn_spec(resolve_method(section, m))
        if spec is not None:
            key = json.dumps(spec, sort_keys=True)
            if key not in knns:
                knns[key] = kernel_knn(coll, spec[1], kernel=spec[0], **spec[2])
    return coll, pe, knns, {"read": t_read, "pe": t_pe, "knn": time.perf_counter() - t}


def jobs_of(tables: dict) -> dict[tuple[str, str], list[str]]:
    jobs: dict[tuple[str, str], list[str]] = {}
    for t in tables.values():
        if t.get("family") != "graphcls":
            continue
        for col in t["columns"]:
            rows = jobs.setdefault((col["dataset"], col["split"]), [])
            rows += [r for r in t["rows"] if r not in rows]
    return jobs


def bench_default(args) -> None:
    cfg = load_yaml(args.config)
    section = cfg.get("graphcls", cfg)
    tables = load_yaml(args.tables).get("tables", {})
    check(section)
    seeds = args.seeds or cfg.get("seeds", [0, 1, 2])
    imp = import_seconds()
    emit("graphcls_import_per_job", round(imp, 2), "s")
    jobs = jobs_of(tables)
    total_jobs, job_sum, prep_sum = 0, 0.0, 0.0
    per_method: dict[str, list[float]] = {}
    for dataset in dict.fromkeys(d for d, _ in jobs):
        methods = sorted({m for (d, _), ms in jobs.items() if d == dataset for m in ms})
        coll, pe, knns, cost = prepare(section, dataset, methods, None)
        prep_sum += sum(cost.values()) + 3 * imp  # three prep jobs (collection, PE, kNN)
        emit(f"graphcls_prepare_{dataset}", {k: round(v, 2) for k, v in cost.items()}, "s")
        for (d, split), ms in jobs.items():
            if d != dataset:
                continue
            protocol, params = split_params(section, dataset, split)
            splits = {s: make_split(coll.y, coll.sizes, protocol, params, seed=s) for s in seeds}
            for m in ms:
                method = resolve_method(section, m, dataset)
                spec = knn_spec(method)
                cached = {} if spec is None else {"knn": knns[json.dumps(spec, sort_keys=True)]}
                t = time.perf_counter()
                scores = []
                for s in seeds:
                    met, _ = run_method(coll, pe, splits[s], method, seed=s, cached=cached)
                    scores.append(met["macro_f1"])
                sec = time.perf_counter() - t
                total_jobs += 1
                job_sum += sec
                per_method.setdefault(m, []).append(sec)
                emit(f"graphcls_job_{dataset}_{split}_{m}", {"seconds": round(sec, 2),
                     "macro_f1": round(float(np.mean(scores)), 4)}, "s")
    total = job_sum + total_jobs * imp + prep_sum
    emit("graphcls_default_jobs", total_jobs, "jobs")
    emit("graphcls_default_job_seconds_sum", round(job_sum, 1), "s")
    emit("graphcls_default_method_seconds",
         {m: round(sum(v), 1) for m, v in per_method.items()}, "s")
    emit("graphcls_default_total_serial", round(total, 1), "s", 720, total <= 720)
    emit("graphcls_default_total_2_jobs_parallel", round(total / 2, 1), "s")
    emit("graphcls_peak_rss", round(peak_rss_mib(), 1), "MiB")


def _fixed_epochs(method: dict, epochs: int) -> dict:
    return {**method, "train": {**method["train"], "epochs": epochs, "patience": epochs + 1}}


def bench_real(args) -> None:
    cfg = load_yaml(args.config)
    section = cfg.get("graphcls", cfg)
    data_root = args.data_root or section.get("data_root")
    methods = args.methods.split(",") if args.methods else list(section["methods"])
    for dataset in args.datasets.split(","):
        coll, pe, knns, cost = prepare(section, dataset, methods, data_root)
        emit(f"graphcls_real_prepare_{dataset}", {k: round(v, 2) for k, v in cost.items()}, "s")
        protocol, params = split_params(section, dataset, args.split)
        split = make_split(coll.y, coll.sizes, protocol, params, seed=0)
        for m in methods:
            method = _fixed_epochs(resolve_method(section, m, dataset), args.epochs)
            spec = knn_spec(method)
            cached = {} if spec is None else {"knn": knns[json.dumps(spec, sort_keys=True)]}
            t = time.perf_counter()
            met, summ = run_method(coll, pe, split, method, seed=0, cached=cached)
            sec = time.perf_counter() - t
            emit(f"graphcls_real_{dataset}_{m}", {
                "run_seconds": round(sec, 2), "epochs": summ["epochs"],
                "epoch_seconds": round(summ["train_seconds"] / max(summ["epochs"], 1), 3),
                "pretrain_seconds": round(summ.get("pretrain_seconds", 0.0), 2),
                "macro_f1": round(met["macro_f1"], 4), "micro_f1": round(met["micro_f1"], 4)}, "s")
    emit("graphcls_peak_rss", round(peak_rss_mib(), 1), "MiB")


_EPOCH_CHILD = """
import json, resource, sys, time, torch, yaml
torch.set_num_threads(1)
from imbgraph.graphcls.config import pe_dim, resolve_method, split_params
from imbgraph.graphcls.datasets import build_collection
from imbgraph.graphcls.encodings import random_walk_pe
from imbgraph.graphcls.job import run_method
from imbgraph.graphcls.splits import make_split
cfg_path, dataset, method_name, data_root, split_name = sys.argv[1:6]
cfg = yaml.safe_load(open(cfg_path)); section = cfg.get("graphcls", cfg)
t = time.perf_counter()
coll = build_collection(section["datasets"][dataset], name=dataset, data_root=data_root)
pe = random_walk_pe(coll, pe_dim(section, dataset)); prep = time.perf_counter() - t
protocol, params = split_params(section, dataset, split_name)
split = make_split(coll.y, coll.sizes, protocol, params, seed=0)
m = resolve_method(section, method_name, dataset)
m = {**m, "train": {**m["train"], "epochs": 2, "patience": 3}}
_, s = run_method(coll, pe, split, m, seed=0)
print(json.dumps({"prep_seconds": prep, "epoch_seconds": s["train_seconds"] / s["epochs"],
                  "train_graphs": s["train_graphs"],
                  "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def bench_epoch(args) -> None:
    data_root = args.data_root
    for dataset in args.datasets.split(","):
        for m in args.methods.split(","):
            out = subprocess.run([sys.executable, "-c", _EPOCH_CHILD, args.config, dataset, m,
                                  data_root, args.split], capture_output=True, text=True)
            if out.returncode:
                emit(f"graphcls_epoch_{dataset}_{m}", out.stderr[-300:], "error", ok=False)
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            emit(f"graphcls_epoch_{dataset}_{m}", {k: round(v, 2) if isinstance(v, float) else v
                                                  for k, v in r.items()}, "s")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("mode", nargs="?", default="default", choices=["default", "real", "epoch"])
    p.add_argument("--config", default=str(ROOT / "config/config.yaml"))
    p.add_argument("--tables", default=str(ROOT / "config/config.yaml"))
    p.add_argument("--seeds", type=int, nargs="*")
    p.add_argument("--data-root", default=None)
    p.add_argument("--datasets", default="PROTEINS,DD,NCI1,IMDB-MULTI")
    p.add_argument("--methods", default="")
    p.add_argument("--split", default="class")
    p.add_argument("--epochs", type=int, default=5)
    args = p.parse_args()
    torch.set_num_threads(1)
    {"default": bench_default, "real": bench_real, "epoch": bench_epoch}[args.mode](args)


if __name__ == "__main__":
    main()
