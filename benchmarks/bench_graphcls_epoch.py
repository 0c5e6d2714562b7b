#!/usr/bin/env python3
"""Seconds per training epoch of the project's GIN (``GINEncoder`` + ``MLPHead``, ``pe_mode:
path``) against a plain PyG model with the same layers, in one process.

Run as ``python benchmarks/bench_graphcls_epoch.py [--quick] [--threads N] [--reps R]``.
Prints one JSON object per measurement: {"name", "value", "unit", "target", "ok"}.

An epoch is forward + backward + Adam step over mini-batches of ``--batch-size`` graphs of a
whole collection in a seeded random order, each batch gathered by the project's own
``GraphCollection.batch`` (for both models: the batching is not what is compared). The
reference is built from PyG pieces only: ``GINConv`` layers with the same MLPs
(Linear-BatchNorm-ReLU-Linear-ReLU), the random-walk PE projected by a Linear and run through
its own ``GINConv`` stack added before every later layer, ``global_add_pool`` and the same
classifier head; it is loaded with the project model's parameters, so both compute the same
numbers (``*_max_logit_diff``). For scale, a plain PyG GIN of the same width and depth
without the PE path (the PE only added at the input) is timed too. With ``lap`` (on by default) the project model also runs
UniImb's LapPE branch (``lap_branch="official"``) against the reference computing the same
branch per node with plain ``nn.Linear`` calls.

Repetitions alternate between the models (a b, b a, a b, ...) so that load from other
processes on the machine hits both alike; reported are the medians, their ratio and the median
of the per-repetition ratios, and per model the median seconds of each phase of an epoch
(batching, forward + loss, backward, Adam step). Collections: the default config's ``proteins_like`` (synthetic),
and real PROTEINS when ``IMBGRAPH_DATASETS`` is set (``$IMBGRAPH_DATASETS/tu/PROTEINS``).
Target: project / reference <= 1.3. Denormals are flushed (``torch.set_flush_denormal``).
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
import torch.nn.functional as F
import yaml
from torch import nn

from imbgraph.graphcls.datasets import build_collection
from imbgraph.graphcls.encodings import laplacian_spectrum_stats, random_walk_pe
from imbgraph.graphcls.models import GINEncoder, MLPHead

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.3


def emit(name: str, value, unit: str, target=None, ok=None) -> None:
    print(json.dumps({"name": name, "value": value, "unit": unit, "target": target, "ok": ok}))
    sys.stdout.flush()


# --- the plain PyG reference --------------------------------------------------------------


def _mlp(i: int, h: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(i, h), nn.BatchNorm1d(h), nn.ReLU(), nn.Linear(h, h), nn.ReLU())


class PlainGIN(nn.Module):
    """GINConv x layers, RW-PE through its own GINConv stack, sum readout, MLP head: PyG pieces
    with the parameter names of ``GINEncoder`` / ``MLPHead`` (so their state loads here).
    ``lap``: UniImb's LapPE branch per node, MLPbackbone(n (2 b_V + b_S) + W_S trace)."""

    def __init__(self, f: int, p: int, hidden: int, layers: int, n_classes: int,
                 lap: bool, pe_path: bool = True) -> None:
        super().__init__()
        from torch_geometric.nn import GINConv

        self.convs = nn.ModuleList([GINConv(_mlp(f if i == 0 else hidden, hidden))
                                    for i in range(layers)])
        self.pe_in = nn.Linear(p, f)
        self.pe_convs = nn.ModuleList([GINConv(_mlp(f if i == 0 else hidden, hidden))
                                       for i in range(layers - 1 if pe_path else 0)])
        self.lap = lap
        if lap:
            self.eigVmlp, self.eigSmlp = nn.Linear(1, hidden), nn.Linear(1, hidden)
            self.MLPbackbone = nn.Linear(hidden, hidden)
        self.lin1, self.lin2 = nn.Linear(hidden, hidden), nn.Linear(hidden, n_classes)

    def forward(self, x, edge_index, batch, pe, lap, num_graphs: int) -> torch.Tensor:
        from torch_geometric.nn import global_add_pool

        pe = self.pe_in(pe)
        x = x + pe
        for i, conv in enumerate(self.convs):
            if i > 0 and self.pe_convs:
                pe = self.pe_convs[i - 1](pe, edge_index)
                x = x + pe
            x = conv(x, edge_index)
            if i == 0 and self.lap:
                n, tr = lap[:, :1], lap[:, 1:]
                x = x + self.MLPbackbone(n * (2 * self.eigVmlp.bias + self.eigSmlp.bias)
                                         + tr * self.eigSmlp.weight[:, 0])
        g = global_add_pool(x, batch, size=num_graphs)
        return self.lin2(F.dropout(self.lin1(g).relu(), 0.5, self.training))


