"""The ``graphcls:`` config section: cross-key checks the schema cannot express, and turning
entries into the plain values the rules pass on through ``params:``.

The schema (workflow/schemas/graphcls.schema.yaml) catches types, ranges, unknown keys and
every registry name (its enums equal the registries of this package, which
tests/graphcls/test_config.py imports to compare). :func:`check` adds what spans keys (a method
naming an undeclared model, a split override for an undeclared split, K2 above the prototype
count, a synthetic dataset too small for its split, raw files that are not there, duplicate
labels, a kind's own rules and a user's method whose module is not on the path) and raises
:class:`~imbgraph.errors.ConfigError` naming the key.

What a method kind takes, its defaults, its rules and the cached inputs it reads come from
one declaration, the kind table :data:`imbgraph.graphcls.methods.METHODS`. Entries resolve
as the config writes them (:func:`resolve_method`: the rules' ``params:``, so caches and
their paths stay put); the job fills in the kind's defaults and records them.

Snakemake imports this module at every start (and in every SLURM job), so it imports neither
torch nor PyG: only numpy and the light :mod:`imbgraph.graphcls.splits`.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import Any

import numpy as np

from imbgraph import plugins
from imbgraph.config import Catalog, spec_json
from imbgraph.errors import ConfigError
from imbgraph.graphcls.methods import KNN_DEFAULTS, METHODS, GraphMethod
from imbgraph.graphcls.splits import SPLITS, multiclass_train_counts

__all__ = ["METRICS", "TIMINGS", "TU_OPTIONAL", "TU_PARTS", "catalog", "check",
           "check_convergence_seeds", "collection_params", "data_path", "knn_name", "knn_spec",
           "knn_tables", "method_code", "method_spec", "needs", "pe_dim", "pretrain_key",
           "pretrain_plan", "pretrain_spec", "raw_files", "resolve_method", "split_params",
           "trace_method"]

# Keys of a graphcls metrics.json a table may show (classification_report + train_size).
METRICS = ("acc", "balanced_acc", "macro_f1", "micro_f1", "macro_auroc", "n", "train_size")

# timings.json keys a rows table may show beside them.
TIMINGS = ("wall_s", "train_s", "epochs", "best_epoch")

# TU raw files: those a dataset must have, and those read when present.
TU_PARTS = ("A", "graph_indicator", "graph_labels")
TU_OPTIONAL = ("node_labels", "node_attributes")


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
    the params, overridden key by key by ``datasets.<dataset>.method_params.<name>`` (UniImb's
    per-dataset prototype counts in its Class.sh); the training settings: ``training``,
    overridden by ``datasets.<dataset>.training`` (e.g.
    fewer epochs on a large dataset), overridden by the method's own ``train``, overridden by
    ``datasets.<dataset>.method_training.<name>`` (one method's budget on one dataset, e.g.
    GraphGPS's dense attention on D&D's large graphs)."""
    if name not in section["methods"]:
        raise ConfigError(f"graphcls.methods: {name!r} is not a method (declared: "
                          f"{sorted(section['methods'])})")
    m = section["methods"][name]
    d = section["datasets"][dataset] if dataset else {}
    return {
        "label": m.get("label", name),
        "kind": m["kind"],
        "model": _dataset_model(section["models"][m["model"]], d),
        "balance": dict(m.get("balance", {})),
        "params": {**m.get("params", {}), **d.get("method_params", {}).get(name, {})},
        "train": {**section.get("training", {}), **d.get("training", {}),
                  **m.get("train", {}), **d.get("method_training", {}).get(name, {})},
    }


def check_convergence_seeds(section: dict, seeds: list[int], where: str = "graphcls") -> None:
    """A convergence figure's seeds must be the family's: its runs read the family's split
    files."""
    for name, c in section.get("convergence", {}).items():
        extra = sorted(set(c.get("seeds", [])) - set(seeds))
        if extra:
            raise ConfigError(f"{where}.convergence.{name}.seeds: {extra} are not seeds of the "
                              f"family ({list(seeds)}); the figure's runs use its split files")


