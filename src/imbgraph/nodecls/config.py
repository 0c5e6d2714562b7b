"""The ``nodecls:`` config section: cross-key checks, resolution of its entries into the
plain values the rules pass on through ``params:``, and what the section offers to tables
and figures (:func:`catalog`).

workflow/schemas/nodecls.schema.yaml checks types, ranges, unknown keys and every registry
name (models, balancing strategies, losses, class weights, split protocols, generators,
readers, validation criteria: its enums, which tests/nodecls/test_config.py keeps equal to
the registries). This module adds what a schema cannot express (a method naming an undeclared
model, a split's minority class the dataset lacks, a training count of zero, a graph without
features and without DeepWalk, a cluster count for a dataset that is not declared, a method's
own cross-key rules, a user's method whose module is not on the path) and resolves entries
(:func:`resolve_method`, :func:`resolve_split`). Every error is a
:class:`~imbgraph.errors.ConfigError` naming the key (``nodecls.methods.X.model = ...``).

What a method takes, its defaults, the cached inputs it reads and whether it adds synthetic
nodes come from one declaration, the method table :data:`imbgraph.nodecls.methods.METHODS`.
Snakemake imports this module at every start (and every SLURM job re-parses the Snakefile),
so neither it nor that table imports torch, PyG or scikit-learn; the training defaults are
plain data here, kept equal to :class:`~imbgraph.nodecls.train.TrainConfig` by a test.

Two hyperparameters can be swept by a figure (:func:`vary`): ``scale``, the over-sampling
scale of a method that adds synthetic nodes (GraphSMOTE Figure 3), and ``clusters``, the
METIS cluster count of a cluster-based method (ECGN Figure 2).

A split may carry ``per_dataset:`` overrides (ECGN's protocol: one split whose minority
classes, counts and over-sampling scale differ per dataset); such a split is a run split of
the datasets it lists only.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np

from imbgraph import config as cfg
from imbgraph import plugins
from imbgraph.errors import ConfigError
from imbgraph.io.planetoid import PLANETOID_CLASS_NAMES, PLANETOID_FILES
from imbgraph.nodecls.data.datasets import (
    dataset_path,
    resolve_deepwalk,
    synthetic_class_names,
    synthetic_class_sizes,
    synthetic_num_nodes,
)
from imbgraph.nodecls.data.splits import (
    resolve_classes,
    resolve_spec,
    step_tail_size,
    train_counts_of,
)
from imbgraph.nodecls.methods import METHODS, OVERSAMPLING, NodeMethod, resolve_addons
from imbgraph.nodecls.methods.ecgn.settings import pretrain_key
from imbgraph.nodecls.ppr import check_ppr_memory
from imbgraph.nodecls.tuning import check as check_tune

__all__ = ["CLUSTER_PARAM", "LOSS_DEFAULTS", "MODEL_DEFAULTS", "SCALE_PARAM",
           "TRAIN_DEFAULTS", "catalog", "check", "check_run", "check_runs", "cluster_count",
           "cluster_rule_params", "deepwalk_settings", "known_class_names", "method_code",
           "method_spec", "needs", "needs_clusters", "needs_deepwalk", "pretrain_plan",
           "raw_files", "requested_runs", "resolve_method", "resolve_split", "run_splits",
           "split_key", "vary"]

MODEL_DEFAULTS = {"hidden": 64, "dropout": 0.1, "encoder_layers": 1, "classifier_layers": 1}
LOSS_DEFAULTS = {"name": "ce", "class_weights": "none"}
#: :class:`imbgraph.nodecls.train.TrainConfig`'s defaults (a test keeps them equal)
TRAIN_DEFAULTS: dict[str, Any] = {"max_epochs": 1000, "patience": 100, "lr": 1e-3,
                                  "weight_decay": 5e-4, "select": "macro_f1", "min_epochs": 0,
                                  "pretrain_lr": None, "select_from": 0, "smooth": 1,
                                  "report": "best"}

SCALE_PARAM = "scale"  # GraphSMOTE Figure 3
CLUSTER_PARAM = "clusters"  # ECGN Figure 2


# --- splits ---------------------------------------------------------------------------------
def _split_entry(section: dict, name: str, dataset: str | None) -> dict[str, Any]:
    # the entry as written, with the dataset's per_dataset overrides applied
    spec = {k: v for k, v in section["splits"][name].items() if k != "per_dataset"}
    if dataset is not None:
        spec.update(section["splits"][name].get("per_dataset", {}).get(dataset, {}))
    return spec


def split_key(section: dict, name: str, dataset: str | None = None, *,
              where: str = "nodecls") -> str:
    """The config key that errors about split ``name`` on ``dataset`` name:
    ``{where}.splits.{name}``, or ``...splits.{name}.per_dataset.{dataset}`` when the
    dataset has overrides there."""
    key = f"{where}.splits.{name}"
    if dataset is not None and dataset in section["splits"][name].get("per_dataset", {}):
        key += f".per_dataset.{dataset}"
    return key


def resolve_split(section: dict, name: str, dataset: str | None = None) -> dict[str, Any]:
    """The split entry ``name`` as the split rule of ``dataset`` needs it: a copy, with the
    dataset's ``per_dataset`` overrides applied and every default of the split protocol
    filled in (:func:`imbgraph.nodecls.data.splits.resolve_spec`)."""
    return copy.deepcopy(resolve_spec(_split_entry(section, name, dataset),
                                      key=split_key(section, name, dataset)))


def run_splits(section: dict, dataset: str) -> list[str]:
    """The splits a table or figure may run on ``dataset``: every split without
    ``per_dataset`` overrides, and those whose overrides name the dataset."""
    return [s for s, spec in section["splits"].items()
            if "per_dataset" not in spec or dataset in spec["per_dataset"]]


# --- methods --------------------------------------------------------------------------------
def method_spec(entry: dict, key: str = "nodecls.methods.<method>") -> NodeMethod:
    """The method table's row of a method entry (ConfigError naming ``key`` when unknown)."""
    return METHODS.get_spec(entry["balancing"]["name"], key=f"{key}.balancing.name")