class Ours(nn.Module):
    def __init__(self, f: int, p: int, hidden: int, layers: int, n_classes: int,
                 lap: bool) -> None:
        super().__init__()
        kw = {"lap_branch": "official"} if lap else {}
        self.encoder = GINEncoder(f, p, hidden=hidden, layers=layers, pe_mode="path", **kw)
        self.head = MLPHead(hidden, n_classes)

    def forward(self, b) -> torch.Tensor:
        return self.head(self.encoder(b)[0])


def load_into_reference(ours: Ours, ref: PlainGIN) -> None:
    state = {k.split(".", 1)[1]: v for k, v in ours.state_dict().items()}
    ref.load_state_dict(state)


# --- timing -------------------------------------------------------------------------------


PHASES = ("batch", "forward", "backward", "adam")


def make_epoch(coll, pe, lap, model, kind: str, batch_size: int, lr: float = 0.005):
    """A function running one epoch in the given graph order; it returns the epoch's wall
    seconds and appends the seconds of each phase (``PHASES``) to ``epoch.phases``."""
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=5e-4)
    y_all = torch.from_numpy(coll.y)
    clock = time.perf_counter

    def epoch(order: np.ndarray) -> float:
        model.train()
        spent = dict.fromkeys(PHASES, 0.0)
        t0 = t = clock()
        for s in range(0, order.shape[0], batch_size):
            ids = order[s:s + batch_size]
            b = coll.batch(ids, pe, lap=lap)
            t1 = clock()
            if kind == "ours":
                out = model(b)
            else:
                out = model(b.x, b.edge_index, b.batch, b.pe, b.lap, b.num_graphs)
            loss = F.cross_entropy(out, y_all[ids])
            t2 = clock()
            opt.zero_grad()
            loss.backward()
            t3 = clock()
            opt.step()
            t4 = clock()
            for k, a, z in zip(PHASES, (t, t1, t2, t3), (t1, t2, t3, t4)):
                spent[k] += z - a
            t = t4
        epoch.phases.append(spent)
        return clock() - t0

    epoch.phases = []
    return epoch


def batching_seconds(coll, pe, lap, order: np.ndarray, batch_size: int) -> float:
    t = time.perf_counter()
    for s in range(0, order.shape[0], batch_size):
        coll.batch(order[s:s + batch_size], pe, lap=lap)
    return time.perf_counter() - t


