#!/usr/bin/env python3
"""Benchmark BAT's training epoch (BAT0 and BAT1, :mod:`imbgraph.nodecls.methods.bat`)
against the plain base method, in one process, on the same backbone and graph; and the GAT
backbone's epoch against GCN's.

Run as ``python benchmarks/bench_bat.py [--epochs N] [--rounds R] [--backbones gcn,gat]
[--dataset cora|citeseer]``. Prints one JSON object per measurement: {"name", "value",
"unit", "target", "ok"}.

Graph and split as ``bench_node_baselines.py``: the real Cora (or CiteSeer,
``$IMBGRAPH_DATASETS``) with BAT's step split, else the default config's stand-in. Backbones
BAT's width, 256-d (GAT: 4 heads of 64), dropout 0.5; torch on one thread, as a pipeline job.
Backbone ``gat_pyg`` is the GAT model with PyG's own first-layer product (``GATConv.lin`` on
the raw features, dense, every call: the layer before the wide-input cache), the baseline of
``gat``'s ``_vs_pyg_product`` ratios.

An epoch is what the shared training loop does per epoch: ``model.loss(batch)`` (BAT: its
prediction on the original graph, the augmentation, the base method's loss on the augmented
graph), backward, Adam step, and the validation forward pass on the original graph (which
BAT's prediction of the next step repeats with the same weights: the first layer's product
of the wide input is reused). Methods are timed in interleaved rounds; the value is the
median per-epoch CPU time over rounds. Target: each + BAT epoch within 3x its plain
method's.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch
from bench_node_baselines import STEP, cora, emit, planetoid

TRAIN = {"max_epochs": 1, "patience": 1, "lr": 0.01, "weight_decay": 5e-4, "select": "macro_f1"}
BASES = {"ERM": {"name": "none"}, "SMOTE": {"name": "smote", "scale": "balance"},
         "GraphSMOTE": {"name": "graphsmote", "edges": "threshold", "scale": "balance"}}
TARGET_RATIO = 3.0


def model_spec(backbone: str) -> dict:
    spec = {"name": backbone, "hidden": 256, "dropout": 0.5}
    return {**spec, "heads": 4} if backbone == "gat" else spec


def pyg_product(model) -> None:
    """Every GAT layer of ``model`` computes as before the wide-input cache: GATConv on the
    raw (synthetic rows appended) features, its dense product every call."""
    from imbgraph.nodecls.models import GATLayer, _append

    for layer in model.modules():
        if isinstance(layer, GATLayer):
            layer.forward = (lambda x, adj, synthetic=None, conv=layer.conv:
                             conv(_append(x, synthetic), adj.edge_index()))


def build(graph, split, backbone: str, base: str, mode: str | None):
    if backbone == "gat_pyg":
        model, batch, opt = build(graph, split, "gat", base, mode)
        pyg_product(model)
        return model, batch, opt
    from imbgraph import plugins
    from imbgraph.nodecls.config import resolve_method
    from imbgraph.nodecls.job import build_batch, prepare
    from imbgraph.nodecls.methods import ADDONS
    from imbgraph.nodecls.methods.base import MethodInputs

    entry = {"label": base, "model": "m", "balancing": BASES[base], "train": TRAIN}
    if mode:
        entry["addons"] = [{"name": "bat", "mode": mode}]
    section = {"models": {"m": model_spec(backbone)}, "methods": {"x": entry},
               "splits": {"s": {**STEP, "oversampling_scale": "balance"}}}
    method = resolve_method(section, "x", split="s")
    spec, full = prepare(method)
    params = {k: v for k, v in full["balancing"].items() if k != "name"}
    inputs = MethodInputs(graph, split, full, params, 0, torch.device("cpu"))
    torch.manual_seed(0)
    model = plugins.load_callable(spec.impl, key=base)(inputs)
    for block in full.get("addons", []):
        model = plugins.load_callable(ADDONS[block["name"]].impl, key=base)(model, inputs,
                                                                             block)
    batch = build_batch(graph, split, full, "cpu")
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    return model, batch, opt


def epochs(model, batch, opt, n: int) -> tuple[float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        model.train()
        opt.zero_grad()
        model.loss(batch).backward()
        opt.step()
        model.eval()
        with torch.no_grad():
            model(batch.x, batch.adj)
    return (time.perf_counter() - t0) / n, (time.process_time() - c0) / n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=10, help="epochs per method per round")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    ap.add_argument("--backbones", default="gcn,gat",
                    help="comma-separated: gcn, sage, gat, gat_pyg")
    ap.add_argument("--dataset", default="cora", choices=["cora", "citeseer"])
    ap.add_argument("--bases", default=",".join(BASES), help="comma-separated base methods")
    args = ap.parse_args()
    torch.set_num_threads(1)
    from imbgraph.nodecls.data.splits import make_split

    name, graph, public = cora() if args.dataset == "cora" else planetoid("CiteSeer")
    split = make_split(graph.y, graph.class_names, STEP, seed=0, public=public)
    runs = {(bb, base, mode): None for bb in args.backbones.split(",")
            for base in args.bases.split(",") for mode in (None, "bat0", "bat1")}
    built = {key: build(graph, split, *key) for key in runs}
    for m, b, o in built.values():  # warm-up: allocator, CSR copies of the wide input
        epochs(m, b, o, 2)
    cpu: dict = {k: [] for k in built}
    wall: dict = {k: [] for k in built}
    for _ in range(args.rounds):
        for key, (m, b, o) in built.items():
            w, c = epochs(m, b, o, args.epochs)
            cpu[key].append(c)
            wall[key].append(w)
    ok = True
    for (bb, base, mode) in built:
        med = float(np.median(cpu[(bb, base, mode)]))
        tag = f"epoch_{name}_{bb}_{base.lower()}" + (f"_{mode}" if mode else "")
        emit(f"{tag}_cpu_ms", round(1000 * med, 3), "ms")
        emit(f"{tag}_wall_ms", round(1000 * float(np.median(wall[(bb, base, mode)])), 3), "ms")
        if mode:
            ratio = med / float(np.median(cpu[(bb, base, None)]))
            ok &= emit(f"{tag}_vs_plain", round(ratio, 2), "x", target=TARGET_RATIO,
                       ok=bool(ratio <= TARGET_RATIO))
    for (bb, base, mode) in built:
        if bb == "gat" and ("gat_pyg", base, mode) in built:
            tag = f"epoch_{name}_gat_{base.lower()}" + (f"_{mode}" if mode else "")
            ratio = float(np.median(cpu[(bb, base, mode)])) / float(np.median(
                cpu[("gat_pyg", base, mode)]))
            emit(f"{tag}_vs_pyg_product", round(ratio, 2), "x")
    if "gcn" in args.backbones.split(",") and "gat" in args.backbones.split(","):
        gat = float(np.median(cpu[("gat", "ERM", None)]))
        emit(f"epoch_{name}_gat_vs_gcn_erm", round(gat / float(np.median(cpu[("gcn", "ERM",
                                                                                 None)])), 2),
             "x")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
