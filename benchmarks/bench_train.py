"""Benchmark L-GCN training and inference throughput (imbgraph.linkage.train) on one core.

Run as ``python benchmarks/bench_train.py``. Prints one JSON object per measurement:
{"name", "value", "unit", "target", "ok"}; there are no targets here (all are null).

torch uses one intra-op thread (as a pipeline training job does), so subgraphs/s is also
subgraphs/s per core. Two settings, one epoch each, seeded:

* default: the default config's sizes (D = 64, 400 train identities, k1/k2/u = 10/5/5,
  superset gamma 2.5, hidden (64, 64, 32, 32), head 32, RIWS gamma 2, CE, batch 16, lr 0.1),
  over every pivot of the train split;
* paper: the paper's sizes (D = 256, k1/k2/u = 80/10/10, gamma 2, hidden (512, 512, 256, 256),
  head 256, batch 16) over the first 300 pivots of a ~2,000-row D = 256 domain.

Inference is ``predict_edges`` over the same supersets. Peak RSS is this process's (ru_maxrss), and
that of the largest default training job (8 epochs on the H100_S5 subset) run alone in a
subprocess (its VmHWM: ru_maxrss would inherit this process's peak across exec).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

import numpy as np
import torch

from imbgraph.linkage.subsets import imbalanced_subset
from imbgraph.linkage.synthetic import FaceDomain, synthesize_faces
from imbgraph.knn import search
from imbgraph.linkage.models import LGCN
from imbgraph.linkage.samplers import get_sampler
from imbgraph.linkage.subgraphs import IpsSpec, build_supersets
from imbgraph.linkage.train import TrainConfig, predict_edges, train_linkage
from imbgraph.losses import get_loss

CPU = torch.device("cpu")
DEFAULT_DOMAIN = FaceDomain(
    dim=64, identities={"train": 400}, max_size=150, tail_exponent=0.55, min_size=4, spread=0.8
)
PAPER_DOMAIN = FaceDomain(
    dim=256, identities={"train": 65}, max_size=150, tail_exponent=0.55, min_size=4
)
PAPER_PIVOTS = 300
RSS_SUBSET = (100, 5)  # the largest (H, S) subset of config/config.yaml


def emit(name: str, value, unit: str, target=None, ok=None) -> bool:
    print(json.dumps({"name": name, "value": value, "unit": unit, "target": target, "ok": ok}))
    sys.stdout.flush()
    return ok is not False


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def own_peak_rss_mib() -> float:
    """This address space's own high-water RSS (VmHWM), falling back to ru_maxrss.

    Linux carries ru_maxrss across execve (a child spawned by a 1 GB parent reports at least
    1 GB), while VmHWM belongs to the new address space, so a subprocess reads VmHWM.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return peak_rss_mib()


def run_setting(
    features: np.ndarray,
    labels: np.ndarray,
    pivots: np.ndarray,
    spec: IpsSpec,
    hidden: tuple[int, ...],
    head: int,
    cfg: TrainConfig,
) -> dict[str, float]:
    """Build supersets, train ``cfg.epochs`` epochs, predict; return the throughputs."""
    knn_k = max(spec.n_cand, spec.k2, spec.u)
    nbr = search(features, knn_k, index="flat", threads=1).nbr
    sets = build_supersets(nbr, pivots, spec)
    torch.manual_seed(cfg.seed)
    model = LGCN(features.shape[1], hidden=hidden, head=head)
    history = train_linkage(
        model, sets, features, labels, get_sampler("riws", gamma=2.0), get_loss("ce"), cfg,
        device=CPU,
    )
    start = time.perf_counter()
    edges, _ = predict_edges(model, sets, features, spec.k1, device=CPU)
    infer = time.perf_counter() - start
    return {
        "pivots": len(sets),
        "train_rate": len(sets) / history.epoch_seconds[0],
        "train_epoch_seconds": history.epoch_seconds[0],
        "infer_rate": len(sets) / infer,
        "loss": history.epoch_loss[-1],
        "edges": len(edges),
    }