def compare(name: str, coll, pe_dim: int, *, hidden: int, layers: int, lap: bool,
            batch_size: int, reps: int) -> float:
    pe = torch.from_numpy(random_walk_pe(coll, pe_dim))
    lap_arr = torch.from_numpy(laplacian_spectrum_stats(coll)) if lap else None
    f, c = coll.num_features, coll.num_classes
    torch.manual_seed(0)
    ours = Ours(f, pe_dim, hidden, layers, c, lap)
    ref = PlainGIN(f, pe_dim, hidden, layers, c, lap)
    load_into_reference(ours, ref)
    nopath = PlainGIN(f, pe_dim, hidden, layers, c, False, pe_path=False)
    with torch.no_grad():  # same parameters -> same logits (eval mode: no dropout, BN stats)
        ours.eval()
        ref.eval()
        b = coll.batch(np.arange(min(coll.num_graphs, 256)), pe, lap=lap_arr)
        diff = (ours(b) - ref(b.x, b.edge_index, b.batch, b.pe, b.lap, b.num_graphs)).abs()
        scale = float(ref(b.x, b.edge_index, b.batch, b.pe, b.lap, b.num_graphs).abs().max())
    epochs = {"ours": make_epoch(coll, pe, lap_arr, ours, "ours", batch_size),
              "plain": make_epoch(coll, pe, lap_arr, ref, "plain", batch_size),
              "nopath": make_epoch(coll, pe, lap_arr, nopath, "plain", batch_size)}
    rng = np.random.default_rng(0)
    times: dict[str, list[float]] = {k: [] for k in epochs}
    for k in epochs:  # warm-up (allocator, lazy imports)
        epochs[k](rng.permutation(coll.num_graphs))
    for r in range(reps):
        order = rng.permutation(coll.num_graphs)
        for k in (("ours", "plain", "nopath") if r % 2 == 0 else ("nopath", "plain", "ours")):
            times[k].append(epochs[k](order))
    t_batch = batching_seconds(coll, pe, lap_arr, rng.permutation(coll.num_graphs), batch_size)
    med = {k: float(np.median(v)) for k, v in times.items()}
    phases = {k: {p: round(float(np.median([e[p] for e in epochs[k].phases[1:]])), 4)
                  for p in PHASES} for k in epochs}  # [1:]: without the warm-up
    ratio = med["ours"] / med["plain"]
    per_rep = float(np.median(np.array(times["ours"]) / np.array(times["plain"])))
    tag = f"{name}_h{hidden}_l{layers}{'_lap' if lap else ''}"
    emit(f"graphcls_epoch_{tag}_max_logit_diff", {"abs": float(diff.max()),
         "relative": float(diff.max()) / max(scale, 1e-30)}, "1", None,
         bool(diff.max() <= 1e-5 * max(scale, 1.0)))
    emit(f"graphcls_epoch_{tag}_seconds", {
        "ours": round(med["ours"], 4), "plain_pyg": round(med["plain"], 4),
        "plain_pyg_gin_without_pe_path": round(med["nopath"], 4),
        "batching_only": round(t_batch, 4), "graphs": coll.num_graphs,
        "nodes": coll.num_nodes, "batch_size": batch_size, "reps": reps}, "s")
    emit(f"graphcls_epoch_{tag}_ratio", {"of_medians": round(ratio, 3),
                                         "median_of_ratios": round(per_rep, 3)},
         "x", TARGET, bool(ratio <= TARGET))
    emit(f"graphcls_epoch_{tag}_ratio_vs_gin_without_pe_path",
         round(med["ours"] / med["nopath"], 3), "x")
    emit(f"graphcls_epoch_{tag}_phase_seconds", {
        "ours": phases["ours"], "plain_pyg": phases["plain"],
        "plain_pyg_gin_without_pe_path": phases["nopath"]}, "s")
    return ratio


def collections(quick: bool) -> list[tuple[str, object, int]]:
    cfg = yaml.safe_load(open(ROOT / "config/config.yaml"))["graphcls"]
    out = [("proteins_like", build_collection(cfg["datasets"]["proteins_like"],
                                              name="proteins_like"), 4)]
    root = os.environ.get("IMBGRAPH_DATASETS")
    if root and not quick and (Path(root) / "tu/PROTEINS/raw").is_dir():
        entry = {"source": "tu", "node_features": "labels"}
        out.append(("PROTEINS", build_collection(entry, name="PROTEINS", data_root=root), 1))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="synthetic only, the config's width (32 x 3), 3 repetitions")
    p.add_argument("--threads", type=int, default=1, help="torch threads (pipeline jobs: 1)")
    p.add_argument("--reps", type=int, default=7)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--no-lap", action="store_true", help="skip the LapPE-branch comparison")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    shapes = [(32, 3)] if args.quick else [(32, 3), (128, 5)]
    reps = 3 if args.quick else args.reps
    lap_ok = "lap_branch" in GINEncoder.__init__.__code__.co_varnames and not args.no_lap
    for name, coll, pe_dim in collections(args.quick):
        for hidden, layers in shapes:
            for lap in ((False, True) if lap_ok else (False,)):
                compare(name, coll, pe_dim, hidden=hidden, layers=layers, lap=lap,
                        batch_size=args.batch_size, reps=reps)


if __name__ == "__main__":
    main()