def _dataset_model(model: dict, dataset: dict) -> dict:
    """A model entry on one dataset: UniImb's Laplacian branch only where the dataset computes
    the decomposition (``lap_pe``, default true; Class.sh's ``--memory_error=True`` is
    ``lap_pe: false``)."""
    model = dict(model)
    if not dataset.get("lap_pe", True):
        model.pop("lap_branch", None)  # the plain entry: runs without the branch stay cached
    return model


def trace_method(section: dict, name: str, dataset: str, epochs: int) -> dict[str, Any]:
    """:func:`resolve_method` for a convergence trace: ``epochs`` epochs without early stopping
    (every shorter budget's selection follows from the trace). The stopping keys are dropped:
    they do not change a run that never stops, so setting a budget from the figure does not
    rerun the figure."""
    m = resolve_method(section, name, dataset)
    train = {k: v for k, v in m["train"].items() if k not in ("patience", "min_epochs", "window")}
    m["train"] = {**train, "epochs": int(epochs), "stopping": "none"}
    return m


# What a collection is built from: a change of any other dataset key (PE width, split sizes,
# training overrides) leaves the cached collection alone.
COLLECTION_KEYS = ("source", "synthetic", "name", "path", "node_features", "max_degree")


def collection_params(section: dict, dataset: str) -> dict[str, Any]:
    """The keys of ``datasets.<dataset>`` its collection depends on (the collection rule's
    params)."""
    entry = section["datasets"][dataset]
    return {k: entry[k] for k in COLLECTION_KEYS if k in entry}


# --- methods: what the kind table declares ---------------------------------------------------


def method_spec(method: dict, key: str = "graphcls.methods.<method>") -> GraphMethod:
    """The kind table's row of a declared or resolved method (ConfigError naming ``key``)."""
    return METHODS.get_spec(method["kind"], key=f"{key}.kind")


def needs(method: dict) -> tuple[str, ...]:
    """The cached inputs a declared or resolved method's job reads (``pe``, ``knn``,
    ``pretrain``: :data:`imbgraph.graphcls.methods.CACHED`)."""
    spec = method_spec(method)
    return spec.needs_of(spec.settings(method.get("params", {})))


def method_code(section: dict, method: str, *, where: str = "graphcls") -> dict | None:
    """For a method of the user's own (``kind: plugin``): its ``callable`` and the SHA-256 of
    its module's file, found without importing it (None for a built-in kind). Passed to the
    run rule's ``params:``, so that editing the code reruns it."""
    entry = section["methods"][method]
    if method_spec(entry).impl is not None:
        return None
    ref = entry["params"]["callable"]
    path = plugins.find_callable(ref, key=f"{where}.methods.{method}.params.callable")
    return {"callable": ref, "sha256": plugins.file_sha256(path) if path is not None else None}


# --- G2GNN's graph of graphs: one cached kNN table per (dataset, kernel settings) ---------


def knn_spec(method: dict) -> tuple[str, int, dict] | None:
    """(kernel, k, kernel params) of the graph-of-graphs table a declared or resolved method
    reads (its ``params.kernel`` and ``params.k``, default :data:`~imbgraph.graphcls.methods.
    KNN_DEFAULTS`), None for a method without ``knn`` in its needs. The kernel's own
    parameters are the ones the config sets (they name the table's file)."""
    if "knn" not in needs(method):
        return None
    p = method.get("params", {})
    kern = dict(p.get("kernel", KNN_DEFAULTS["kernel"]))
    return kern.pop("name"), int(p.get("k", KNN_DEFAULTS["k"])), kern


def knn_name(spec: tuple[str, int, dict]) -> str:
    """File stem of a kNN table: kernel, k and the kernel's parameters, e.g.
    ``wl-k2-iterations2`` (two methods with equal settings share one table)."""
    kernel, k, params = spec
    extra = "".join(f"-{key}{str(v).lower()}" for key, v in sorted(params.items()))
    return f"{kernel}-k{k}{extra}"


