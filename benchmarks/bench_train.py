#!/usr/bin/env python3
"""Where the time of the face path's training and evaluation jobs goes, measured on what the
pipeline itself runs.

Run as ``python benchmarks/bench_train.py``. Prints one JSON object per measurement:
{"name", "value", "unit", "target", "ok"}. torch uses one intra-op thread, as a pipeline job
does (``linkage.threads.train: 1``), so rates are per core.

* **The job body**: ``imbgraph.linkage.methods.train_method`` with the default config's
  resolved FL (w/ RIWS) method (8 epochs, batch 16, lr 0.1) on the default config's largest
  training subset, H100_S5 of the synthetic faces, through the same supersets the
  ``build_subgraphs`` rule writes; and ``evaluate_model`` on the test split. A cProfile of one
  epoch splits it into sampling, batch construction, forward, backward and the optimiser.
* **Per-job start-up**: a fresh interpreter importing what the train / evaluate scripts
  import, and the extra cost ``torch.optim`` adds on first use (it imports ``torch._dynamo``;
  ``imbgraph.training.MomentumSGD`` avoids it).
* **Grouping seeds**: one job for the 3 seeds of a method and split against 3 jobs, from the
  measured start-up and per-seed times (jobs are seconds long, so start-up matters).
* **The scheduler**: ``snakemake -n all`` on the default config (parsing, DAG, job
  selection), the fixed cost of every Snakemake invocation.
* **Paper settings**: D = 256, k1/k2/u = 80/10/10, widths (512, 512, 256, 256), one epoch over
  300 pivots, and the epoch time that extrapolates to.
"""

from __future__ import annotations

import cProfile
import json
import pstats
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
import yaml

from imbgraph.knn import search
from imbgraph.linkage import config as lcfg
from imbgraph.linkage.evaluation import evaluate_model
from imbgraph.linkage.methods import train_method
from imbgraph.linkage.models import LGCN
from imbgraph.linkage.samplers import get_sampler
from imbgraph.linkage.subgraphs import IpsSpec, build_supersets
from imbgraph.linkage.subsets import imbalanced_subset
from imbgraph.linkage.synthetic import FaceDomain, synthesize_faces
from imbgraph.linkage.train import TrainConfig, train_linkage
from imbgraph.losses import get_loss

REPO = Path(__file__).resolve().parents[1]
SECTION = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["linkage"]
METHOD = "FL-RIWS"
SUBSET = (100, 5)  # the largest (H, S) subset of config/config.yaml
PAPER_PIVOTS = 300


def emit(name: str, value, unit: str, target=None, ok=None) -> bool:
    print(json.dumps({"name": name, "value": value, "unit": unit, "target": target, "ok": ok}))
    sys.stdout.flush()
    return ok is not False