def needs(entry: dict) -> tuple[str, ...]:
    """The cached inputs a method entry's job reads (:data:`imbgraph.nodecls.methods.CACHED`;
    ECGN's pre-training is read when :func:`pretrain_plan` caches it)."""
    spec = method_spec(entry)
    return spec.needs_of(spec.settings(entry["balancing"]))


def needs_clusters(entry: dict) -> bool:
    """Whether a method entry's job reads the dataset's METIS clusters."""
    return "clusters" in needs(entry)


def method_code(section: dict, method: str, *, where: str = "nodecls") -> dict | None:
    """For a method of the user's own (``balancing.name: plugin``): its ``callable`` and
    the SHA-256 of its module's file, found without importing it (None for a built-in
    method). Passed to the run rule's ``params:``, so that editing the code reruns it."""
    bal = section["methods"][method]["balancing"]
    if method_spec(section["methods"][method]).impl is not None:
        return None
    path = plugins.find_callable(bal["callable"],
                                 key=f"{where}.methods.{method}.balancing.callable")
    return {"callable": bal["callable"],
            "sha256": plugins.file_sha256(path) if path is not None else None}


def cluster_count(section: dict, dataset: str, method: str, *,
                  where: str = "nodecls") -> int | None:
    """k of the run (dataset, method): the method's ``balancing.clusters``, else the
    dataset's ``clusters.k``; None for a method that reads no clusters."""
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
            "needs METIS clusters (ECGN: 3 on Cora and CiteSeer, 7 on Amazon Computers)")
    return int(per_dataset[dataset])


def cluster_rule_params(section: dict, k: int) -> dict[str, int]:
    """``params:`` of the METIS rule of one k: ``{k, seed}`` (``clusters.metis_seed``)."""
    return {"k": int(k), "seed": int(section.get("clusters", {}).get("metis_seed", 0))}