def knn_tables(section: dict) -> dict[str, tuple[str, int, dict]]:
    """Every kNN table the declared methods need on some dataset (its ``method_params``
    may set their ``k`` or kernel), by :func:`knn_name`."""
    specs = (knn_spec(resolve_method(section, m, d)) for d in section["datasets"]
             for m in section["methods"])
    return {knn_name(s): s for s in specs if s is not None}


# --- raw files ------------------------------------------------------------------------------


def data_path(entry: dict, data_root: str | os.PathLike | None, name: str,
              key: str = "graphcls.datasets") -> Path:
    """Where a file-based dataset lives: ``<data_root>/<path>/<NAME>/raw`` for ``tu`` (path
    default ``tu``), the GIN text file for ``gin_text`` (``<data_root>/<path>``, default
    ``gin``: a ``.zip`` or ``.txt`` file, or a folder holding ``<NAME>.zip`` or ``<NAME>.txt``)."""
    if data_root is None:
        raise ConfigError(f"{key}.{name}.source = {entry['source']!r} needs graphcls.data_root "
                          "(the folder holding tu/ and gin/)")
    file_name = entry.get("name", name)
    if entry["source"] == "tu":
        return Path(data_root) / entry.get("path", "tu") / file_name / "raw"
    path = Path(data_root) / entry.get("path", "gin")
    if path.suffix in (".zip", ".txt"):
        return path
    zipped = path / f"{file_name}.zip"
    return zipped if zipped.exists() else path / f"{file_name}.txt"


def raw_files(section: dict, dataset: str) -> list[str]:
    """The raw files a file-based dataset is read from (empty for a synthetic one): the TU
    files (optional ones when present) or the GIN text file."""
    entry = section["datasets"][dataset]
    if entry["source"] == "synthetic":
        return []
    path = data_path(entry, section.get("data_root"), dataset)
    if entry["source"] == "gin_text":
        return [str(path)]
    stem = entry.get("name", dataset)
    files = [path / f"{stem}_{part}.txt" for part in TU_PARTS]
    files += [f for part in TU_OPTIONAL if (f := path / f"{stem}_{part}.txt").is_file()]
    return [str(f) for f in files]


# --- catalog and checks ---------------------------------------------------------------------


def _no_sweep(entry: dict, param: str, value: float) -> dict:
    raise ConfigError(f"graphcls methods have no sweepable hyperparameter (asked for {param!r}); "
                      "the UniImb study has no sweep figure")


def catalog(section: dict, seeds: list[int]) -> Catalog:
    """What this section offers to tables (see :class:`imbgraph.config.Catalog`): every split
    protocol runs on every dataset; there is no sweep figure."""
    splits = list(section["splits"])
    return Catalog(
        datasets=list(section["datasets"]),
        methods=dict(section["methods"]),
        splits=lambda d: splits,
        spec=lambda entry: spec_json(entry, section.get("training", {})),
        vary=_no_sweep,
        seeds=list(seeds),
        metrics=METRICS,
        timings=TIMINGS,
    )


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


def _check_minority_present(protocol: str, params: dict, key: str) -> None:
    """A binary class-imbalance split whose ratio leaves no minority graph in training or
    validation would train (or select) on one class: stop at start-up, for every dataset
    (the sizes are config values; the class counts of a file-based dataset are not known
    before its import, so the rest of the feasibility check is the split job's)."""
    if protocol != "class_imbalance":
        return
    r = float(params.get("ratio", 0.1))
    for size in ("train", "val"):
        n = params.get(size)
        if n is not None and int(r * n) < 1:
            raise ConfigError(f"{key}.ratio = {r:g} leaves no minority graph in {size} "
                              f"(int(ratio x {size}) = int({r:g} x {n}) = 0); expected ratio >= "
                              f"{1 / n:.3g} for {size} = {n}")


