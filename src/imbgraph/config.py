"""Config checks the JSON schema cannot express, and resolution of config entries.

The schema (workflow/schemas/config.schema.yaml) catches types, ranges and unknown keys
before any job runs; this module adds the cross-key checks (a method naming an undeclared
model, a sampler asking for more candidates than the stored subgraphs hold, a table row that
is no method, input files that are missing or the wrong size) and turns config entries into
the plain values the rules pass on through ``params:``.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from imbgraph.data.subsets import subset_name

TRAIN, TEST = "train", "test"


class ConfigError(ValueError):
    """A config value is inconsistent; the message names the key."""


def subset_specs(config: dict, dataset: str) -> dict[str, tuple[int, int]]:
    """Subset split name -> (head, tail) for ``dataset`` (empty when it declares none)."""
    spec = config["datasets"][dataset].get("subsets")
    if not spec:
        return {}
    return {subset_name(h, s): (h, s) for h in spec["heads"] for s in spec["tails"]}


def train_splits(config: dict, dataset: str) -> list[str]:
    """Splits a model may be trained on: the full train split and every subset."""
    return [TRAIN, *subset_specs(config, dataset)]


def gpu_per_job(config: dict) -> int:
    """``gpu`` resource units a training or inference job asks for: ``gpu_per_job`` when
    set, else 1 where an NVIDIA driver is loaded. Checked without importing torch, which
    would add seconds to every Snakemake start."""
    if "gpu_per_job" in config:
        return int(config["gpu_per_job"])
    return int(os.path.exists("/proc/driver/nvidia/version"))


def subgraph_settings(config: dict, dataset: str) -> dict[str, dict]:
    """The ``subgraphs`` block for ``dataset``: its own ``datasets.<d>.subgraphs`` entries
    (train / test, each replaced whole) over the global ones."""
    return {**config["subgraphs"], **config["datasets"][dataset].get("subgraphs", {})}


def propagation(config: dict, dataset: str) -> dict[str, Any]:
    """CDP settings for ``dataset``: ``datasets.<d>.propagation`` keys over the global ones
    (DIGL uses max_size 300 / step 0.6 on MS-Celeb, 50 / 0.5 on DeepFashion)."""
    return {"max_iter": None, **config["propagation"],
            **config["datasets"][dataset].get("propagation", {})}


def ips_params(config: dict, dataset: str, split: str) -> dict[str, Any]:
    """(k1, k2, u, gamma) of the supersets stored for ``split``: test subgraphs hold the
    plain kNN IPS (gamma = 1); training subgraphs hold ceil(k1 * max_gamma) candidates."""
    sub = subgraph_settings(config, dataset)
    if split == TEST:
        t = sub["test"]
        return {"k1": t["k1"], "k2": t["k2"], "u": t["u"], "gamma": 1.0}
    t = sub["train"]
    return {"k1": t["k1"], "k2": t["k2"], "u": t["u"], "gamma": float(t["max_gamma"])}


def knn_k(config: dict, dataset: str, split: str) -> int:
    """Neighbours per node the kNN table of ``split`` must hold for its subgraphs."""
    p = ips_params(config, dataset, split)
    return max(math.ceil(p["k1"] * p["gamma"] - 1e-9), p["k2"], p["u"])


def resolve_method(config: dict, name: str) -> dict[str, Any]:
    """Everything a training job needs for method ``name``: model, sampler, loss and the
    training settings (``training`` defaults overridden by the method's own ``train``)."""
    m = config["methods"][name]
    model = dict(config["models"][m["model"]])
    train = {**config["training"], **m.get("train", {})}
    return {
        "label": m.get("label", name),
        "model": model,
        "sampler": dict(m["sampler"]),
        "loss": dict(m["loss"]),
        "train": train,
    }


# --- the gamma sweep (DIGL Fig. 3) ---------------------------------------------------------

_WIDTH_KEY = {"rs": "ratio", "riws": "gamma"}


def _spec(config: dict, m: dict) -> str:
    """What a method trains, label aside: two methods with equal specs give equal runs."""
    key = {"model": m["model"], "sampler": m["sampler"], "loss": m["loss"],
           "train": {**config["training"], **m.get("train", {})}}
    return json.dumps(key, sort_keys=True)


def sweep_method(base: dict, gamma: float) -> dict:
    """``base`` with its sampler's expansion coefficient set to ``gamma``.

    At gamma = 1 both RS and RIWS draw the k1 nearest candidates, exactly the kNN sampler
    (tests/linkage/test_samplers.py shows it), so the entry becomes the kNN sampler and
    resolves to the baseline's runs instead of training them again.
    """
    name = base["sampler"]["name"]
    if name not in _WIDTH_KEY:
        raise ConfigError(f"sampler {name!r} has no expansion coefficient "
                          f"(sweepable: {sorted(_WIDTH_KEY)})")
    sampler = {"name": "knn"} if gamma <= 1.0 + 1e-12 else {"name": name, _WIDTH_KEY[name]: gamma}
    return {**base, "sampler": sampler}


def sweep_methods(config: dict, figure: dict) -> dict[str, dict[float, str]]:
    """Method name per (swept method, gamma) of a gamma-sweep figure.

    A point whose spec equals a declared method reuses it (RS at its own ratio, the kNN
    baseline at gamma = 1); the others get the name ``<method>-g<gamma>``, which
    :func:`with_sweep_methods` declares.
    """
    by_spec = {_spec(config, m): n for n, m in config["methods"].items()}
    out = {}
    for base_name in figure["methods"]:
        base = config["methods"][base_name]
        points = {}
        for g in figure["gammas"]:
            m = sweep_method(base, float(g))
            points[float(g)] = by_spec.get(_spec(config, m), f"{base_name}-g{float(g):g}")
        out[base_name] = points
    return out


def with_sweep_methods(config: dict) -> dict[str, dict]:
    """``config['methods']`` plus the undeclared methods every figure's sweep needs."""
    methods = dict(config["methods"])
    for fname, fig in config.get("figures", {}).items():
        for base_name, points in sweep_methods(config, fig).items():
            base = config["methods"][base_name]
            label = base.get("label", base_name)
            for g, name in points.items():
                if name not in methods:
                    methods[name] = {**sweep_method(base, g), "label": f"{label} (gamma={g:g})"}
    return methods


def _sampler_width(sampler: dict) -> float:
    return float(sampler.get("gamma", sampler.get("ratio", 1.0)))


def check(config: dict, *, configfile: str = "config") -> None:
    """Raise :class:`ConfigError` naming the first inconsistent key."""
    from imbgraph.linkage.models import MODELS
    from imbgraph.linkage.samplers import SAMPLERS
    from imbgraph.losses import LOSSES

    def fail(msg: str) -> None:
        raise ConfigError(f"{configfile}: {msg}")

    # Every dataset stores training subgraphs for its own max_gamma; a method must fit all.
    max_gamma = min(float(subgraph_settings(config, d)["train"]["max_gamma"])
                    for d in config["datasets"])
    for name, m in config["methods"].items():
        key = f"methods.{name}"
        if m["model"] not in config["models"]:
            fail(f"{key}.model = {m['model']!r} is not declared under models "
                 f"(declared: {sorted(config['models'])})")
        model_name = config["models"][m["model"]]["name"]
        if model_name not in MODELS:
            fail(f"models.{m['model']}.name = {model_name!r}; expected one of {sorted(MODELS)}")
        if m["sampler"]["name"] not in SAMPLERS:
            fail(f"{key}.sampler.name = {m['sampler']['name']!r}; expected one of {sorted(SAMPLERS)}")
        if m["loss"]["name"] not in LOSSES:
            fail(f"{key}.loss.name = {m['loss']['name']!r}; expected one of {sorted(LOSSES)}")
        width = _sampler_width(m["sampler"])
        if width > max_gamma + 1e-9:
            fail(f"{key}.sampler draws from ceil(k1 * {width}) candidates but "
                 f"subgraphs.train.max_gamma = {max_gamma} (the smallest over datasets); "
                 f"raise max_gamma to at least {width}")
    labels = [m.get("label", n) for n, m in config["methods"].items()]
    dupes = sorted({lab for lab in labels if labels.count(lab) > 1})
    if dupes:
        fail(f"methods: duplicate labels {dupes}")
    def check_run(key: str, dataset: str, split: str | None, method: str | None) -> None:
        if dataset not in config["datasets"]:
            fail(f"{key}.dataset = {dataset!r} is not declared under datasets "
                 f"(declared: {sorted(config['datasets'])})")
        if method is not None and method not in config["methods"]:
            fail(f"{key}: {method!r} is not a method (declared: {sorted(config['methods'])})")
        allowed = train_splits(config, dataset)
        if split is not None and split not in allowed:
            fail(f"{key}: split {split!r} is not a training split of {dataset!r} "
                 f"(expected one of {allowed})")

    for tname, t in config.get("tables", {}).items():
        key = f"tables.{tname}"
        if t.get("kind", "grid") == "rows":
            for i, row in enumerate(t["rows"]):
                rkey = f"{key}.rows[{i}]"
                if "clusterer" in row:
                    check_run(rkey, row["dataset"], None, None)
                    if row["clusterer"] not in config.get("clusterers", {}):
                        fail(f"{rkey}.clusterer = {row['clusterer']!r} is not declared under "
                             f"clusterers (declared: {sorted(config.get('clusterers', {}))})")
                else:
                    check_run(rkey, row["dataset"], row["split"], row["method"])
            continue
        check_run(key, t["dataset"], None, None)
        for row in t["rows"]:
            check_run(f"{key}.rows", t["dataset"], None, row)
        for col in t["columns"]:
            check_run(f"{key}.columns", t["dataset"], col["split"], None)
    for fname, f in config.get("figures", {}).items():
        key = f"figures.{fname}"
        check_run(key, f["dataset"], None, f["baseline"])
        table = config.get("tables", {}).get(f["table"])
        if table is None or table.get("kind", "grid") != "grid" or table["dataset"] != f["dataset"]:
            fail(f"{key}.table = {f['table']!r}: expected a grid table of dataset {f['dataset']!r}")
        fig_gamma = float(subgraph_settings(config, f["dataset"])["train"]["max_gamma"])
        for m in f["methods"]:
            check_run(f"{key}.methods", f["dataset"], None, m)
            if config["methods"][m]["sampler"]["name"] not in _WIDTH_KEY:
                fail(f"{key}.methods: {m!r} uses sampler "
                     f"{config['methods'][m]['sampler']['name']!r}; expected one of "
                     f"{sorted(_WIDTH_KEY)} (a sampler with an expansion coefficient)")
        if max(f["gammas"]) > fig_gamma + 1e-9:
            fail(f"{key}.gammas reach {max(f['gammas'])} but the training subgraphs of "
                 f"{f['dataset']!r} hold ceil(k1 * {fig_gamma}) candidates; raise max_gamma")
        for base, points in sweep_methods(config, f).items():
            for g, name in points.items():
                declared = config["methods"].get(name)
                if declared is not None and _spec(config, declared) != _spec(
                        config, sweep_method(config["methods"][base], g)):
                    fail(f"{key}: the sweep point {base} at gamma {g:g} would be named "
                         f"{name!r}, which methods already declares with other settings")
    for dname, d in config["datasets"].items():
        if d["source"] == "learn_to_cluster":
            for split in (TRAIN, TEST):
                try:
                    check_learn_to_cluster_files(d[split], d["dim"], f"datasets.{dname}.{split}")
                except ConfigError as err:
                    fail(str(err))


def check_learn_to_cluster_files(files: dict, dim: int, key: str) -> None:
    """Cheap start-up checks of a .bin/.meta pair: both exist and the sizes agree.

    Reading every value (NaN, inf, non-integer labels) is left to the import job, which
    stops the run with an error naming the file.
    """
    feats, meta = Path(files["features"]), Path(files["labels"])
    for path, what in ((feats, "features"), (meta, "labels")):
        if not path.is_file():
            raise ConfigError(f"{key}.{what} = {str(path)!r}: file not found")
    with open(meta, "rb") as fh:
        n = sum(1 for _ in fh)
    size = os.path.getsize(feats)
    if size != n * dim * 4:
        raise ConfigError(
            f"{key}.features = {str(feats)!r} is {size} bytes; expected N x D x 4 = "
            f"{n} x {dim} x 4 = {n * dim * 4} (N = line count of {str(meta)!r}, D = dim)"
        )