def default_args(epochs: int = 1) -> tuple[IpsSpec, tuple[int, ...], int, TrainConfig]:
    spec = IpsSpec(k1=10, k2=5, u=5, gamma=2.5)
    cfg = TrainConfig(k1=10, epochs=epochs, batch_size=16, lr=0.1, lr_decay=0.7)
    return spec, (64, 64, 32, 32), 32, cfg


def rss_job() -> int:
    """The largest default training job, alone: prints its peak RSS as one JSON line."""
    torch.set_num_threads(1)
    split = synthesize_faces(DEFAULT_DOMAIN)["train"]
    sub = imbalanced_subset(split, *RSS_SUBSET, seed=0)
    spec, hidden, head, cfg = default_args(epochs=8)
    out = run_setting(
        sub.features, sub.labels, np.arange(len(sub)), spec, hidden, head, cfg
    )
    print(json.dumps({"pivots": out["pivots"], "rss_mib": own_peak_rss_mib()}))
    return 0


def main() -> int:
    torch.set_num_threads(1)
    ok = True

    split = synthesize_faces(DEFAULT_DOMAIN)["train"]
    spec, hidden, head, cfg = default_args(epochs=1)
    out = run_setting(
        split.features, split.labels, np.arange(len(split)), spec, hidden, head, cfg
    )
    ok &= emit("train_default_pivots", out["pivots"], "pivots")
    ok &= emit(
        "train_default_subgraphs_per_s_per_core", round(out["train_rate"], 1), "subgraphs/s/core"
    )
    ok &= emit("train_default_epoch_loss", round(out["loss"], 4), "ce")
    ok &= emit(
        "predict_default_subgraphs_per_s_per_core", round(out["infer_rate"], 1),
        "subgraphs/s/core",
    )

    split = synthesize_faces(PAPER_DOMAIN)["train"]
    spec = IpsSpec(k1=80, k2=10, u=10, gamma=2.0)
    cfg = TrainConfig(k1=80, epochs=1, batch_size=16)
    out = run_setting(
        split.features, split.labels, np.arange(min(PAPER_PIVOTS, len(split))), spec,
        (512, 512, 256, 256), 256, cfg,
    )
    ok &= emit("train_paper_graph_rows", len(split), "rows")
    ok &= emit("train_paper_pivots", out["pivots"], "pivots")
    ok &= emit(
        "train_paper_subgraphs_per_s_per_core", round(out["train_rate"], 2), "subgraphs/s/core"
    )
    ok &= emit(
        "predict_paper_subgraphs_per_s_per_core", round(out["infer_rate"], 2),
        "subgraphs/s/core",
    )
    # At this rate one paper epoch (576,494 pivots) on one core would take:
    hours = 576_494 / out["train_rate"] / 3600
    ok &= emit("train_paper_epoch_hours_per_core_extrapolated", round(hours, 1), "h")
    ok &= emit("bench_process_peak_rss", round(peak_rss_mib(), 1), "MiB")

    job = subprocess.run(
        [sys.executable, __file__, "--rss-job"], capture_output=True, text=True, check=False
    )
    if job.returncode != 0:
        sys.stderr.write(job.stderr)
        ok &= emit("train_largest_default_job_peak_rss", None, "MiB", None, False)
    else:
        result = json.loads(job.stdout.strip().splitlines()[-1])
        h, s = RSS_SUBSET
        ok &= emit(f"train_largest_default_job_H{h}_S{s}_pivots", result["pivots"], "pivots")
        ok &= emit(
            f"train_largest_default_job_H{h}_S{s}_peak_rss", round(result["rss_mib"], 1), "MiB"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    if "--rss-job" in sys.argv[1:]:
        sys.exit(rss_job())
    sys.exit(main())
