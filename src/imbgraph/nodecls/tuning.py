"""Equal tuning for every node method: a small learning-rate x weight-decay grid, chosen per
(dataset, split, method) on the validation nodes, inside the run job.

Why: issue 18 found real-data rankings that the optimiser's settings decide (a baseline
"winning" at lr 0.01 through an epoch-1 spike, GraphSAGE unstable on Amazon Computers at
lr 0.01 and stable at 1e-3), while each paper tuned its own method and took its baselines'
settings from elsewhere. Here every method of a table gets the same grid and the same rule.

The protocol (``training.tune: {lr: [...], weight_decay: [...], seeds: n}``, or a method's
own ``train.tune``; ``null`` turns it off):

1. every grid point (lr outer, weight decay inner, in the order written; a missing
   ``weight_decay`` list is the method's own value) is trained on the job's first ``n``
   seeds (default: all of them) with the method's selection rule (``select``,
   ``select_from``, ``smooth``: :mod:`imbgraph.nodecls.train`);
2. its score is the mean over those seeds of the selected epoch's validation score
   (``val_score`` of the run summary: the criterion, smoothed as the selection smooths it);
3. the point with the best mean is chosen (the highest; the lowest for ``select: loss``;
   ties: the first in grid order; a NaN mean is never chosen over a number);
4. the tuning seeds report the chosen point's runs (they are not trained again) and the
   job's other seeds run at the chosen point. Test nodes are never looked at.

Cost: ``len(grid) x n + (seeds - n)`` runs per job instead of ``seeds``.

It runs inside the run job rather than as a rule of its own: the job already holds every
seed's split and cached inputs, the tuning seeds' runs at the chosen point *are* the
reported runs (a separate rule would train them twice), and ``settings.json`` records the
grid, every point's per-seed validation scores and the choice beside the run it explains.
With ``seeds_per_job: 1`` a job has one seed, so each seed chooses on its own validation
nodes (still validation only).

What is tuned is the optimiser of the network that is scored. ECGN's cluster networks are
pre-trained at the method's configured (untuned) lr and weight decay, recorded as
``train.untuned`` (:func:`apply`) and read by
:func:`imbgraph.nodecls.methods.ecgn.settings.pretrain_settings`: the pre-training is shared
by ECGN's ablations and cached, and is the same whether it runs in the job or in its own rule.
A method whose run reports no validation score (ECGN with ``inference: local``: no network
is trained after pre-training) is not tuned; ``settings.json`` says so.

Torch-free (the config code imports it at every Snakemake start).
"""

from __future__ import annotations

import copy
import logging
import math
from typing import Any, Callable

from imbgraph.errors import ConfigError

__all__ = ["MODES", "TUNED", "apply", "check", "choose", "grid", "run_tuned", "tune_block",
           "tune_seeds"]

log = logging.getLogger(__name__)

#: the settings the grid sets (keys of the method's ``train``)
TUNED = ("lr", "weight_decay")
#: selection criterion -> direction (imbgraph.nodecls.train.SELECT, without importing torch)
MODES = {"macro_f1": "max", "acc": "max", "balanced_acc": "max", "loss": "min",
         "bat_mean": "max"}

Run = Callable[[dict, int], "tuple[dict[str, Any], dict[str, Any]]"]


def tune_block(method: dict) -> dict | None:
    """The resolved method's ``train.tune`` block (None: not tuned)."""
    return method.get("train", {}).get("tune") or None


def grid(method: dict) -> list[dict[str, float]]:
    """The grid points ``{lr, weight_decay}`` of a tuned method, lr outer, in the order
    written (weight decay: the method's own when the block lists none)."""
    tune, train = tune_block(method), method["train"]
    if tune is None:
        return []
    wds = tune.get("weight_decay") or [train["weight_decay"]]
    return [{"lr": float(lr), "weight_decay": float(wd)} for lr in tune["lr"] for wd in wds]


def tune_seeds(method: dict, seeds: list[int]) -> list[int]:
    """The seeds a tuned job tunes on: the first ``tune.seeds`` of ``seeds`` (all by
    default)."""
    n = (tune_block(method) or {}).get("seeds")
    return list(seeds) if n is None else list(seeds)[:int(n)]


