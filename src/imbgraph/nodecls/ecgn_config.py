"""Config side of the cluster-based methods (:data:`imbgraph.nodecls.ecgn.ECGN_BALANCING`):
how many METIS clusters a (dataset, method) run uses, the cluster count as a sweepable method
hyperparameter, and the cross-key checks a schema cannot express.

The number of clusters k of a run is the method's ``balancing.clusters`` when set (a sweep
point of ECGN's Figure 2 sets it), else the dataset's entry of the section's ``clusters``
block::

    clusters:
      metis_seed: 0                       # METIS's seed (one partition per dataset and k)
      k: {cora: 3, citeseer: 3, computers: 7}

The partition is a per-(dataset, k) pipeline output shared by every method that reads it
(:func:`clusters_rule_params` gives the rule's params).
"""

from __future__ import annotations

import copy
from typing import Any

from imbgraph.errors import ConfigError
from imbgraph.nodecls.ecgn import ECGN_BALANCING, TRANSFER

__all__ = ["CLUSTER_PARAM", "check_ecgn", "check_ecgn_run", "cluster_count",
           "clusters_rule_params", "needs_clusters", "resolve_ecgn", "vary_clusters"]

#: the method hyperparameter ECGN's Figure 2 sweeps (``sweep: {param: clusters, ...}``)
CLUSTER_PARAM = "clusters"


def needs_clusters(method_entry: dict) -> bool:
    """Whether a method entry's job reads the dataset's METIS clusters."""
    bal = method_entry["balancing"]["name"]
    return bal in ECGN_BALANCING and ECGN_BALANCING[bal].needs_clusters


def cluster_count(section: dict, dataset: str, method: str, *,
                  where: str = "nodecls") -> int | None:
    """k of the run (dataset, method); None when the method uses no clusters. ConfigError
    naming the keys when neither the method nor ``clusters.k`` gives one."""
    entry = section["methods"][method]
    if not needs_clusters(entry):
        return None
    own = entry["balancing"].get(CLUSTER_PARAM)
    if own is not None:
        return int(own)
    per_dataset = section.get("clusters", {}).get("k", {})
    if dataset not in per_dataset:
        raise ConfigError(
            f"{where}.clusters.k has no entry for dataset {dataset!r} and "
            f"{where}.methods.{method}.balancing.clusters is not set; method {method!r} "
            f"needs METIS clusters (ECGN: 3 on Cora and CiteSeer, 7 on Amazon Computers)")
    return int(per_dataset[dataset])


def resolve_ecgn(resolved: dict[str, Any], k: int | None) -> dict[str, Any]:
    """A method resolved by :func:`imbgraph.nodecls.config.resolve_method` with the
    defaults of its cluster-based balancing and the run's cluster count filled in (a copy;
    methods outside :data:`ECGN_BALANCING` are returned unchanged)."""
    name = resolved["balancing"]["name"]
    if name not in ECGN_BALANCING:
        return resolved
    out = copy.deepcopy(resolved)
    out["balancing"] = {**ECGN_BALANCING[name].defaults, **resolved["balancing"]}
    if k is not None:
        out["balancing"][CLUSTER_PARAM] = int(k)
    return out


def vary_clusters(entry: dict, param: str, value: float) -> dict:
    """The method entry with ``balancing.clusters = value`` (a Figure-2 sweep point);
    ConfigError for another parameter or a method without clusters."""
    if param != CLUSTER_PARAM:
        raise ConfigError(f"sweep param {param!r}: the cluster-based methods sweep only "
                          f"{CLUSTER_PARAM!r}")
    if not needs_clusters(entry):
        raise ConfigError(f"sweep over {CLUSTER_PARAM!r}: balancing "
                          f"{entry['balancing']['name']!r} uses no clusters")
    if int(value) != value or value < 1:
        raise ConfigError(f"sweep over {CLUSTER_PARAM!r}: value {value!r} is not a cluster "
                          "count >= 1")
    out = copy.deepcopy(entry)
    out["balancing"][CLUSTER_PARAM] = int(value)
    return out


def clusters_rule_params(section: dict, dataset: str, k: int) -> dict[str, int]:
    """``params:`` of the METIS rule of (dataset, k)."""
    return {"k": int(k), "seed": int(section.get("clusters", {}).get("metis_seed", 0))}


def check_ecgn(section: dict, *, where: str = "nodecls") -> None:
    """Cross-key checks of the ``clusters`` block and of every method whose balancing is in
    :data:`ECGN_BALANCING` (ConfigError naming the key)."""
    block = section.get("clusters", {})
    for dataset, k in block.get("k", {}).items():
        if dataset not in section["datasets"]:
            raise ConfigError(f"{where}.clusters.k.{dataset}: not a dataset declared under "
                              f"{where}.datasets (declared: {sorted(section['datasets'])})")
        if int(k) != k or k < 1:
            raise ConfigError(f"{where}.clusters.k.{dataset} = {k!r}; expected an integer "
                              ">= 1")
    for name, entry in section["methods"].items():
        bal = entry["balancing"]
        if bal["name"] not in ECGN_BALANCING:
            continue
        key = f"{where}.methods.{name}.balancing"
        full = {**ECGN_BALANCING[bal["name"]].defaults, **bal}
        if full.get(CLUSTER_PARAM) is not None and (int(full[CLUSTER_PARAM]) != full[
                CLUSTER_PARAM] or full[CLUSTER_PARAM] < 1):
            raise ConfigError(f"{key}.clusters = {full[CLUSTER_PARAM]!r}; expected an "
                              "integer >= 1")
        if bal["name"] != "ecgn":
            continue
        if full["transfer"] not in TRANSFER:
            raise ConfigError(f"{key}.transfer = {full['transfer']!r}; expected one of "
                              f"{list(TRANSFER)}")
        if full["inference"] not in ("global", "local"):
            raise ConfigError(f"{key}.inference = {full['inference']!r}; expected 'global' "
                              "or 'local'")
        if not full["pretrain"] and (full["inference"] == "local"
                                     or full["transfer"] != "none"):
            raise ConfigError(f"{key}: inference 'local' and weight transfer use the "
                              "cluster networks, so they need pretrain: true")
        if full["smote"] and full["inference"] == "global" and (
                ("target" in full) == ("scale" in full)):
            raise ConfigError(f"{key}: cluster-aware SMOTE needs exactly one of 'target' "
                              "(raise each minority class to this many training nodes; ECGN "
                              "100 on Cora) or 'scale'; or set smote: false")


def check_ecgn_run(section: dict, dataset: str, method: str, *,
                   where: str = "nodecls") -> None:
    """A table or figure cell (dataset, method): its cluster count resolves."""
    cluster_count(section, dataset, method, where=where)
