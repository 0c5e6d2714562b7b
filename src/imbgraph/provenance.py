"""What a run used, written beside its metrics (``settings.json``): the task, dataset, split,
method and seed, the fully resolved method (model, sampler / balancing, loss, training, with
every hyperparameter), the data settings and the versions of imbgraph and its main libraries.
A ``metrics.json`` can always be traced back to the settings that produced it."""

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
