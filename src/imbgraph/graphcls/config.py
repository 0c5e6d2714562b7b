"""The ``graphcls:`` config section: cross-key checks the schema cannot express, and turning
entries into the plain values the rules pass on through ``params:``.

The schema (workflow/schemas/graphcls.schema.yaml) catches types, ranges and unknown keys;
:func:`check` adds what spans keys (a method naming an undeclared model, a split override for
an undeclared split, K2 above the prototype count, a synthetic dataset too small for its
split, duplicate labels) and raises :class:`~imbgraph.errors.ConfigError` naming the key.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from imbgraph.errors import ConfigError
from imbgraph.graphcls.augment import AUGMENTATIONS
from imbgraph.graphcls.datasets import SOURCES
from imbgraph.graphcls.encodings import PE_METHODS
from imbgraph.graphcls.features import NODE_FEATURES
from imbgraph.graphcls.g2gnn import KERNELS
from imbgraph.graphcls.methods import METHODS
from imbgraph.graphcls.models import MODELS, PE_MODES, READOUTS
from imbgraph.graphcls.prototypes import LOADS
from imbgraph.graphcls.splits import SPLITS, multiclass_train_counts
from imbgraph.graphcls.synthetic import MOTIFS
from imbgraph.graphcls.train import TrainSettings
from imbgraph.losses import CLASS_WEIGHTS

__all__ = ["check", "check_tables", "resolve_method", "split_params", "pe_dim", "REGISTRIES",
           "METRICS", "method_kinds"]

# Every enum of the schema and the registry it must equal (tests/graphcls/test_config.py).
REGISTRIES: dict[str, Any] = {
    "source": SOURCES, "node_features": NODE_FEATURES, "motif": MOTIFS, "protocol": SPLITS,
    "model": MODELS, "readout": READOUTS, "pe_mode": PE_MODES, "pe_method": PE_METHODS,
    "kind": METHODS, "augmentation": AUGMENTATIONS, "load": LOADS, "kernel": KERNELS,
    "class_weights": CLASS_WEIGHTS,
}

_TRAIN_KEYS = set(inspect.signature(TrainSettings).parameters)

# Keys of a graphcls metrics.json a table may show (classification_report + train_size).
METRICS = ("acc", "balanced_acc", "macro_f1", "micro_f1", "macro_auroc", "n", "train_size")


def method_kinds() -> list[str]:
    return sorted(METHODS)


def split_params(section: dict, dataset: str, split: str) -> tuple[str, dict]:
    """(protocol, parameters) of ``split`` for ``dataset``: the split's own keys overridden by
    ``datasets.<dataset>.splits.<split>`` (the paper's per-dataset sizes live there)."""
    entry = dict(section["splits"][split])
    protocol = entry.pop("protocol")
    override = section["datasets"][dataset].get("splits", {}).get(split, {})
    return protocol, {**entry, **override}


def pe_dim(section: dict, dataset: str) -> int:
    """Random-walk PE width of ``dataset`` (UniImb's per-dataset ``pos_enc``; 0: none)."""
    return int(section["datasets"][dataset].get("pe_dim", section.get("pe", {}).get("dim", 3)))


def resolve_method(section: dict, name: str, dataset: str | None = None) -> dict[str, Any]:
    """Everything a job needs for method ``name``: kind, the model entry, balance, params and
    the training settings: ``training``, overridden by ``datasets.<dataset>.training`` (e.g.
    fewer epochs on a large dataset), overridden by the method's own ``train``."""
    if name not in section["methods"]:
        raise ConfigError(f"graphcls.methods: {name!r} is not a method (declared: "
                          f"{sorted(section['methods'])})")
    m = section["methods"][name]
    return {
        "label": m.get("label", name),
        "kind": m["kind"],
        "model": dict(section["models"][m["model"]]),
        "balance": dict(m.get("balance", {})),
        "params": dict(m.get("params", {})),
        "train": {**section.get("training", {}),
                  **(section["datasets"][dataset].get("training", {}) if dataset else {}),
                  **m.get("train", {})},
    }


def _synthetic_counts(entry: dict) -> np.ndarray | None:
    if entry.get("source") != "synthetic":
        return None
    return np.array([c["graphs"] for c in entry["synthetic"]["classes"]])


def _check_split_fits(counts: np.ndarray, protocol: str, params: dict, key: str) -> None:
    """Class-count feasibility of a split on a synthetic dataset (its counts are known)."""
    n, n_cls = int(counts.sum()), counts.shape[0]
    if protocol == "class_imbalance":
        if n_cls == 2:
            for size in ("train", "val"):
                if params.get(size) is None:
                    raise ConfigError(f"{key}.{size}: a binary dataset needs train and val sizes")
            r = float(params.get("ratio", 0.1))
            mino = params.get("minority")
            mino = int(np.argmin(counts)) if mino is None else int(mino)
            need = np.array([params["train"] - int(r * params["train"]) +
                             params["val"] - int(r * params["val"])] * 2)
            need[mino] = int(r * params["train"]) + int(r * params["val"])
        else:
            order = np.lexsort((np.arange(n_cls), -counts))
            need = np.zeros(n_cls, dtype=np.int64)
            need[order] = multiclass_train_counts(int(n * params.get("multiclass_train", 0.25)),
                                                  n_cls, float(params.get("rho", 100.0)))
            need += int(n * params.get("multiclass_val", 0.1) / n_cls)
        short = np.flatnonzero(counts < need + 1)
        if short.size:
            c = int(short[0])
            raise ConfigError(f"{key}: class {c} has {counts[c]} graphs but the split needs "
                              f"{need[c]} for training + validation and one for testing")


def check(section: dict, *, where: str = "graphcls") -> None:
    """Raise :class:`ConfigError` naming the first inconsistent key of the ``graphcls`` section."""

    def fail(key: str, msg: str) -> None:
        raise ConfigError(f"{where}.{key}{msg}")

    for name, d in section["datasets"].items():
        key = f"datasets.{name}"
        if d["source"] not in SOURCES:
            fail(f"{key}.source", f" = {d['source']!r}; expected one of {list(SOURCES)}")
        if d["source"] == "synthetic" and "synthetic" not in d:
            fail(key, ": source synthetic needs a synthetic: block")
        if d["source"] != "synthetic" and not section.get("data_root"):
            fail(f"{key}.source", f" = {d['source']!r} needs data_root (the folder holding "
                 "tu/ and gin/)")
        if d.get("node_features", "auto") not in NODE_FEATURES:
            fail(f"{key}.node_features", f" = {d['node_features']!r}; expected one of "
                 f"{sorted(NODE_FEATURES)}")
        extra = set(d.get("training", {})) - _TRAIN_KEYS
        if extra:
            fail(f"{key}.training", f": {sorted(extra)} not training settings")
        for split, override in d.get("splits", {}).items():
            if split not in section["splits"]:
                fail(f"{key}.splits.{split}", f": {split!r} is not declared under splits "
                     f"(declared: {sorted(section['splits'])})")
        counts = _synthetic_counts(d)
        if counts is not None:
            for i, c in enumerate(d["synthetic"]["classes"]):
                for motif in c.get("motifs") or {}:
                    if motif not in MOTIFS:
                        fail(f"{key}.synthetic.classes[{i}].motifs", f": {motif!r} is not a "
                             f"motif (expected one of {sorted(MOTIFS)})")
            for split in section["splits"]:
                protocol, params = split_params(section, name, split)
                _check_split_fits(counts, protocol, params, f"{where}.{key}.splits.{split}")
    for name, s in section["splits"].items():
        key = f"splits.{name}"
        if s["protocol"] not in SPLITS:
            fail(f"{key}.protocol", f" = {s['protocol']!r}; expected one of {sorted(SPLITS)}")
        allowed = set(inspect.signature(SPLITS[s["protocol"]]).parameters) - {
            "y", "sizes", "rng", "where"} | {"protocol", "split_seed"}
        for dname, d in section["datasets"].items():
            extra = set(d.get("splits", {}).get(name, {})) - allowed
            if extra:
                fail(f"datasets.{dname}.splits.{name}", f": {sorted(extra)} not parameters of "
                     f"{s['protocol']} (expected some of {sorted(allowed - {'protocol'})})")
        extra = set(s) - allowed
        if extra:
            fail(key, f": {sorted(extra)} not parameters of {s['protocol']}")
    for name, m in section["models"].items():
        key = f"models.{name}"
        if m["name"] not in MODELS:
            fail(f"{key}.name", f" = {m['name']!r}; expected one of {sorted(MODELS)}")
        allowed = set(inspect.signature(MODELS[m["name"]]).parameters) - {"in_channels", "pe_dim"}
        extra = set(m) - allowed - {"name"}
        if extra:
            fail(key, f": {sorted(extra)} not parameters of model {m['name']!r} "
                 f"(expected some of {sorted(allowed)})")
        if m["name"] == "gps" and m.get("hidden", 64) % m.get("heads", 4):
            fail(f"{key}.hidden", f" = {m.get('hidden', 64)} must be a multiple of heads")
    extra = set(section.get("training", {})) - _TRAIN_KEYS
    if extra:
        fail("training", f": {sorted(extra)} not training settings (expected {sorted(_TRAIN_KEYS)})")
    labels: dict[str, str] = {}
    for name, m in section["methods"].items():
        key = f"methods.{name}"
        if m["kind"] not in METHODS:
            fail(f"{key}.kind", f" = {m['kind']!r}; expected one of {sorted(METHODS)}")
        if m["model"] not in section["models"]:
            fail(f"{key}.model", f" = {m['model']!r} is not declared under models "
                 f"(declared: {sorted(section['models'])})")
        model = section["models"][m["model"]]
        cw = m.get("balance", {}).get("class_weights", "none")
        if cw not in CLASS_WEIGHTS:
            fail(f"{key}.balance.class_weights", f" = {cw!r}; expected one of "
                 f"{sorted(CLASS_WEIGHTS)}")
        extra = set(m.get("train", {})) - _TRAIN_KEYS
        if extra:
            fail(f"{key}.train", f": {sorted(extra)} not training settings")
        p = m.get("params", {})
        aug = p.get("augment")
        if aug is not None and aug.get("name") not in AUGMENTATIONS:
            fail(f"{key}.params.augment.name", f" = {aug.get('name')!r}; expected one of "
                 f"{sorted(AUGMENTATIONS)}")
        if m["kind"] == "uniimb":
            if model["name"] != "gin":
                fail(f"{key}.model", f" = {m['model']!r} is a {model['name']!r}; UniImb's "
                     "backbone here is 'gin'")
            k, k2 = p.get("n_prototypes", 16), p.get("top_k2", 8)
            if k2 > k:
                fail(f"{key}.params.top_k2", f" = {k2} exceeds n_prototypes = {k}")
            heads = p.get("heads", 4)
            if model.get("hidden", 64) % heads:
                fail(f"{key}.params.heads", f" = {heads} must divide models.{m['model']}.hidden "
                     f"= {model.get('hidden', 64)}")
            load = p.get("load", {"name": "uniform"}).get("name")
            if load not in LOADS:
                fail(f"{key}.params.load.name", f" = {load!r}; expected one of {sorted(LOADS)}")
        if m["kind"] == "g2gnn":
            kern = p.get("kernel", {"name": "shortest_path"}).get("name")
            if kern not in KERNELS:
                fail(f"{key}.params.kernel.name", f" = {kern!r}; expected one of {sorted(KERNELS)}")
        if m["kind"] in ("infograph", "graphcl"):
            for a in p.get("pretrain", {}).get("augmentations", []):
                if a not in AUGMENTATIONS:
                    fail(f"{key}.params.pretrain.augmentations", f": {a!r}; expected some of "
                         f"{sorted(AUGMENTATIONS)}")
        label = m.get("label", name)
        if label in labels:
            fail(f"{key}.label", f" = {label!r} is also the label of methods.{labels[label]}")
        labels[label] = name


def check_tables(section: dict, tables: dict, *, where: str = "tables") -> None:
    """Cross-key checks of the ``family: graphcls`` entries of the top-level ``tables``: rows
    are declared methods, columns name declared datasets and splits and a metric of
    ``metrics.json``; ``paper_rows`` are not also built rows."""
    for tname, t in tables.items():
        if t.get("family") != "graphcls":
            continue
        key = f"{where}.{tname}"
        for row in t["rows"]:
            if row not in section["methods"]:
                raise ConfigError(f"{key}.rows: {row!r} is not a method of graphcls.methods "
                                  f"(declared: {sorted(section['methods'])})")
        for i, col in enumerate(t["columns"]):
            ckey = f"{key}.columns[{i}]"
            if col["dataset"] not in section["datasets"]:
                raise ConfigError(f"{ckey}.dataset = {col['dataset']!r} is not declared under "
                                  f"graphcls.datasets (declared: {sorted(section['datasets'])})")
            if col["split"] not in section["splits"]:
                raise ConfigError(f"{ckey}.split = {col['split']!r} is not declared under "
                                  f"graphcls.splits (declared: {sorted(section['splits'])})")
            if col["metric"] not in METRICS:
                raise ConfigError(f"{ckey}.metric = {col['metric']!r}; expected one of "
                                  f"{list(METRICS)}")
        labels = {section["methods"][r].get("label", r) for r in t["rows"]}
        both = sorted(labels & set(t.get("paper_rows", [])))
        if both:
            raise ConfigError(f"{key}.paper_rows: {both} are also built rows")
