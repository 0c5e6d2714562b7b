"""ECGN's settings, torch-free: the defaults of its balancing block and of ClusterGCN's (read
by the method table, :mod:`imbgraph.nodecls.methods`), their cross-key checks, and the part
of a resolved ECGN method that its cacheable pre-training depends on.

The workflow's config code imports this module at every Snakemake start, so it imports
nothing heavier than the standard library.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from imbgraph.errors import ConfigError

__all__ = ["CLUSTER_GCN_DEFAULTS", "DEFAULTS", "INFERENCE", "TRANSFER", "check",
           "needs_split_scale", "pretrain_key", "pretrain_method", "pretrain_settings"]

#: ECGN's balancing defaults (the public code's pre-training budget on Cora; the paper's
#: 50% cap; the code's neighbour smoothing; a fresh global network, global inference)
DEFAULTS: dict[str, Any] = {
    "pretrain": True, "pretrain_epochs": 200, "pretrain_patience": 40, "smooth": True,
    "smote": True, "max_fraction": 0.5, "seed_fraction": 0.5, "transfer": "none",
    "inference": "global"}
#: ClusterGCN: one METIS cluster per mini-batch (q = 1)
CLUSTER_GCN_DEFAULTS: dict[str, Any] = {"clusters_per_batch": 1}
#: Table 4's weight-transfer strategies (``none``: ECGN's fresh global network)
TRANSFER = ("none", "average", "largest", "best")
#: Table 3: the global network (ECGN) or each node's cluster network
INFERENCE = ("global", "local")


def check(bal: dict[str, Any], key: str) -> None:
    """ConfigError naming ``key`` (``...methods.X.balancing``) when ECGN's settings ``bal``
    (defaults filled in) contradict each other."""
    if bal["transfer"] not in TRANSFER:
        raise ConfigError(f"{key}.transfer = {bal['transfer']!r}; expected one of "
                          f"{list(TRANSFER)}")
    if bal["inference"] not in INFERENCE:
        raise ConfigError(f"{key}.inference = {bal['inference']!r}; expected 'global' or "
                          "'local'")
    if not bal["pretrain"] and (bal["inference"] == "local" or bal["transfer"] != "none"):
        raise ConfigError(f"{key}: inference 'local' and weight transfer use the cluster "
                          "networks, so they need pretrain: true")
    if bal.get("target") is not None and bal.get("scale") is not None:
        raise ConfigError(f"{key}: give the synthetic-node count as 'target' (raise each "
                          "minority class to this many training nodes; ECGN 100 on Cora) or "
                          "'scale', not both")


def needs_split_scale(bal: dict[str, Any]) -> bool:
    """Whether ECGN's cluster-aware SMOTE adds nodes without its own count (then it takes the
    split's ``oversampling_scale``)."""
    return (bool(bal["smote"]) and bal["inference"] == "global"
            and bal.get("target") is None and bal.get("scale") is None)


def pretrain_settings(method: dict[str, Any]) -> dict[str, Any]:
    """The part of a resolved ECGN method that determines its pre-training (model, epochs,
    patience, Adam's lr and weight decay, k): methods with equal settings share one cached
    pre-training per (dataset, split, seed). A tuned method's lr and weight decay are its
    configured ones (``train.untuned``, :func:`imbgraph.nodecls.tuning.apply`): the grid
    tunes the global network, not the cached pre-training."""
    bal = method["balancing"]
    train = {**method["train"], **method["train"].get("untuned", {})}
    return {"model": method["model"], "clusters": bal.get("clusters"),
            "pretrain_epochs": int(bal["pretrain_epochs"]),
            "pretrain_patience": int(bal["pretrain_patience"]),
            "lr": float(train["lr"]),
            "weight_decay": float(train["weight_decay"])}


def pretrain_key(settings: dict[str, Any]) -> str:
    """A short stable name of :func:`pretrain_settings` (k aside: paths carry it), for the
    folder of a cached pre-training:
    ``results/nodecls/pretrain/{dataset}/{split}/k{k}_{key}/seed{seed}.pt``."""
    s = {k: v for k, v in settings.items() if k != "clusters"}
    return hashlib.sha1(json.dumps(s, sort_keys=True).encode()).hexdigest()[:10]


def pretrain_method(settings: dict[str, Any]) -> dict[str, Any]:
    """A resolved method that pre-trains as ``settings`` say (the pre-training rule's
    method: none of the settings of the runs that read it but these)."""
    return {"model": dict(settings["model"]),
            "balancing": {**DEFAULTS, "name": "ecgn", "clusters": settings["clusters"],
                          "pretrain_epochs": settings["pretrain_epochs"],
                          "pretrain_patience": settings["pretrain_patience"]},
            "train": {"lr": settings["lr"], "weight_decay": settings["weight_decay"]}}
