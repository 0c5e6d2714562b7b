#!/usr/bin/env python3
"""Seconds per training epoch of the graph-level field baselines (TopoImb, DataDec, ImGKB)
against plain GIN (``supervised``) on the same batches in one process, and the peak memory of
one epoch of each on D&D.

Run as ``IMBGRAPH_DATASETS=/path/to/datasets python benchmarks/bench_graphcls_methods_epoch.py
[--reps R] [--threads N] [--no-memory]``. Prints one JSON object per measurement:
{"name", "value", "unit", "target", "ok"}.

Collections: real PROTEINS (``tu/PROTEINS``, one-hot labels, PE width 1) and D&D
(``gin/DD.zip``, 89 one-hot tags, PE width 16), the real config's GIN (64 x 3, PE path) and
batch sizes (32, 64); a fixed random draw of training graphs (320 / 256). An epoch is what the
shared loop (:func:`imbgraph.graphcls.train.fit`) does for the learner: ``loss`` on every
mini-batch, Adam step, ``end_epoch`` (TopoImb's memory pass); for DataDec it is one epoch of
its contrastive pre-training on every pre-training graph (its first, unpruned epoch: the
largest). One-time set-up (TopoImb's topology groups) is reported on its own. Repetitions
alternate between GIN and the method so load from other processes hits both alike; reported
are the medians and the median of the per-repetition ratios. Target: method / GIN <= 3.
Peak memory: one subprocess per (method, D&D) loads the data, builds the method and runs one
epoch plus a prediction pass; its ``ru_maxrss``. Target < 4 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from imbgraph.graphcls.datasets import build_collection
from imbgraph.graphcls.encodings import random_walk_pe
from imbgraph.graphcls.methods import METHODS
from imbgraph.graphcls.methods.base import MethodInputs
from imbgraph.graphcls.splits import GraphSplit
from imbgraph.graphcls.train import TrainConfig, batches
from imbgraph.plugins import load_callable

TARGET, MEMORY_GB = 3.0, 4.0
DATASETS = {"PROTEINS": ({"source": "tu", "node_features": "labels"}, 1, 32, 320),
            "DD": ({"source": "gin_text", "node_features": "labels"}, 16, 64, 256)}
MODEL = {"name": "gin", "hidden": 64, "layers": 3, "readout": "sum", "pe_mode": "path"}
#: kind -> params (the real config's rows)
KINDS = {"supervised": {}, "topoimb": {}, "datadec": {"pretrain_epochs": 1},
         "imgkb": {}}


def emit(name: str, value, unit: str, target=None, ok=None) -> None:
    print(json.dumps({"name": name, "value": value, "unit": unit, "target": target, "ok": ok}))
    sys.stdout.flush()


def load(name: str):
    entry, pe_dim, bs, n_train = DATASETS[name]
    coll = build_collection(entry, name=name, data_root=os.environ["IMBGRAPH_DATASETS"])
    pe = random_walk_pe(coll, pe_dim)
    rng = np.random.default_rng(0)
    perm = rng.permutation(coll.num_graphs)
    split = GraphSplit(np.sort(perm[:n_train]), np.sort(perm[n_train:n_train + 64]),
                       np.sort(perm[n_train + 64:]), {})
    return coll, pe, split, bs


def inputs(kind: str, coll, pe, split, bs: int) -> MethodInputs:
    spec = METHODS[kind]
    params = spec.settings(KINDS[kind])
    settings = {"label": kind, "kind": kind, "model": MODEL, "balance": {}, "params": params,
                "train": {"batch_size": bs}}
    return MethodInputs(collection=coll, pe=pe, split=split, settings=settings,
                        params=spec.own(params), seed=0, device=torch.device("cpu"),
                        rng=np.random.default_rng(0),
                        train=TrainConfig(batch_size=bs, lr=1e-3, weight_decay=5e-4),
                        class_weight=None)


def epoch_fn(kind: str, coll, pe, split, bs: int):
    """(one-epoch function, set-up seconds) of ``kind`` built as the job builds it."""
    torch.manual_seed(0)
    inp = inputs(kind, coll, pe, split, bs)
    t0 = time.perf_counter()
    if kind == "datadec":
        from imbgraph.graphcls.methods.datadec import DataDecLoss, pretrain

        encoder, batcher = inp.backbone()
        obj = DataDecLoss(encoder.hidden)
        setup = time.perf_counter() - t0

        def run(order: np.ndarray) -> None:
            pretrain(encoder, obj, batcher, order, epochs=1, lr=5e-3, weight_decay=5e-4,
                     batch_size=bs, keep_fraction=0.5, explore_rate=0.1,
                     rng=np.random.default_rng(0))
        return run, setup
    spec = METHODS[kind]
    learner, batcher = load_callable(spec.ref(inp.params), key=kind)(inp)
    setup = time.perf_counter() - t0
    opt = torch.optim.Adam([p for p in learner.parameters() if p.requires_grad], lr=1e-3,
                           weight_decay=5e-4)

    def run(order: np.ndarray) -> None:
        learner.train()
        for chunk in batches(order, bs, drop_single=True):
            loss = learner.loss(batcher(chunk))
            opt.zero_grad()
            loss.backward()
            opt.step()
        learner.end_epoch()
    return run, setup


def timed(fn, order) -> float:
    t = time.perf_counter()
    fn(order)
    return time.perf_counter() - t


def compare(name: str, reps: int, kinds: tuple[str, ...] = ("topoimb", "datadec", "imgkb")
            ) -> None:
    coll, pe, split, bs = load(name)
    rng = np.random.default_rng(1)
    gin, _ = epoch_fn("supervised", coll, pe, split, bs)
    timed(gin, split.train)  # warm-up
    for kind in kinds:
        fn, setup = epoch_fn(kind, coll, pe, split, bs)
        timed(fn, split.train)
        a, b = [], []
        for r in range(reps):
            order = split.train[rng.permutation(split.train.shape[0])]
            pair = [(gin, a), (fn, b)] if r % 2 == 0 else [(fn, b), (gin, a)]
            for f, out in pair:
                out.append(timed(f, order))
        ratio = float(np.median(np.array(b) / np.array(a)))
        emit(f"{name}_{kind}_setup_s", round(setup, 3), "s")
        emit(f"{name}_gin_epoch_s", round(float(np.median(a)), 4), "s")
        emit(f"{name}_{kind}_epoch_s", round(float(np.median(b)), 4), "s")
        emit(f"{name}_{kind}_over_gin", round(ratio, 3), "x", TARGET, ratio <= TARGET)


def memory_child(kind: str, name: str) -> None:
    coll, pe, split, bs = load(name)
    fn, _ = epoch_fn(kind, coll, pe, split, bs)
    fn(split.train)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20)  # KiB -> GiB


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--no-memory", action="store_true")
    p.add_argument("--kinds", nargs="+", default=["topoimb", "datadec", "imgkb"])
    p.add_argument("--datasets", nargs="+", default=list(DATASETS))
    p.add_argument("--memory-child", nargs=2, help=argparse.SUPPRESS)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.memory_child:
        memory_child(*a.memory_child)
        return
    root = os.environ.get("IMBGRAPH_DATASETS")
    if not root or not (Path(root) / "tu/PROTEINS/raw").is_dir() or not (
            Path(root) / "gin/DD.zip").is_file():
        sys.stderr.write("IMBGRAPH_DATASETS unset or without tu/PROTEINS and gin/DD.zip: "
                         "nothing measured\n")
        return
    for name in a.datasets:
        compare(name, a.reps, tuple(a.kinds))
    if not a.no_memory:
        for kind in ("supervised", *a.kinds):
            out = subprocess.run([sys.executable, __file__, "--threads", str(a.threads),
                                  "--memory-child", kind, "DD"], check=True,
                                 capture_output=True, text=True).stdout.split()[-1]
            gb = float(out)
            emit(f"DD_{kind}_peak_rss_gb", round(gb, 3), "GB", MEMORY_GB, gb < MEMORY_GB)


if __name__ == "__main__":
    main()
