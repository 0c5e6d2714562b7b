"""The record of a run, written beside each other in its folder: ``metrics.json`` (the
house's common keys, then the metrics: a function of config and seed only, byte-identical
across reruns), ``timings.json`` and ``settings.json`` (the task, dataset, split, method and
seed, the fully resolved method with every hyperparameter, the data settings and the
versions of imbgraph and its main libraries). A ``metrics.json`` can always be traced back
to the settings that produced it. :func:`run_records` assembles the three for any family."""

from __future__ import annotations

import platform
from importlib import metadata
from typing import Any

import imbgraph

_LIBRARIES = ("torch", "numpy", "scipy", "scikit-learn", "torch-geometric", "faiss-cpu",
              "pymetis", "polars", "pyarrow")


def versions() -> dict[str, str]:
    """Versions of imbgraph, Python and the installed main libraries (absent ones left out)."""
    out = {"imbgraph": imbgraph.__version__, "python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def run_settings(*, task: str, dataset: str, split: str, method: str, seed: int,
                 resolved: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The settings record of one run; ``resolved`` is the method as the job used it and
    ``extra`` any data settings the job depended on (IPS sizes, split protocol, ...)."""
    return {"task": task, "dataset": dataset, "split": split, "method": method,
            "seed": int(seed), "resolved": resolved, **extra, "versions": versions()}


def run_head(*, task: str, dataset: str, split: str, method: str, label: str,
             seed: int) -> dict[str, Any]:
    """The keys every run's ``metrics.json`` starts with (what the tables join on)."""
    return {"task": task, "dataset": dataset, "split": split, "method": method,
            "method_label": label, "seed": int(seed)}


def run_records(*, task: str, dataset: str, split: str, method: str, label: str, seed: int,
                metrics: dict[str, Any], timings: dict[str, Any], resolved: dict[str, Any],
                **extra: Any) -> tuple[dict, dict, dict]:
    """The contents of one run's ``metrics.json`` (:func:`run_head` + ``metrics``),
    ``timings.json`` (``timings`` as given) and ``settings.json`` (:func:`run_settings`
    with ``resolved`` and ``extra``)."""
    head = run_head(task=task, dataset=dataset, split=split, method=method, label=label,
                    seed=seed)
    settings = run_settings(task=task, dataset=dataset, split=split, method=method, seed=seed,
                            resolved=resolved, **extra)
    return {**head, **metrics}, timings, settings