def resolve_method(section: dict, name: str, *, split: str | None = None,
                   dataset: str | None = None, where: str = "nodecls") -> dict[str, Any]:
    """Everything a training job needs for method ``name`` on (``dataset``, ``split``):
    ``label``, ``model`` (defaults filled in), ``balancing``, ``loss`` and ``train``
    (``training`` under the method's own ``train``, over :data:`TRAIN_DEFAULTS`).

    The over-sampling ``scale`` of a method that adds synthetic nodes is its own, else the
    split's ``oversampling_scale`` (so every method of a table adds the same number of
    nodes); a cluster-based method gets its defaults and, given the dataset, the run's
    cluster count ``balancing.clusters``.
    """
    methods = section["methods"]
    if name not in methods:
        raise ConfigError(f"{where}.methods: {name!r} is not a method (declared: "
                          f"{sorted(methods)})")
    m = methods[name]
    if m["model"] not in section["models"]:
        raise ConfigError(f"{where}.methods.{name}.model = {m['model']!r} is not declared "
                          f"under {where}.models (declared: {sorted(section['models'])})")
    model = {**MODEL_DEFAULTS, **section["models"][m["model"]]}
    spec = method_spec(m, f"{where}.methods.{name}")
    bal = spec.settings(m["balancing"])  # the method table's defaults: the one place
    if dataset and "clusters" in spec.needs_of(bal):
        bal[CLUSTER_PARAM] = cluster_count(section, dataset, name, where=where)
    if spec.takes_split_scale(bal):
        split_scale = (resolve_split(section, split, dataset).get("oversampling_scale")
                       if split is not None and split in section["splits"] else None)
        if split_scale is None:
            key, split_key_ = f"{where}.methods.{name}.balancing", f"{where}.splits.{split}"
            if spec.adds_nodes:
                raise ConfigError(
                    f"{key}.scale is not set and {split_key_} declares no oversampling_scale; "
                    "set one of them (GraphSMOTE: 2.0 on Cora, 'balance' on BlogCatalog and "
                    "Twitter)")
            raise ConfigError(f"{key} sets neither 'target' nor 'scale' and {split_key_} "
                              f"declares no oversampling_scale; {spec.amount_hint}")
        bal["scale"] = split_scale
    loss = {**LOSS_DEFAULTS, **m.get("loss", {})}
    train = {**TRAIN_DEFAULTS, **section.get("training", {}), **m.get("train", {})}
    out = {"label": m.get("label", name), "model": model, "balancing": bal, "loss": loss,
           "train": train}
    if m.get("addons"):  # absent, not empty, without add-ons: older runs' params unchanged
        out["addons"] = resolve_addons(m, f"{where}.methods.{name}")
    return copy.deepcopy(out)


def vary(entry: dict, param: str, value: float) -> dict:
    """A method entry with a swept hyperparameter set (the family's ``Catalog.vary``):
    ``scale`` (GraphSMOTE Figure 3) for a method that adds synthetic nodes, ``clusters``
    (ECGN Figure 2) for one that reads METIS clusters; ConfigError otherwise."""
    name = entry["balancing"]["name"]
    if param == SCALE_PARAM:
        if not method_spec(entry).adds_nodes:
            raise ConfigError(f"sweep over {SCALE_PARAM!r}: balancing {name!r} adds no "
                              f"synthetic nodes (expected one of {list(OVERSAMPLING)})")
        if not value > 0:
            raise ConfigError(f"sweep over {SCALE_PARAM!r}: value {value!r} is not a scale > 0")
        return {**copy.deepcopy(entry), "balancing": {**entry["balancing"], "scale": value}}
    if param == CLUSTER_PARAM:
        if not needs_clusters(entry):
            raise ConfigError(f"sweep over {CLUSTER_PARAM!r}: balancing {name!r} uses no "
                              "clusters")
        if int(value) != value or value < 1:
            raise ConfigError(f"sweep over {CLUSTER_PARAM!r}: value {value!r} is not a "
                              "cluster count >= 1")
        return {**copy.deepcopy(entry), "balancing": {**entry["balancing"],
                                                      CLUSTER_PARAM: int(value)}}
    raise ConfigError(f"sweep param {param!r}: nodecls methods sweep {SCALE_PARAM!r} "
                      f"(over-sampling scale) or {CLUSTER_PARAM!r} (METIS clusters)")