def fresh_python(code: str, repeat: int = 3) -> float:
    """Best-of-``repeat`` wall seconds of ``python -c code`` in a new interpreter."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        best = min(best, time.perf_counter() - t0)
    return best


def default_data():
    domain = FaceDomain(**SECTION["datasets"]["faces"]["synthetic"])
    splits = synthesize_faces(domain)
    sub = imbalanced_subset(splits["train"], *SUBSET, seed=0)
    p = lcfg.ips_params(SECTION, "faces", "H100_S5")
    spec = IpsSpec(k1=p["k1"], k2=p["k2"], u=p["u"], gamma=p["gamma"])
    nbr = search(sub.features, lcfg.knn_k(SECTION, "faces", "H100_S5")).nbr
    train_sets = build_supersets(nbr, np.arange(len(sub)), spec)
    test = splits["test"]
    t = lcfg.ips_params(SECTION, "faces", "test")
    test_nbr = search(test.features, lcfg.knn_k(SECTION, "faces", "test")).nbr
    test_sets = build_supersets(test_nbr, np.arange(len(test)), IpsSpec(t["k1"], t["k2"], t["u"]))
    return sub, train_sets, test, test_sets


def epoch_profile(method: dict, sets, sub) -> dict[str, float]:
    """Shares of one training epoch (cProfile, cumulative time of the loop's parts)."""
    one_epoch = {**method, "train": {**method["train"], "epochs": 1}}
    prof = cProfile.Profile()
    prof.enable()
    train_method(one_epoch, sets, sub.features, sub.labels, k1=method_k1(), seed=0)
    prof.disable()
    stats = pstats.Stats(prof).stats
    total = sum(v[2] for v in stats.values())  # tottime over every function

    def cum(file_part: str, func: str) -> float:
        return sum(v[3] for (f, _, n), v in stats.items() if file_part in f and n == func)

    parts = {
        "sampler": cum("linkage/samplers.py", "riws_sampler"),
        "batch construction": cum("linkage/batching.py", "build_batch"),
        "forward": cum("linkage/models.py", "forward") - cum("linkage/models.py", "embed"),
        "backward": cum("torch/_tensor.py", "backward"),
        "optimiser step": cum("imbgraph/training.py", "step"),
    }
    return {k: v / total for k, v in parts.items()}


def method_k1() -> int:
    return lcfg.ips_params(SECTION, "faces", "H100_S5")["k1"]


def main() -> int:
    torch.set_num_threads(1)
    ok = True
    sub, train_sets, test, test_sets = default_data()
    method = lcfg.resolve_method(SECTION, METHOD)
    epochs = method["train"]["epochs"]

    t0 = time.perf_counter()
    state, summary = train_method(method, train_sets, sub.features, sub.labels, k1=method_k1(),
                                  seed=0)
    train_s = time.perf_counter() - t0
    ok &= emit("job_body_pivots_H100_S5", len(train_sets), "pivots")
    ok &= emit("job_body_train_seconds_per_seed", round(train_s, 2), "s")
    ok &= emit("job_body_train_subgraphs_per_s_per_core",
               round(len(train_sets) * epochs / train_s, 1), "subgraphs/s/core")
    for part, share in epoch_profile(method, train_sets, sub).items():
        ok &= emit(f"epoch_share_{part.replace(' ', '_')}", round(share, 3), "fraction")

    from imbgraph.linkage.methods import load_model

    model = load_model(method, state, "in-memory")
    prop = lcfg.propagation(SECTION, "faces")
    t0 = time.perf_counter()
    evaluate_model(model, test_sets, test.features, test.labels,
                   k1=lcfg.ips_params(SECTION, "faces", "test")["k1"], propagation=prop)
    eval_s = time.perf_counter() - t0
    ok &= emit("job_body_evaluate_seconds_per_seed", round(eval_s, 2), "s")

    base = "import torch, numpy"
    train_imports = ("import torch; import imbgraph.io, imbgraph.linkage.methods, "
                     "imbgraph.linkage.subgraphs, imbgraph.training, imbgraph.runlog")
    eval_imports = ("import torch; import imbgraph.io, imbgraph.linkage.evaluation, "
                    "imbgraph.linkage.methods, imbgraph.provenance")
    t_python = fresh_python("pass")
    t_train = fresh_python(train_imports)
    t_eval = fresh_python(eval_imports)
    t_optim = fresh_python(base + "; torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1)")
    t_torch = fresh_python(base)
    ok &= emit("startup_python_seconds", round(t_python, 2), "s")
    ok &= emit("startup_train_job_imports_seconds", round(t_train, 2), "s")
    ok &= emit("startup_evaluate_job_imports_seconds", round(t_eval, 2), "s")
    ok &= emit("torch_optim_first_use_extra_seconds", round(t_optim - t_torch, 2), "s")

    seeds = 3
    per_seed_jobs = seeds * (t_train + train_s) + seeds * (t_eval + eval_s)
    grouped = (t_train + seeds * train_s) + (t_eval + seeds * eval_s)
    ok &= emit("method_split_3_seeds_as_6_jobs_seconds", round(per_seed_jobs, 2), "s")
    ok &= emit("method_split_3_seeds_as_2_jobs_seconds", round(grouped, 2), "s")
    ok &= emit("grouping_speedup", round(per_seed_jobs / grouped, 3), "x")

    snakemake = str(Path(sys.executable).with_name("snakemake"))
    t0 = time.perf_counter()  # in the repository, as `make run` runs it (a dry run writes nothing)
    subprocess.run([snakemake, "-n", "all", "--quiet"], check=True, capture_output=True, cwd=REPO)
    ok &= emit("snakemake_dry_run_default_all_seconds", round(time.perf_counter() - t0, 2), "s")

    # Paper settings, one epoch over PAPER_PIVOTS pivots of a D = 256 domain.
    paper = synthesize_faces(FaceDomain(dim=256, identities={"train": 65}, max_size=150,
                                        tail_exponent=0.55, min_size=4))["train"]
    spec = IpsSpec(k1=80, k2=10, u=10, gamma=2.0)
    sets = build_supersets(search(paper.features, spec.n_cand).nbr,
                           np.arange(min(PAPER_PIVOTS, len(paper))), spec)
    torch.manual_seed(0)
    hist = train_linkage(LGCN(256), sets, paper.features, paper.labels,
                         get_sampler("riws", gamma=2.0), get_loss("ce"),
                         TrainConfig(k1=80, epochs=1), device=torch.device("cpu"))
    rate = len(sets) / hist.epoch_seconds[0]
    ok &= emit("train_paper_subgraphs_per_s_per_core", round(rate, 2), "subgraphs/s/core")
    ok &= emit("train_paper_epoch_hours_per_core_extrapolated", round(576_494 / rate / 3600, 1),
               "h")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