def _check_raw_files(section: dict, name: str, key: str) -> None:
    """Start-up check that a file-based dataset's raw files are there (reading them is the
    import job's, which names the file and line of anything malformed)."""
    entry = section["datasets"][name]
    path = data_path(entry, section["data_root"], name, key=key.rsplit(".", 1)[0])
    if entry["source"] == "tu" and not path.is_dir():
        raise ConfigError(f"{key}: TU raw folder {str(path)!r} not found (expected "
                          f"<data_root>/{entry.get('path', 'tu')}/{entry.get('name', name)}/raw/"
                          f" with {entry.get('name', name)}_A.txt, ...; data_root = "
                          f"{section['data_root']!r})")
    for f in raw_files(section, name):
        if not Path(f).is_file():
            raise ConfigError(f"{key}: raw file {f!r} not found (data_root = "
                              f"{section['data_root']!r})")


def check(section: dict, *, where: str = "graphcls") -> None:
    """Raise :class:`ConfigError` naming the first inconsistent key of the ``graphcls`` section
    (validated by the schema before: names of registries, types and ranges are not rechecked)."""

    def fail(key: str, msg: str) -> None:
        raise ConfigError(f"{where}.{key}{msg}")

    for name, d in section["datasets"].items():
        key = f"datasets.{name}"
        if d["source"] == "synthetic" and "synthetic" not in d:
            fail(key, ": source synthetic needs a synthetic: block")
        if d["source"] != "synthetic":
            if not section.get("data_root"):
                fail(f"{key}.source", f" = {d['source']!r} needs data_root (the folder holding "
                     "tu/ and gin/)")
            _check_raw_files(section, name, f"{where}.{key}")
        for method in d.get("method_training", {}):
            if method not in section["methods"]:
                fail(f"{key}.method_training.{method}", f": {method!r} is not declared under "
                     f"methods (declared: {sorted(section['methods'])})")
        for split in d.get("splits", {}):
            if split not in section["splits"]:
                fail(f"{key}.splits.{split}", f": {split!r} is not declared under splits "
                     f"(declared: {sorted(section['splits'])})")
        counts = _synthetic_counts(d)
        for split in section["splits"]:
            protocol, params = split_params(section, name, split)
            # the ratio's own key: the dataset's override of the split, else the split's
            split_key = (f"{where}.{key}.splits.{split}"
                         if "ratio" in d.get("splits", {}).get(split, {})
                         else f"{where}.splits.{split}")
            _check_minority_present(protocol, params, split_key)
            if counts is not None:
                _check_split_fits(counts, protocol, params, f"{where}.{key}.splits.{split}")
        for method, over in d.get("method_params", {}).items():
            if method not in section["methods"]:
                fail(f"{key}.method_params.{method}", f": {method!r} is not declared under "
                     f"methods (declared: {sorted(section['methods'])})")
            spec = method_spec(section["methods"][method], f"{where}.methods.{method}")
            extra = set(over) - set(spec.params)
            if extra and not spec.own_params:
                fail(f"{key}.method_params.{method}", f": {sorted(extra)} are not params of "
                     f"kind {spec.name!r} (expected some of {sorted(spec.params)})")
    for name, s in section["splits"].items():
        key = f"splits.{name}"
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
        if m["name"] in ("gps", "exphormer") and m.get("hidden", 64) % m.get("heads", 4):
            fail(f"models.{name}.hidden", f" = {m.get('hidden', 64)} must be a multiple of heads")
    for name, c in section.get("convergence", {}).items():
        key = f"convergence.{name}"
        for field, declared in (("datasets", section["datasets"]),
                                ("methods", section["methods"])):
            for value in c[field]:
                if value not in declared:
                    fail(f"{key}.{field}", f": {value!r} is not declared under {field} "
                         f"(declared: {sorted(declared)})")
        if c["split"] not in section["splits"]:
            fail(f"{key}.split", f" = {c['split']!r} is not declared under splits "
                 f"(declared: {sorted(section['splits'])})")
    labels: dict[str, str] = {}
    for name, m in section["methods"].items():
        key = f"methods.{name}"
        if m["model"] not in section["models"]:
            fail(f"{key}.model", f" = {m['model']!r} is not declared under models "
                 f"(declared: {sorted(section['models'])})")
        _check_method(section, name, where)
        label = m.get("label", name)
        if label in labels:
            fail(f"{key}.label", f" = {label!r} is also the label of methods.{labels[label]}")
        labels[label] = name


