#!/usr/bin/env python3
"""Subnormal floats and training speed on the CPU (why imbgraph.training flushes them).

Run as ``python benchmarks/bench_denormal.py [--epochs N] [--quick]``. Prints one JSON object
per measurement: {"name", "value", "unit", "target", "ok"}.

* ``kernel``: one UniImb-head-sized product (512 x 128 by 128 x 512, forward of a SwiGLU
  layer) with every weight subnormal, timed with flushing off and on in the same process,
  alternating, median of repetitions. The ratio is the cost x86 microcode adds per subnormal
  operand (the issue measured 1.85 s vs 0.29 s per UniImb epoch on a saved PROTEINS state).
* ``long run``: UniImb trained for ``--epochs`` epochs (default 300, no early stopping) on a
  PROTEINS-shaped synthetic collection with flushing on, as every job runs: the median epoch
  time of the last 50 epochs against the first 50 (target <= 1.2: flat), and the count of
  subnormal parameters at the end (0 once flushed).

torch uses one intra-op thread, as a pipeline job with ``threads: 1``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import numpy as np
import torch

from imbgraph.graphcls.encodings import random_walk_pe
from imbgraph.graphcls.features import collection_from_arrays
from imbgraph.graphcls.methods.uniimb import UniImb
from imbgraph.graphcls.models import build_encoder
from imbgraph.graphcls.splits import make_split, upsample
from imbgraph.graphcls.synthetic import ClassSpec, SyntheticSpec, synthesize_graphs
from imbgraph.graphcls.train import TrainConfig, fit


def emit(name: str, value, unit: str, target=None, ok=None) -> None:
    print(json.dumps({"name": name, "value": value, "unit": unit, "target": target, "ok": ok}))
    sys.stdout.flush()


def kernel(reps: int) -> None:
    x = torch.randn(512, 128)
    w = torch.randn(128, 512) * 1e-39  # every weight subnormal (float32 normal min 1.18e-38)
    assert 0 < w.abs().max() < torch.finfo(torch.float32).tiny
    times = {False: [], True: []}
    for _ in range(reps):
        for flush in (False, True):
            torch.set_flush_denormal(flush)
            t = time.perf_counter()
            for _ in range(20):
                x @ w
            times[flush].append(time.perf_counter() - t)
    off, on = statistics.median(times[False]), statistics.median(times[True])
    emit("denormal_kernel_ms_flush_off", round(1e3 * off / 20, 3), "ms")
    emit("denormal_kernel_ms_flush_on", round(1e3 * on / 20, 3), "ms")
    emit("denormal_kernel_speedup", round(off / on, 2), "x", target=1.0, ok=off / on >= 1.0)
    torch.set_flush_denormal(True)


def long_run(epochs: int) -> None:
    spec = SyntheticSpec(classes=(ClassSpec(240, 22, 0.55, 3.2, {"clique4": 0.55, "cycle6": 0.45}, 14),
                                  ClassSpec(160, 16, 0.55, 3.0, {"clique4": 0.35, "cycle6": 0.65}, 14)),
                         n_tags=3, tag_signal=0.05, seed=1)
    coll = collection_from_arrays(synthesize_graphs(spec), name="proteins_like")
    pe = torch.from_numpy(random_walk_pe(coll, 4))
    split = make_split(coll.y, coll.sizes, "class_imbalance",
                       {"train": 80, "val": 80, "ratio": 0.1}, seed=0)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    enc = build_encoder({"name": "gin", "hidden": 64, "layers": 3}, coll.num_features, 4)
    learner = UniImb(enc, 2, None, n_prototypes=16, heads=4, top_k2=8, top_k1=16, rng=rng)
    times: list[float] = []

    class Timed:  # batcher that also stamps each epoch's end through its validation call
        def __call__(self, ids):
            return coll.batch(ids, pe)

    last = [time.perf_counter()]

    def end_epoch() -> None:
        UniImb.end_epoch(learner)
        now = time.perf_counter()
        times.append(now - last[0])
        last[0] = now

    learner.end_epoch = end_epoch  # type: ignore[method-assign]
    fit(learner, Timed(), upsample(split.train, coll.y, rng), upsample(split.val, coll.y, rng),
        TrainConfig(epochs=epochs, lr=1e-3, batch_size=32, stopping="none"), rng,
        progress=False)
    head, tail = statistics.median(times[1:51]), statistics.median(times[-50:])
    emit("denormal_long_run_first50_epoch_s", round(head, 4), "s")
    emit("denormal_long_run_last50_epoch_s", round(tail, 4), "s")
    emit("denormal_long_run_slowdown", round(tail / head, 3), "x", target=1.2,
         ok=tail / head <= 1.2)
    tiny = torch.finfo(torch.float32).tiny
    sub = sum(int(((p != 0) & (p.abs() < tiny)).sum()) for p in learner.parameters())
    emit("denormal_long_run_subnormal_params", sub, "count", target=0, ok=sub == 0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions and 120 epochs")
    args = ap.parse_args()
    torch.set_num_threads(1)
    kernel(5 if args.quick else 15)
    torch.set_flush_denormal(True)  # as imbgraph.training.setup_torch in every job
    long_run(120 if args.quick else args.epochs)


if __name__ == "__main__":
    main()