# --- cached pre-trainings ------------------------------------------------------------------
def pretrain_plan(section: dict, runs: list[tuple[str, str, str]], *,
                  where: str = "nodecls") -> dict[tuple[str, str, str], dict[str, Any]]:
    """The pre-trainings worth caching (ECGN's cluster networks): those that two or more
    requested runs share.

    Returns {(dataset, split, method): {"k", "key", "settings"}} for every run that reads
    a cached pre-training (its file: ``pretrain/{dataset}/{split}/k{k}_{key}/...``); a run
    whose pre-training no other run shares trains it in its own job (the numbers are the
    same either way: ECGN reseeds every stage). A method takes part when its table row
    declares ``pretrain`` settings and its resolved settings need ``"pretrain"``.
    """
    keyed: dict[tuple[str, str, str], tuple] = {}
    for d, s, m in runs:
        spec = method_spec(section["methods"][m])
        if spec.pretrain is None:
            continue
        r = resolve_method(section, m, split=s, dataset=d, where=where)
        if "pretrain" not in spec.needs_of(r["balancing"]):
            continue
        settings = spec.pretrain(r)
        keyed[(d, s, m)] = (d, s, settings[CLUSTER_PARAM], pretrain_key(settings), settings)
    uses: dict[tuple, int] = {}
    for v in keyed.values():
        uses[v[:4]] = uses.get(v[:4], 0) + 1
    return {run: {"k": v[2], "key": v[3], "settings": v[4]}
            for run, v in keyed.items() if uses[v[:4]] > 1}


# --- datasets -------------------------------------------------------------------------------
def needs_deepwalk(entry: dict) -> bool:
    """Whether the dataset's graph has no features of its own."""
    if entry["source"] == "blogcatalog":
        return True
    if entry["source"] == "synthetic":
        return (entry["generator"] == "bots"
                or int(entry.get("params", {}).get("feature_dim", 64)) == 0)
    return False


def deepwalk_settings(section: dict, dataset: str) -> dict[str, Any] | None:
    """The dataset's ``deepwalk:`` block with every default filled in
    (:func:`imbgraph.nodecls.data.datasets.resolve_deepwalk`), None without one: the DeepWalk
    rule's ``params:``."""
    entry = section["datasets"][dataset]
    return copy.deepcopy(resolve_deepwalk(entry["deepwalk"])) if "deepwalk" in entry else None


def known_class_names(entry: dict) -> tuple[str, ...] | None:
    """Class names of a dataset known without reading it (synthetic, Planetoid), else None."""
    if entry["source"] == "synthetic":
        return synthetic_class_names(entry)
    if entry["source"] == "planetoid":
        return PLANETOID_CLASS_NAMES.get(str(entry.get("name", "")).lower())
    return None


def raw_files(section: dict, dataset: str) -> list[str]:
    """The raw files a dataset's graph is read from (none for a synthetic one)."""
    entry = section["datasets"][dataset]
    if entry["source"] == "synthetic":
        return []
    path = dataset_path(entry, section.get("data_root"))
    if entry["source"] == "planetoid":
        folder = path / entry["name"] / "raw"
        return [str(folder / f"ind.{entry['name'].lower()}.{p}") for p in PLANETOID_FILES]
    return [str(path)]


