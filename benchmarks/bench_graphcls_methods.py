#!/usr/bin/env python3
"""Seconds per training epoch of graph methods against plain GIN (``kind: supervised`` on the
``gin`` model) on the same batches, in one process; and the process's peak memory.

Run as ``python benchmarks/bench_graphcls_methods.py [--datasets PROTEINS DD] [--methods
SOLT-GNN Exphormer GraphMamba] [--reps 3] [--graphs 256]``. Prints one JSON object per
measurement: {"name", "value", "unit", "target", "ok"}. ``--memory`` times SOLT-GNN's pattern
memory alone instead (forward and backward of 32 and 500 queries, d_m = dim = 64, against the
code's literal (b, d_m, d_m) form in the same process).

Each method is built as its run job builds it (:func:`imbgraph.graphcls.methods.base` through
``METHODS[kind].impl``; the rows below are the real configs' settings, width 64) and trained for
one epoch over the same seeded batches of ``--graphs`` graphs (default 256; 0: every graph of
the collection) per repetition; repetitions alternate GIN and the method so that load from other
processes hits both alike; reported are the medians and their ratio (target <= 3). One-off
per-graph preparation (Exphormer's expander draws) runs in a warm-up epoch first and is
reported apart. Real collections come from ``$IMBGRAPH_DATASETS`` (``tu/PROTEINS``,
``gin/DD.zip``); without it the default config's synthetic ``proteins_like``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from imbgraph import plugins
from imbgraph.graphcls.datasets import build_collection
from imbgraph.graphcls.encodings import random_walk_pe
from imbgraph.graphcls.methods import METHODS
from imbgraph.graphcls.methods.base import MethodInputs
from imbgraph.graphcls.splits import GraphSplit
from imbgraph.graphcls.train import TrainConfig, batches

ROOT = Path(__file__).resolve().parents[1]
TARGET = 3.0
GIN = {"name": "gin", "hidden": 64, "layers": 3, "readout": "sum", "pe_mode": "path"}
ROWS = {
    "GIN": ("supervised", GIN, {}),
    "SOLT-GNN": ("soltgnn", GIN, {}),
    "Exphormer": ("supervised", {"name": "exphormer", "hidden": 64, "layers": 2, "heads": 4},
                  {}),
    "GraphMamba": ("supervised", {"name": "mamba", "hidden": 64, "layers": 2}, {}),
}


def emit(name: str, value, unit: str, target=None, ok=None) -> None:
    print(json.dumps({"name": name, "value": value, "unit": unit, "target": target, "ok": ok}))
    sys.stdout.flush()


def collections(names: list[str]):
    root = os.environ.get("IMBGRAPH_DATASETS")
    entries = {"PROTEINS": ({"source": "tu", "node_features": "labels"}, 1),
               "DD": ({"source": "gin_text", "node_features": "labels"}, 16),
               "PTC_MR": ({"source": "tu", "node_features": "labels"}, 4),
               "IMDB-BINARY": ({"source": "tu", "node_features": "degree", "max_degree": 64}, 8)}
    if not root:
        cfg = yaml.safe_load((ROOT / "config/config.yaml").read_text())["graphcls"]
        yield "proteins_like", build_collection(cfg["datasets"]["proteins_like"],
                                                name="proteins_like"), 4
        return
    for name in names:
        entry, pe_dim = entries[name]
        yield name, build_collection(entry, name=name, data_root=root), pe_dim


def learner(row: str, coll, pe, device, batch_size: int):
    kind, model, params = ROWS[row]
    spec = METHODS[kind]
    full = spec.settings(params)
    ids = np.arange(coll.num_graphs)
    split = GraphSplit(train=ids[4:], val=ids[:2], test=ids[2:4])
    settings = {"label": row, "kind": kind, "model": model, "balance": {}, "params": full,
                "train": {"batch_size": batch_size}}
    inputs = MethodInputs(collection=coll, pe=pe, split=split, settings=settings,
                          params=spec.own(full), seed=0, device=device,
                          rng=np.random.default_rng(0), train=TrainConfig(batch_size=batch_size))
    torch.manual_seed(0)
    lrn, batcher = plugins.load_callable(spec.ref(full), key=row)(inputs)
    lrn.to(device)
    opt = torch.optim.Adam(lrn.parameters(), lr=1e-3)
    return lrn, batcher, opt


def epoch(lrn, batcher, opt, chunks) -> float:
    lrn.train()
    t = time.perf_counter()
    for c in chunks:
        loss = lrn.loss(batcher(c))
        opt.zero_grad()
        loss.backward()
        opt.step()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - t


def pattern_memory(reps: int = 15) -> None:
    from imbgraph.graphcls.methods.soltgnn import PatternMemory

    torch.manual_seed(0)
    mem = PatternMemory(64, 64)
    for b in (32, 500):
        g = torch.randn(b, 64, requires_grad=True)
        times = {"ours": [], "literal": []}
        for _ in range(reps):  # alternating, so that load hits both alike
            for name, fn in (("ours", mem.forward), ("literal", mem.forward_literal)):
                t = time.perf_counter()
                fn(g).square().sum().backward()
                times[name].append(time.perf_counter() - t)
        ours, lit = (float(np.median(times[k])) * 1e3 for k in ("ours", "literal"))
        emit(f"pattern_memory/b{b}/ms", round(ours, 2), "ms")
        emit(f"pattern_memory/b{b}/literal_ms", round(lit, 2), "ms")
        emit(f"pattern_memory/b{b}/vs_literal", round(ours / lit, 2), "x")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--datasets", nargs="+", default=["PROTEINS", "DD"])
    p.add_argument("--methods", nargs="+", default=["SOLT-GNN", "Exphormer", "GraphMamba"])
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--graphs", type=int, default=256, help="graphs per epoch (0: all)")
    p.add_argument("--memory", action="store_true", help="SOLT-GNN's pattern memory alone")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    if a.memory:
        pattern_memory()
        return
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    for name, coll, pe_dim in collections(a.datasets):
        pe = random_walk_pe(coll, pe_dim)
        rng = np.random.default_rng(0)
        order = rng.permutation(coll.num_graphs)[:a.graphs or None]
        chunks = batches(order, a.batch_size, drop_single=True)
        gin = learner("GIN", coll, pe, device, a.batch_size)
        epoch(*gin, chunks)  # warm-up
        for row in a.methods:
            m = learner(row, coll, pe, device, a.batch_size)
            emit(f"{name}/{row}/warmup_epoch_s", round(epoch(*m, chunks), 3), "s")
            tg, tm = [], []
            for r in range(a.reps):
                pair = [(tg, gin), (tm, m)] if r % 2 == 0 else [(tm, m), (tg, gin)]
                for out, (lrn, batcher, opt) in pair:
                    out.append(epoch(lrn, batcher, opt, chunks))
            g, s = float(np.median(tg)), float(np.median(tm))
            emit(f"{name}/GIN/epoch_s", round(g, 3), "s")
            emit(f"{name}/{row}/epoch_s", round(s, 3), "s")
            emit(f"{name}/{row}/vs_gin", round(s / g, 2), "x", TARGET, s / g <= TARGET)
            if device.type == "cuda":
                emit(f"{name}/{row}/peak_gpu_gb", round(torch.cuda.max_memory_allocated() / 2**30, 2), "GB")
                torch.cuda.reset_peak_memory_stats()
        emit(f"{name}/peak_rss_gb", round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                          / 2**20, 2), "GB", 4.0)


if __name__ == "__main__":
    main()