def _params_per_dataset(section: dict, name: str) -> list[tuple[dict, str]]:
    """(params, key that set them) of method ``name``: its own, and on each dataset that
    overrides some of them."""
    own = section["methods"][name].get("params", {})
    out = [(own, f"methods.{name}.params")]
    for dname, d in section["datasets"].items():
        over = d.get("method_params", {}).get(name)
        if over:
            out.append(({**own, **over}, f"datasets.{dname}.method_params.{name}"))
    return out


def _check_method(section: dict, name: str, where: str) -> None:
    """The kind's own rules (the kind table's ``check`` and backbone rules, defaults filled
    in) on the method's params and on every dataset's override of them; for a method of the
    user's own, that its module is on the path."""
    m = section["methods"][name]
    spec, model = method_spec(m, f"{where}.methods.{name}"), section["models"][m["model"]]
    for p, pkey in _params_per_dataset(section, name):
        params = spec.settings(p)
        spec.validate(params, f"{where}.{pkey}")
        spec.check_backbone(params, model, key=f"{where}.{pkey}",
                            model_key=f"{where}.methods.{name}.model", model_ref=m["model"],
                            hidden_key=f"models.{m['model']}.hidden")
        if spec.impl is None:
            plugins.find_callable(params["callable"], key=f"{where}.{pkey}.callable")


# --- InfoGraph / GraphCL: one cached pre-training per (dataset, split, seed, spec) -----------


def pretrain_spec(method: dict, pe_dim: int) -> dict[str, Any] | None:
    """What the self-supervised pre-training of a resolved method depends on (kind, model
    entry, ``params.pretrain`` and the PE width it reads: 0 when the model ignores the PE),
    shaped as a resolved method (:func:`imbgraph.graphcls.pretrain.pretrain_embeddings` takes
    either); None for a method without ``pretrain`` in its needs. The balance (-up / -rw
    rows) and the head's training are not part of it: those rows share one pre-training.
    ``params.pretrain`` enters as the config sets it (its defaults are filled in by the
    pre-training: the key names the cached files, which stay where they are)."""
    if "pretrain" not in needs(method):
        return None
    model = dict(method["model"])
    width = 0 if model.get("pe_mode") == "none" else int(pe_dim)
    return {"kind": method["kind"], "model": model,
            "params": {"pretrain": dict(method.get("params", {}).get("pretrain", {}))},
            "pe_dim": width}


def pretrain_key(spec: dict[str, Any]) -> str:
    """Stable file-name stem of a :func:`pretrain_spec`, ``<kind>-<10 hex digits>``: methods
    with equal specs share ``results/graphcls/pretrain/{dataset}/{split}/{key}/seed{seed}.npy``."""
    import hashlib
    import json

    blob = json.dumps(spec, sort_keys=True, separators=(",", ":"), default=str)
    return f"{spec['kind']}-{hashlib.sha1(blob.encode()).hexdigest()[:10]}"


def pretrain_plan(section: dict) -> dict[tuple[str, str], dict[str, Any]]:
    """{(dataset, method): {"key", "spec"}} of every declared InfoGraph / GraphCL method on
    every dataset (a dataset's method_params and PE width enter the spec): the pre-training
    rule's jobs and params, and the runs' inputs."""
    plan = {}
    for d in section["datasets"]:
        for name in section["methods"]:
            spec = pretrain_spec(resolve_method(section, name, d), pe_dim(section, d))
            if spec is not None:
                plan[(d, name)] = {"key": pretrain_key(spec), "spec": spec}
    return plan