# --- checks ---------------------------------------------------------------------------------
def check(section: dict, *, where: str = "nodecls", check_files: bool = True) -> None:
    """Raise :class:`ConfigError` naming the first inconsistent key of the section (after
    the schema: registry names are the schema's enums)."""

    def fail(msg: str) -> None:
        raise ConfigError(f"{where}.{msg}")

    labels: dict[str, str] = {}
    for name, m in section["methods"].items():
        key = f"methods.{name}"
        if m["model"] not in section["models"]:
            fail(f"{key}.model = {m['model']!r} is not declared under {where}.models "
                 f"(declared: {sorted(section['models'])})")
        loss = m.get("loss", LOSS_DEFAULTS)
        if (loss.get("class_weights") == "effective_number"
                and "beta" not in loss.get("class_weight_params", {})):
            fail(f"{key}.loss.class_weight_params.beta is required by class_weights "
                 "'effective_number' (Cui et al.: 0.999 or 0.9999)")
        label = m.get("label", name)
        if label in labels:
            fail(f"{key}.label = {label!r} is also the label of methods.{labels[label]}; "
                 "labels name table rows and must differ")
        labels[label] = name
        _check_method(m, f"{where}.{key}", check_files=check_files)
        _check_train(section, m, f"{where}.{key}", where)
    for name, k in section.get("clusters", {}).get("k", {}).items():
        if name not in section["datasets"]:
            fail(f"clusters.k.{name}: not a dataset declared under {where}.datasets "
                 f"(declared: {sorted(section['datasets'])})")
        if isinstance(k, bool) or int(k) != k or k < 1:
            fail(f"clusters.k.{name} = {k!r}; expected an integer >= 1")
    for name, spec in section["splits"].items():
        for dataset in spec.get("per_dataset", {}):
            if dataset not in section["datasets"]:
                fail(f"splits.{name}.per_dataset.{dataset}: not a dataset declared under "
                     f"{where}.datasets (declared: {sorted(section['datasets'])})")
        for dataset in spec.get("per_dataset") or [None]:
            _check_split(_split_entry(section, name, dataset),
                         split_key(section, name, dataset, where=where))
    for name, entry in section["datasets"].items():
        key = f"{where}.datasets.{name}"
        if needs_deepwalk(entry) and "deepwalk" not in entry:
            raise ConfigError(f"{key}: the graph has no node features; add a 'deepwalk' block "
                              "(GraphSMOTE: 64-d DeepWalk embeddings)")
        if check_files and entry["source"] != "synthetic":
            path = dataset_path(entry, section.get("data_root"))
            if entry["source"] == "planetoid":
                path = Path(path) / entry["name"] / "raw"
            if not Path(path).exists():
                raise ConfigError(f"{key}.path: {path} does not exist (data_root = "
                                  f"{section.get('data_root')!r})")


def _check_method(entry: dict, key: str, *, check_files: bool) -> None:
    """The method's settings (table defaults filled in): a cluster count, the method's own
    cross-key rules, its add-ons, and, for a method of the user's own, that its module is on
    the path."""
    spec = method_spec(entry, key)
    bal = spec.settings(entry["balancing"])
    k = bal.get(CLUSTER_PARAM)
    if "clusters" in spec.needs_of(bal) and k is not None and (
            isinstance(k, bool) or int(k) != k or k < 1):
        raise ConfigError(f"{key}.balancing.clusters = {k!r}; expected an integer >= 1")
    spec.validate(bal, f"{key}.balancing")
    resolve_addons(entry, key)  # known, not twice, and the balancing can carry them
    if spec.impl is None and check_files:
        plugins.find_callable(bal["callable"], key=f"{key}.balancing.callable")


def _check_train(section: dict, entry: dict, key: str, where: str) -> None:
    """A method's training settings (``training`` under its own ``train``): the selection
    leaves an eligible epoch, and its tune block is a grid."""
    own = entry.get("train", {})
    train = {**TRAIN_DEFAULTS, **section.get("training", {}), **own}
    first = max(int(train["select_from"]), int(train["smooth"]) - 1)
    if first >= int(train["max_epochs"]):
        at = (f"{key}.train" if {"select_from", "smooth", "max_epochs"} & set(own)
              else f"{where}.training")
        raise ConfigError(f"{at}: select_from = {train['select_from']}, smooth = "
                          f"{train['smooth']}: the first epoch that may be selected "
                          f"({first}, 0-based) is not below max_epochs = "
                          f"{train['max_epochs']}")
    check_tune(train, f"{key}.train" if "tune" in own else f"{where}.training")


