"""The ``nodecls:`` config section: cross-key checks and resolution of its entries.

workflow/schemas/nodecls.schema.yaml checks types, ranges, enums and unknown keys; this
module adds what a schema cannot express (a method naming an undeclared model, a split's
minority class the dataset lacks, a training count of zero, a graph without features and
without DeepWalk) and resolves entries into the plain dicts the rules pass on through
``params:`` (:func:`resolve_method`, :func:`resolve_split`). Every error is a
:class:`~imbgraph.errors.ConfigError` naming the key (``nodecls.methods.X.model = ...``).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterable

from imbgraph.errors import ConfigError
from imbgraph.io.planetoid import PLANETOID_CLASS_NAMES
from imbgraph.losses import CLASS_WEIGHTS
from imbgraph.nodecls.balancing import LOSSES
from imbgraph.nodecls.datasets import GENERATORS, READERS, dataset_path, synthetic_class_names
from imbgraph.nodecls.methods import BALANCING, OVERSAMPLING
from imbgraph.nodecls.models import MODELS
from imbgraph.nodecls.splits import SPLITS, resolve_classes
from imbgraph.nodecls.train import SELECT, TrainConfig

__all__ = ["BALANCING_DEFAULTS", "LOSS_DEFAULTS", "MODEL_DEFAULTS", "TRAIN_DEFAULTS",
           "check", "check_run", "known_class_names", "method_fingerprint", "needs_deepwalk",
           "resolve_method", "resolve_split", "sweep_methods", "with_sweep_methods"]

MODEL_DEFAULTS = {"hidden": 64, "dropout": 0.1, "encoder_layers": 1, "classifier_layers": 1}
BALANCING_DEFAULTS: dict[str, dict[str, Any]] = {
    "graphsmote": {"edges": "soft", "threshold": 0.5, "edge_weight": 1e-6,
                   "pretrain_epochs": 0, "negative_weight": "balanced", "neg_ratio": 1.0,
                   "dense_below": 1024},
}
LOSS_DEFAULTS = {"name": "ce", "class_weights": "none"}
TRAIN_DEFAULTS = {k: v for k, v in asdict(TrainConfig()).items()}


# --- resolution ---------------------------------------------------------------------------
def resolve_split(section: dict, name: str) -> dict[str, Any]:
    """The split entry ``name`` as the split rule needs it (a copy)."""
    return dict(section["splits"][name])


def resolve_method(section: dict, name: str, *, split: str | None = None,
                   where: str = "nodecls") -> dict[str, Any]:
    """Everything a training job needs for method ``name``: ``label``, ``model`` (defaults
    filled in), ``balancing`` (with its over-sampling ``scale``: the method's own, else the
    split's ``oversampling_scale``), ``loss`` and ``train`` (``training`` defaults under the
    method's own ``train``)."""
    methods = section["methods"]
    if name not in methods:
        raise ConfigError(f"{where}.methods: {name!r} is not a method (declared: "
                          f"{sorted(section['methods'])})")
    m = methods[name]
    if m["model"] not in section["models"]:
        raise ConfigError(f"{where}.methods.{name}.model = {m['model']!r} is not declared "
                          f"under {where}.models (declared: {sorted(section['models'])})")
    model = {**MODEL_DEFAULTS, **section["models"][m["model"]]}
    bal_name = m["balancing"]["name"]
    bal = {**BALANCING_DEFAULTS.get(bal_name, {}), **m["balancing"]}
    if bal_name in OVERSAMPLING and "scale" not in bal:
        scale = section["splits"].get(split, {}).get("oversampling_scale") if split else None
        if scale is None:
            raise ConfigError(
                f"{where}.methods.{name}.balancing.scale is not set and split {split!r} "
                f"declares no oversampling_scale; set one of them (GraphSMOTE: 2.0 on Cora, "
                f"'balance' on BlogCatalog and Twitter)")
        bal["scale"] = scale
    loss = {**LOSS_DEFAULTS, **m.get("loss", {})}
    train = {**TRAIN_DEFAULTS, **section.get("training", {}), **m.get("train", {})}
    return {"label": m.get("label", name), "model": model, "balancing": bal, "loss": loss,
            "train": train}


# --- Figure 3: metrics vs the over-sampling scale -------------------------------------------
def _point_name(method: str, scale: float) -> str:
    return f"{method}-s{float(scale):g}"


def sweep_methods(section: dict, methods: Iterable[str],
                  scales: Iterable[float]) -> dict[str, dict[float, str]]:
    """Method name of every (swept method, scale) point: ``<method>-s<scale>``, an entry
    equal to the method but for ``balancing.scale`` (:func:`with_sweep_methods` declares
    them). Methods without synthetic nodes have no scale and are left out."""
    out = {}
    for name in methods:
        if section["methods"][name]["balancing"]["name"] in OVERSAMPLING:
            out[name] = {float(s): _point_name(name, s) for s in scales}
    return out


def with_sweep_methods(section: dict, sweeps: Iterable[tuple[Iterable[str], Iterable[float]]]
                       ) -> dict[str, dict]:
    """``section['methods']`` plus the entries every (methods, scales) sweep needs; use
    ``{**section, "methods": with_sweep_methods(section, ...)}`` wherever sweep points are
    resolved. A point that is already declared is kept as declared."""
    methods = dict(section["methods"])
    for names, scales in sweeps:
        scales = list(scales)
        for base, points in sweep_methods(section, names, scales).items():
            entry = section["methods"][base]
            for scale, point in points.items():
                bal = {**entry["balancing"], "scale": scale}
                methods.setdefault(point, {**entry, "balancing": bal,
                                           "label": f"{entry.get('label', base)} "
                                                    f"(scale={scale:g})"})
    return methods


# --- datasets -------------------------------------------------------------------------------
def needs_deepwalk(entry: dict) -> bool:
    """Whether the dataset's graph has no features of its own."""
    if entry["source"] == "blogcatalog":
        return True
    if entry["source"] == "synthetic":
        return (entry["generator"] == "bots"
                or int(entry.get("params", {}).get("feature_dim", 64)) == 0)
    return False


def known_class_names(entry: dict) -> tuple[str, ...] | None:
    """Class names of a dataset known without reading it (synthetic, Planetoid), else None."""
    if entry["source"] == "synthetic":
        return synthetic_class_names(entry)
    if entry["source"] == "planetoid":
        return PLANETOID_CLASS_NAMES.get(str(entry.get("name", "")).lower())
    return None


# --- checks ---------------------------------------------------------------------------------
def check(section: dict, *, where: str = "nodecls", check_files: bool = True) -> None:
    """Raise :class:`ConfigError` naming the first inconsistent key of the section."""

    def fail(msg: str) -> None:
        raise ConfigError(f"{where}.{msg}")

    for name, spec in section["models"].items():
        if spec["name"] not in MODELS:
            fail(f"models.{name}.name = {spec['name']!r}; expected one of {sorted(MODELS)}")
    labels: dict[str, str] = {}
    for name, m in section["methods"].items():
        key = f"methods.{name}"
        if m["model"] not in section["models"]:
            fail(f"{key}.model = {m['model']!r} is not declared under {where}.models "
                 f"(declared: {sorted(section['models'])})")
        bal = m["balancing"]["name"]
        if bal not in BALANCING:
            fail(f"{key}.balancing.name = {bal!r}; expected one of {sorted(BALANCING)}")
        loss = m.get("loss", LOSS_DEFAULTS)
        if loss.get("name", "ce") not in LOSSES:
            fail(f"{key}.loss.name = {loss['name']!r}; expected one of {sorted(LOSSES)}")
        weights = loss.get("class_weights", "none")
        if weights not in CLASS_WEIGHTS:
            fail(f"{key}.loss.class_weights = {weights!r}; expected one of "
                 f"{sorted(CLASS_WEIGHTS)}")
        if weights == "effective_number" and "beta" not in loss.get("class_weight_params", {}):
            fail(f"{key}.loss.class_weight_params.beta is required by class_weights "
                 "'effective_number' (Cui et al.: 0.999 or 0.9999)")
        select = {**section.get("training", {}), **m.get("train", {})}.get("select", "macro_f1")
        if select not in SELECT:
            fail(f"{key}.train.select = {select!r}; expected one of {sorted(SELECT)}")
        label = m.get("label", name)
        if label in labels:
            fail(f"{key}.label = {label!r} is also the label of methods.{labels[label]}; "
                 "labels name table rows and must differ")
        labels[label] = name
    for name, spec in section["splits"].items():
        _check_split(spec, f"{where}.splits.{name}")
    for name, entry in section["datasets"].items():
        key = f"{where}.datasets.{name}"
        if entry["source"] == "synthetic" and entry["generator"] not in GENERATORS:
            raise ConfigError(f"{key}.generator = {entry['generator']!r}; expected one of "
                              f"{sorted(GENERATORS)}")
        if entry["source"] not in ("synthetic", *READERS):
            raise ConfigError(f"{key}.source = {entry['source']!r}; expected 'synthetic' or one "
                              f"of {sorted(READERS)}")
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


def _check_split(spec: dict, key: str) -> None:
    protocol = spec["protocol"]
    if protocol not in SPLITS:
        raise ConfigError(f"{key}.protocol = {protocol!r}; expected one of {sorted(SPLITS)}")
    if protocol == "artificial":
        ratio = float(spec.get("imbalance_ratio", 1.0))
        if not 0.0 < ratio <= 1.0:
            raise ConfigError(f"{key}.imbalance_ratio = {ratio}; expected a value in (0, 1]")
        per = int(spec.get("train_per_class", 20))
        if int(per * ratio) < 1:
            raise ConfigError(f"{key}.imbalance_ratio = {ratio}: int({per} x {ratio}) = 0 "
                              "training nodes per minority class; expected at least 1")
        for a, b in (("val_per_class", "val_fraction"), ("test_per_class", "test_fraction")):
            if spec.get(a) is not None and spec.get(b) is not None:
                raise ConfigError(f"{key}: give {a} or {b}, not both")
        if (spec.get("val_fraction") or 0) + (spec.get("test_fraction") or 0) > 1 + 1e-9:
            raise ConfigError(f"{key}: val_fraction + test_fraction > 1 (they are fractions of "
                              "each class's nodes left after training)")
    if protocol == "longtail" and float(spec["rho"]) < 1:
        raise ConfigError(f"{key}.rho = {spec['rho']}; expected an imbalance ratio >= 1")
    if protocol == "genuine":
        total = (float(spec.get("train_fraction", 0.25)) + float(spec.get("val_fraction", 0.25))
                 + float(spec.get("test_fraction") or 0))
        if total > 1 + 1e-9:
            raise ConfigError(f"{key}: train_fraction + val_fraction + test_fraction = "
                              f"{total:g} > 1")


def check_run(section: dict, dataset: str, split: str, method: str, *,
              where: str = "nodecls") -> None:
    """Check one (dataset, split, method) cell a table or figure asks for: all declared, the
    split's minority classes exist in the dataset (when its class names are known before
    reading it), and the method resolves (its over-sampling scale is set)."""
    if dataset not in section["datasets"]:
        raise ConfigError(f"{where}: dataset {dataset!r} is not declared under "
                          f"{where}.datasets (declared: {sorted(section['datasets'])})")
    if split not in section["splits"]:
        raise ConfigError(f"{where}: split {split!r} is not declared under {where}.splits "
                          f"(declared: {sorted(section['splits'])})")
    spec = section["splits"][split]
    names = known_class_names(section["datasets"][dataset])
    if names is not None and "minority" in spec:
        resolve_classes(spec["minority"], names,
                        key=f"{where}.splits.{split}.minority (dataset {dataset!r})")
    resolve_method(section, method, split=split, where=where)


def method_fingerprint(method: dict) -> str:
    """A stable string of a resolved method (equal settings, equal string)."""
    return json.dumps(method, sort_keys=True)
