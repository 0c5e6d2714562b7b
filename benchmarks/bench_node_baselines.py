#!/usr/bin/env python3
"""Benchmark the training epoch of the node baselines of BAT's and TAM's comparison
(Balanced Softmax, ReNode, TAM as an add-on, GraphENS, GraphSHA, Mixup) against plain ERM, in
one process, on the same backbone and graph.

Run as ``python benchmarks/bench_node_baselines.py [--epochs N] [--rounds R]``.
Prints one JSON object per measurement: {"name", "value", "unit", "target", "ok"}.

Graph: the real Cora (``$IMBGRAPH_DATASETS``, default /work/shared/datasets) with BAT's step
split (public split, the last 3 classes at 2 training nodes), else the default config's
synthetic Cora stand-in with the step split on a random base. Backbone: BAT's width, a 256-d
GCN (dropout 0.5). torch uses one thread, as a pipeline job does.

An epoch is what the shared training loop does per step: ``model.loss(batch)``, backward,
Adam step (validation excluded). Methods are timed in interleaved rounds (each round times
every method for ``--epochs`` epochs), so machine drift hits them alike; the value is the
median per-epoch CPU time over rounds. TAM, GraphENS and GraphSHA are timed past their
warm-ups (margins and synthesis every epoch). Target: every method's epoch within 3x ERM's.
With the shared data's Coauthor CS (``--cs-epochs``, default 3 x ``--cs-rounds`` 3) the
epochs are timed there too, on BAT's step split on a random base.

Also reported, once per run rather than per epoch: ReNode's weights (PPR columns, Totoro,
ranks) on that graph and, when the shared data has it, on Coauthor CS (18,333 nodes, BAT's
step split on a random base: 8 x 20 + 7 x 2 = 174 training nodes), with the PPR's memory by
the rule that bounds it; the value's target is one float32 N x N matrix, of which ReNode's
code builds several (1.3 GB each at Coauthor CS).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
DATA = Path(os.environ.get("IMBGRAPH_DATASETS", "/work/shared/datasets"))
STEP = {"protocol": "step", "rho": 10, "seed": 0}
MODEL = {"name": "gcn", "hidden": 256, "dropout": 0.5, "encoder_layers": 1,
         "classifier_layers": 1}
TRAIN = {"max_epochs": 1, "patience": 1, "lr": 0.01, "weight_decay": 5e-4, "select": "macro_f1"}
METHODS = {
    "ERM": ({"name": "none"}, "none", []),
    "Re-weight": ({"name": "none"}, "inverse", []),
    "Balanced Softmax": ({"name": "balanced_softmax"}, "none", []),
    "ReNode": ({"name": "renode"}, "inverse", []),
    "CE + TAM": ({"name": "none"}, "none", ["tam"]),
    "BS + TAM": ({"name": "balanced_softmax"}, "none", ["tam"]),
    "ReNode + TAM": ({"name": "renode"}, "inverse", ["tam"]),
    "GraphENS": ({"name": "graphens"}, "none", []),
    "GraphENS + TAM": ({"name": "graphens"}, "none", ["tam"]),
    "GraphSHA": ({"name": "graphsha"}, "none", []),
    "Mixup": ({"name": "mixup"}, "none", []),
}
TARGET_RATIO = 3.0


def emit(name: str, value, unit: str, target=None, ok=None) -> bool:
    print(json.dumps({"name": name, "value": value, "unit": unit, "target": target, "ok": ok}))
    sys.stdout.flush()
    return ok is not False


def planetoid(name: str):
    """(name in lower case, graph, public split) of a real Planetoid graph under DATA."""
    from imbgraph.nodecls.data.datasets import build_graph
    from imbgraph.nodecls.data.graph import public_parts

    g = build_graph({"source": "planetoid", "path": "planetoid", "name": name}, data_root=DATA)
    return name.lower(), g, public_parts(g.public)


def cora():
    """(name, graph, public split or None): the real Cora, else the stand-in."""
    from imbgraph.nodecls.data.datasets import build_graph

    if (DATA / "planetoid" / "Cora" / "raw").is_dir():
        return planetoid("Cora")
    import yaml

    cfg = yaml.safe_load((HERE.parent / "config" / "config.yaml").read_text())
    return "cora_like", build_graph(cfg["nodecls"]["datasets"]["cora_like"]), None


def build(graph, split, label):
    from imbgraph import plugins
    from imbgraph.nodecls.job import build_batch, prepare
    from imbgraph.nodecls.methods import ADDONS
    from imbgraph.nodecls.methods.base import MethodInputs

    bal, weights, addons = METHODS[label]
    method = {"label": label, "model": MODEL, "balancing": bal,
              "loss": {"name": "ce", "class_weights": weights}, "train": TRAIN}
    if addons:
        method["addons"] = addons
    spec, full = prepare(method)
    params = {k: v for k, v in full["balancing"].items() if k != "name"}
    inputs = MethodInputs(graph, split, full, params, 0, torch.device("cpu"))
    torch.manual_seed(0)
    model = plugins.load_callable(spec.impl, key=label)(inputs)
    for block in full.get("addons", []):
        plugins.load_callable(ADDONS[block["name"]].impl, key=label)(model, inputs, block)
    for addon in model.addons:  # past the warm-up: margins every epoch
        addon.steps = addon.warmup
    if hasattr(model, "warmup") and hasattr(model, "steps"):  # GraphENS, GraphSHA: synthesis
        model.steps = model.warmup + 1                         # (not Mixup) every epoch
    batch = build_batch(graph, split, full, "cpu")
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    return model, batch, opt


def epochs(model, batch, opt, n: int) -> tuple[float, float]:
    model.train()
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        opt.zero_grad()
        model.loss(batch).backward()
        opt.step()
    return (time.perf_counter() - t0) / n, (time.process_time() - c0) / n


def renode_build(name: str, graph, split) -> None:
    from imbgraph.nodecls.methods.renode import renode_weights
    from imbgraph.nodecls.ppr import ppr_memory_mb

    t0, c0 = time.perf_counter(), time.process_time()
    w = renode_weights(graph.adjacency(), split.train, graph.y, graph.num_classes)
    emit(f"renode_weights_{name}_cpu_s", round(time.process_time() - c0, 3), "s")
    emit(f"renode_weights_{name}_wall_s", round(time.perf_counter() - t0, 3), "s")
    emit(f"renode_ppr_{name}_mb", round(ppr_memory_mb(graph.num_nodes, split.train.size), 1),
         "MB", target=round(graph.num_nodes ** 2 * 4 / 2 ** 20, 1),
         ok=bool(w.shape == split.train.shape))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=10, help="epochs per method per round")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    ap.add_argument("--cs-epochs", type=int, default=3,
                    help="epochs per method per round on Coauthor CS (0: ReNode's weights only)")
    ap.add_argument("--cs-rounds", type=int, default=3, help="interleaved rounds on Coauthor CS")
    args = ap.parse_args()
    torch.set_num_threads(1)
    from imbgraph.nodecls.data.splits import make_split

    name, graph, public = cora()
    split = make_split(graph.y, graph.class_names, STEP, seed=0, public=public)
    ok = time_epochs(name, graph, split, args.epochs, args.rounds)
    renode_build(name, graph, split)
    cs = DATA / "npz" / "ms_academic_cs.zip"
    if cs.is_file():
        from imbgraph.nodecls.data.datasets import build_graph

        g = build_graph({"source": "gnn_benchmark", "path": str(cs)})
        s = make_split(g.y, g.class_names, STEP, seed=0)
        if args.cs_epochs:
            ok &= time_epochs("coauthor_cs", g, s, args.cs_epochs, args.cs_rounds)
        else:
            emit("graph_coauthor_cs_train_nodes", int(s.train.size), "nodes")
        renode_build("coauthor_cs", g, s)
    return 0 if ok else 1


def time_epochs(name: str, graph, split, n_epochs: int, rounds: int) -> bool:
    """Every method's epoch on one graph, interleaved rounds; the ratios to ERM's."""
    emit(f"graph_{name}_train_nodes", int(split.train.size), "nodes")
    built = {label: build(graph, split, label) for label in METHODS}
    for m, b, o in built.values():  # warm-up: allocator, CSR copies of the wide input
        epochs(m, b, o, 2)
    cpu: dict[str, list[float]] = {k: [] for k in METHODS}
    wall: dict[str, list[float]] = {k: [] for k in METHODS}
    for _ in range(rounds):
        for label, (m, b, o) in built.items():
            w, c = epochs(m, b, o, n_epochs)
            cpu[label].append(c)
            wall[label].append(w)
    base = float(np.median(cpu["ERM"]))
    ok = True
    for label in METHODS:
        med = float(np.median(cpu[label]))
        key = label.lower().replace(" + ", "_").replace(" ", "_").replace("-", "")
        emit(f"epoch_{name}_{key}_cpu_ms", round(1000 * med, 3), "ms")
        emit(f"epoch_{name}_{key}_wall_ms", round(1000 * float(np.median(wall[label])), 3), "ms")
        if label != "ERM":
            ratio = med / base
            ok &= emit(f"epoch_{name}_{key}_vs_erm", round(ratio, 2), "x", target=TARGET_RATIO,
                       ok=bool(ratio <= TARGET_RATIO))
    return ok


if __name__ == "__main__":
    raise SystemExit(main())