def _check_split(entry: dict, key: str) -> None:
    # entry: as written (per_dataset overrides applied); spec: with the protocol's defaults
    spec = resolve_spec(entry, key=key)
    protocol = spec["protocol"]
    if protocol == "artificial":
        for req in ("minority", "imbalance_ratio"):
            if req not in spec:
                raise ConfigError(f"{key}.{req} is required by protocol 'artificial'")
        ratio = float(spec["imbalance_ratio"])
        if not 0.0 < ratio <= 1.0:
            raise ConfigError(f"{key}.imbalance_ratio = {ratio}; expected a value in (0, 1]")
        per = int(spec["train_per_class"])
        if int(per * ratio) < 1:
            raise ConfigError(f"{key}.imbalance_ratio = {ratio}: int({per} x {ratio}) = 0 "
                              "training nodes per minority class; expected at least 1")
        for a, b in (("val_per_class", "val_fraction"), ("test_per_class", "test_fraction")):
            if entry.get(a) is not None and entry.get(b) is not None:
                raise ConfigError(f"{key}: give {a} or {b}, not both")
        if (spec["val_fraction"] or 0) + (spec["test_fraction"] or 0) > 1 + 1e-9:
            raise ConfigError(f"{key}: val_fraction + test_fraction > 1 (they are fractions of "
                              "each class's nodes left after training)")
    if protocol == "longtail":
        if "rho" not in spec:
            raise ConfigError(f"{key}.rho is required by protocol 'longtail'")
        if float(spec["rho"]) < 1:
            raise ConfigError(f"{key}.rho = {spec['rho']}; expected an imbalance ratio >= 1")
    if protocol == "longtail_remove":
        if "rho" not in spec:
            raise ConfigError(f"{key}.rho is required by protocol 'longtail_remove'")
        if float(spec["rho"]) < 1:
            raise ConfigError(f"{key}.rho = {spec['rho']}; expected an imbalance ratio >= 1")
        if float(spec["val_fraction"]) + float(spec["test_fraction"]) >= 1:
            raise ConfigError(f"{key}: val_fraction + test_fraction >= 1 leaves no node to "
                              "train on a random base")
    if protocol in ("step", "natural"):
        if "rho" not in spec:
            raise ConfigError(f"{key}.rho is required by protocol {protocol!r}")
        if float(spec["rho"]) < 1:
            raise ConfigError(f"{key}.rho = {spec['rho']}; expected an imbalance ratio >= 1")
    if protocol == "step":
        per = int(spec["train_per_class"])
        if step_tail_size(per, float(spec["rho"])) < 1:
            raise ConfigError(f"{key}.rho = {spec['rho']}: {per} // {spec['rho']} = 0 training "
                              "nodes per tail class; expected at least 1 (BAT: rho 10 or 20 "
                              "on 20 per class)")
    if protocol == "genuine":
        total = (float(spec["train_fraction"]) + float(spec["val_fraction"])
                 + float(spec["test_fraction"] or 0))
        if total > 1 + 1e-9:
            raise ConfigError(f"{key}: train_fraction + val_fraction + test_fraction = "
                              f"{total:g} > 1")


def check_run(section: dict, dataset: str, split: str, method: str, *,
              where: str = "nodecls") -> None:
    """Check one (dataset, split, method) run a table or figure asks for: all declared, the
    split runs on the dataset, its minority classes exist in the dataset (when its class
    names are known before reading it), and the method resolves there (its over-sampling
    scale and cluster count are given, the count no larger than a synthetic graph)."""
    if dataset not in section["datasets"]:
        raise ConfigError(f"{where}: dataset {dataset!r} is not declared under "
                          f"{where}.datasets (declared: {sorted(section['datasets'])})")
    if split not in section["splits"]:
        raise ConfigError(f"{where}: split {split!r} is not declared under {where}.splits "
                          f"(declared: {sorted(section['splits'])})")
    if split not in run_splits(section, dataset):
        listed = sorted(section["splits"][split]["per_dataset"])
        raise ConfigError(f"{where}.splits.{split}.per_dataset has no entry for dataset "
                          f"{dataset!r} (it lists {listed})")
    spec = resolve_split(section, split, dataset)
    entry = section["datasets"][dataset]
    names = known_class_names(entry)
    skey = split_key(section, split, dataset, where=where)
    if names is not None and "minority" in spec:
        resolve_classes(spec["minority"], names,
                        key=f"{where}.splits.{split}.minority (dataset {dataset!r})")
    if spec["protocol"] == "step":
        _check_step(spec, entry, dataset, names, skey)
    if spec["protocol"] == "longtail_remove" and spec["base"] == "public" \
            and entry["source"] != "planetoid":
        raise ConfigError(f"{skey}.base = 'public': dataset {dataset!r} ({entry['source']}) "
                          "publishes no split (Planetoid datasets do); use base 'auto' or "
                          "'random'")
    resolve_method(section, method, split=split, dataset=dataset, where=where)
    _check_cluster_count(section, dataset, method, where=where)
    _check_ppr(section, dataset, spec, method, skey, where=where)