def check(train: dict, key: str) -> None:
    """ConfigError naming ``key`` (``...training`` or ``...methods.X.train``) for a tune
    block the schema cannot judge: an empty grid, a non-positive lr, a negative weight decay,
    a seed count < 1."""
    tune = train.get("tune")
    if not tune:
        return
    lrs, wds = tune.get("lr") or [], tune.get("weight_decay")
    if not lrs:
        raise ConfigError(f"{key}.tune.lr: expected a non-empty list of learning rates")
    for lr in lrs:
        if isinstance(lr, bool) or not float(lr) > 0:
            raise ConfigError(f"{key}.tune.lr: {lr!r} is not a learning rate > 0")
    for wd in wds or []:
        if isinstance(wd, bool) or not float(wd) >= 0:
            raise ConfigError(f"{key}.tune.weight_decay: {wd!r} is not a weight decay >= 0")
    n = tune.get("seeds")
    if n is not None and (isinstance(n, bool) or int(n) != n or n < 1):
        raise ConfigError(f"{key}.tune.seeds = {n!r}; expected an integer >= 1 (tune on the "
                          "job's first this many seeds)")


def apply(method: dict, point: dict[str, float]) -> dict:
    """A copy of ``method`` training at grid ``point`` (``train.lr`` and
    ``train.weight_decay`` set), the configured values kept as ``train.untuned``."""
    out = copy.deepcopy(method)
    train = out["train"]
    train.setdefault("untuned", {k: train[k] for k in TUNED})
    train.update({k: float(point[k]) for k in TUNED})
    return out


def choose(means: list[float], mode: str) -> int:
    """Index of the best mean (``mode`` max / min); ties: the first; NaN never beats a
    number (all NaN: 0)."""
    if mode not in ("max", "min"):
        raise ValueError(f"mode = {mode!r}; expected 'max' or 'min'")
    sign = 1.0 if mode == "max" else -1.0
    best = 0
    for i, m in enumerate(means):
        if math.isnan(m):
            continue
        if math.isnan(means[best]) or sign * (m - means[best]) > 0:
            best = i
    return best


def run_tuned(method: dict, seeds: list[int], run: Run, *, label: str = "method"
              ) -> tuple[dict[int, tuple[dict, dict]], dict | None, dict]:
    """Run a job's ``seeds`` with the module's protocol; ``run(method, seed)`` trains one
    seed and returns ``(metrics, summary)``, the summary with ``val_score``.

    Returns ``results`` {seed: (metrics, summary)}, ``record`` (None when the method is not
    tuned: the grid, the tuning seeds, the criterion, each point's per-seed validation
    scores and mean, the chosen point; or ``{"skipped": reason}``) and the method every
    seed ran (the chosen point applied).
    """
    points = grid(method)
    if not points:
        return {s: run(method, s) for s in seeds}, None, method
    tseeds = tune_seeds(method, seeds)
    criterion = method["train"]["select"]
    scores: list[list[float]] = []
    results: list[dict[int, tuple[dict, dict]]] = []
    for i, point in enumerate(points):
        tried = apply(method, point)
        got: dict[int, tuple[dict, dict]] = {}
        for seed in tseeds:
            got[seed] = run(tried, seed)
            if "val_score" not in got[seed][1]:  # no network trained under the grid
                return ({s: run(method, s) for s in seeds},
                        {"skipped": "the method reports no validation score (no network is "
                                    "trained after its pre-training), so the grid cannot "
                                    "change it"}, method)
        results.append(got)
        vals = [float(got[s][1]["val_score"]) for s in tseeds]
        scores.append(vals)
        log.info("tuning %s: lr %g, weight decay %g: validation %s %.4f (mean of %d seeds)",
                 label, point["lr"], point["weight_decay"], criterion, _mean(vals), len(vals))
    means = [_mean(v) for v in scores]
    best = choose(means, MODES[criterion])
    chosen = apply(method, points[best])
    out = dict(results[best])
    for seed in seeds:
        if seed not in out:
            out[seed] = run(chosen, seed)
    record = {
        "grid": {"lr": sorted({p["lr"] for p in points}),
                 "weight_decay": sorted({p["weight_decay"] for p in points})},
        "seeds": tseeds, "criterion": criterion,
        "smooth": int(method["train"].get("smooth", 1)),
        "select_from": int(method["train"].get("select_from", 0)),
        "points": [{**p, "val": v, "val_mean": m} for p, v, m in zip(points, scores, means)],
        "chosen": dict(points[best]),
        "untuned": {k: method["train"][k] for k in TUNED},
    }
    log.info("tuning %s: chose lr %g, weight decay %g", label, points[best]["lr"],
             points[best]["weight_decay"])
    return {s: out[s] for s in seeds}, record, chosen


def _mean(values: list[float]) -> float:
    return math.fsum(values) / len(values) if values else math.nan
