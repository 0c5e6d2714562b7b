"""Config checks the JSON schema cannot express, and resolution of config entries.

The schema (workflow/schemas/config.schema.yaml) catches types, ranges and unknown keys
before any job runs; this module adds the cross-key checks (a method naming an undeclared
model, a sampler asking for more candidates than the stored subgraphs hold, a table row that
is no method, input files that are missing or the wrong size) and turns config entries into
the plain values the rules pass on through ``params:``.
"""

from __future__ import annotations

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


def ips_params(config: dict, split: str) -> dict[str, Any]:
    """(k1, k2, u, gamma) of the supersets stored for ``split``: test subgraphs hold the
    plain kNN IPS (gamma = 1); training subgraphs hold ceil(k1 * max_gamma) candidates."""
    if split == TEST:
        t = config["subgraphs"]["test"]
        return {"k1": t["k1"], "k2": t["k2"], "u": t["u"], "gamma": 1.0}
    t = config["subgraphs"]["train"]
    return {"k1": t["k1"], "k2": t["k2"], "u": t["u"], "gamma": float(t["max_gamma"])}


def knn_k(config: dict, split: str) -> int:
    """Neighbours per node the kNN table of ``split`` must hold for its subgraphs."""
    p = ips_params(config, split)
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


def _sampler_width(sampler: dict) -> float:
    return float(sampler.get("gamma", sampler.get("ratio", 1.0)))


def check(config: dict, *, configfile: str = "config") -> None:
    """Raise :class:`ConfigError` naming the first inconsistent key."""
    from imbgraph.linkage.models import MODELS
    from imbgraph.linkage.samplers import SAMPLERS
    from imbgraph.losses import LOSSES

    def fail(msg: str) -> None:
        raise ConfigError(f"{configfile}: {msg}")

    max_gamma = float(config["subgraphs"]["train"]["max_gamma"])
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
                 f"subgraphs.train.max_gamma = {max_gamma}; raise max_gamma to at least {width}")
    labels = [m.get("label", n) for n, m in config["methods"].items()]
    dupes = sorted({lab for lab in labels if labels.count(lab) > 1})
    if dupes:
        fail(f"methods: duplicate labels {dupes}")
    for tname, t in config.get("tables", {}).items():
        key = f"tables.{tname}"
        if t["dataset"] not in config["datasets"]:
            fail(f"{key}.dataset = {t['dataset']!r} is not declared under datasets")
        for row in t["rows"]:
            if row not in config["methods"]:
                fail(f"{key}.rows: {row!r} is not a method (declared: {sorted(config['methods'])})")
        allowed = train_splits(config, t["dataset"])
        for col in t["columns"]:
            if col["split"] not in allowed:
                fail(f"{key}.columns: split {col['split']!r} is not a training split of "
                     f"{t['dataset']!r} (expected one of {allowed})")
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