def _check_step(spec: dict, entry: dict, dataset: str, names, key: str) -> None:
    # a public base needs a dataset that publishes a split; the tail is a part of the classes
    if spec["base"] == "public" and entry["source"] != "planetoid":
        raise ConfigError(f"{key}.base = 'public': dataset {dataset!r} ({entry['source']}) "
                          "publishes no split (Planetoid datasets do); use base 'auto' or "
                          "'random'")
    tail = spec.get("tail_classes")
    if names is not None and tail is not None and not 1 <= int(tail) < len(names):
        raise ConfigError(f"{key}.tail_classes = {tail}: dataset {dataset!r} has "
                          f"{len(names)} classes; expected 1 .. {len(names) - 1}")


def _check_ppr(section: dict, dataset: str, spec: dict, method: str, split_key_: str, *,
               where: str) -> None:
    # ReNode's and GraphSHA's PPR memory where the graph's size is known before it exists
    # (csbm stand-ins); other graphs are checked by the run job before it computes anything
    bal = method_spec(section["methods"][method]).settings(
        section["methods"][method]["balancing"])
    entry = section["datasets"][dataset]
    if bal["name"] not in ("renode", "graphsha") or entry["source"] != "synthetic":
        return
    sizes = synthetic_class_sizes(entry)
    if sizes is None:
        return
    counts = train_counts_of(spec, sizes)
    over = np.flatnonzero(counts > sizes)
    if over.size:  # the split job would stop; say so now
        raise ConfigError(f"{split_key_}: {int(counts[over[0]])} training nodes asked of class "
                          f"{int(over[0])} of dataset {dataset!r}, which has "
                          f"{int(sizes[over[0]])}")
    cols = int(counts.sum())
    if bal["name"] == "graphsha":  # only the anchors' columns: classes below the target size
        goal = counts.max() if bal["target"] == "max" else counts.sum() / counts.shape[0]
        cols = int(sum(c for c in counts if int(goal - c) > 0))
    check_ppr_memory(int(sizes.sum()), cols, topk=bal["ppr_topk"],
                     max_mb=float(bal["ppr_max_mb"]),
                     key=f"{where}.methods.{method}.balancing (dataset {dataset!r})")


def _check_cluster_count(section: dict, dataset: str, method: str, *, where: str) -> None:
    # METIS needs k <= n; a synthetic graph's n is known before it exists
    entry = section["datasets"][dataset]
    k = cluster_count(section, dataset, method, where=where)
    if k is None or entry["source"] != "synthetic":
        return
    n = synthetic_num_nodes(entry)
    if k > n:
        own = section["methods"][method]["balancing"].get(CLUSTER_PARAM) is not None
        key = (f"{where}.methods.{method}.balancing.clusters" if own
               else f"{where}.clusters.k.{dataset}")
        raise ConfigError(f"{key} = {k} exceeds the {n} nodes of dataset {dataset!r}; expected "
                          f"at most {n} clusters")


def requested_runs(config: dict, catalog: cfg.Catalog) -> list[tuple[str, str, str]]:
    """Every (dataset, split, method) run the config's nodecls tables, figures and claims
    read (:func:`imbgraph.config.requested_runs`)."""
    return cfg.requested_runs(config, catalog, "nodecls")


def check_runs(section: dict, runs: list[tuple[str, str, str]], *,
               where: str = "nodecls") -> None:
    """:func:`check_run` of every run (e.g. :func:`requested_runs`)."""
    for d, s, m in runs:
        check_run(section, d, s, m, where=where)


#: what a run's metrics.json holds that a table or figure may show (kept equal to
#: :func:`imbgraph.nodecls.job.run_records` by tests/nodecls/test_job.py)
METRICS = ("acc", "balanced_acc", "macro_f1", "micro_f1", "macro_auroc", "minority_recall",
           "majority_recall", "best_epoch", "train_size", "perf_std",
           "weighted_f1")


def catalog(section: dict, seeds: list[int]) -> cfg.Catalog:
    """What this section offers to tables and figures (:class:`imbgraph.config.Catalog`)."""
    return cfg.Catalog(
        datasets=list(section["datasets"]),
        methods=dict(section["methods"]),
        splits=lambda d: run_splits(section, d),
        spec=lambda entry: cfg.spec_json(entry, {**TRAIN_DEFAULTS,
                                                 **section.get("training", {})}),
        vary=vary,
        seeds=list(seeds),
        metrics=METRICS,
    )
