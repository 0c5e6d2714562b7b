"""The ``linkage:`` config section (face clustering): resolution of its entries into the
plain values the rules pass on through ``params:``, and the cross-key checks its JSON schema
(workflow/schemas/linkage.schema.yaml) cannot express.

Every function takes the section itself (``config["linkage"]``). Names of models, samplers,
losses and clusterers are checked by the schema's enums, which a unit test keeps equal to the
registries; so this module imports neither torch nor scikit-learn, and Snakemake starts fast.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from imbgraph.config import Catalog, spec_json
from imbgraph.errors import ConfigError
from imbgraph.linkage.samplers import EXPANSION_KEY, expansion, n_candidates, with_expansion
from imbgraph.linkage.subsets import subset_name

TRAIN, TEST = "train", "test"
SWEEP_PARAM = "gamma"  # the one method hyperparameter a linkage figure sweeps (DIGL Fig. 3)


def subset_specs(sec: dict, dataset: str) -> dict[str, tuple[int, int]]:
    """Subset split name -> (head, tail) for ``dataset`` (empty when it declares none)."""
    spec = sec["datasets"][dataset].get("subsets")
    if not spec:
        return {}
    return {subset_name(h, s): (h, s) for h in spec["heads"] for s in spec["tails"]}


def train_splits(sec: dict, dataset: str) -> list[str]:
    """Splits a model may be trained on: the full train split and every subset."""
    return [TRAIN, *subset_specs(sec, dataset)]


def subgraph_settings(sec: dict, dataset: str) -> dict[str, dict]:
    """The ``subgraphs`` block for ``dataset``: its own ``datasets.<d>.subgraphs`` entries
    (train / test, each replaced whole) over the section's."""
    return {**sec["subgraphs"], **sec["datasets"][dataset].get("subgraphs", {})}


def propagation(sec: dict, dataset: str) -> dict[str, Any]:
    """CDP settings for ``dataset``: ``datasets.<d>.propagation`` keys over the section's
    (DIGL uses max_size 300 / step 0.6 on MS-Celeb, 50 / 0.5 on DeepFashion)."""
    return {"max_iter": None, **sec["propagation"],
            **sec["datasets"][dataset].get("propagation", {})}


def ips_params(sec: dict, dataset: str, split: str) -> dict[str, Any]:
    """(k1, k2, u, gamma) of the supersets stored for ``split``: test subgraphs hold the
    plain kNN IPS (gamma = 1); training subgraphs hold ceil(k1 * max_gamma) candidates."""
    sub = subgraph_settings(sec, dataset)
    if split == TEST:
        t = sub["test"]
        return {"k1": t["k1"], "k2": t["k2"], "u": t["u"], "gamma": 1.0}
    t = sub["train"]
    return {"k1": t["k1"], "k2": t["k2"], "u": t["u"], "gamma": float(t["max_gamma"])}


def knn_k(sec: dict, dataset: str, split: str) -> int:
    """Neighbours per node the kNN table of ``split`` must hold for its subgraphs."""
    p = ips_params(sec, dataset, split)
    return max(n_candidates(p["k1"], p["gamma"]), p["k2"], p["u"])


def resolve_method(sec: dict, name: str) -> dict[str, Any]:
    """Everything a training job needs for method ``name``: model, sampler, loss and the
    training settings (``training`` defaults overridden by the method's own ``train``)."""
    m = sec["methods"][name]
    return {
        "label": m.get("label", name),
        "model": dict(sec["models"][m["model"]]),
        "sampler": dict(m["sampler"]),
        "loss": dict(m["loss"]),
        "train": {**sec["training"], **m.get("train", {})},
    }


def vary_method(entry: dict, param: str, value: float) -> dict:
    """``entry`` with its sampler's expansion coefficient set to ``value`` (the only
    parameter a linkage figure sweeps; gamma = 1 is the kNN sampler)."""
    if param != SWEEP_PARAM:
        raise ConfigError(f"linkage methods sweep {SWEEP_PARAM!r} only, not {param!r}")
    try:
        return {**entry, "sampler": with_expansion(entry["sampler"], value)}
    except ValueError as err:
        raise ConfigError(str(err)) from None


def catalog(sec: dict, seeds: list[int]) -> Catalog:
    """What this section offers to tables and figures (see :class:`imbgraph.config.Catalog`)."""

    def check_row(row: dict, key: str) -> None:
        if row["clusterer"] not in sec.get("clusterers", {}):
            raise ConfigError(f"{key}.clusterer = {row['clusterer']!r} is not declared under "
                              f"linkage.clusterers (declared: {sorted(sec.get('clusterers', {}))})")

    return Catalog(
        datasets=list(sec["datasets"]),
        methods=dict(sec["methods"]),
        splits=lambda d: train_splits(sec, d),
        spec=lambda entry: spec_json(entry, sec["training"]),
        vary=vary_method,
        seeds=list(seeds),
        check_row=check_row,
        row_kinds=("clusterer",),
    )


def check(sec: dict, *, where: str = "linkage") -> None:
    """Raise :class:`ConfigError` naming the first inconsistent key of the section."""

    def fail(msg: str) -> None:
        raise ConfigError(f"{where}: {msg}")

    # Every dataset stores training subgraphs for its own max_gamma; a method must fit all.
    max_gamma = min(float(subgraph_settings(sec, d)["train"]["max_gamma"])
                    for d in sec["datasets"])
    for name, m in sec["methods"].items():
        key = f"methods.{name}"
        if m["model"] not in sec["models"]:
            fail(f"{key}.model = {m['model']!r} is not declared under models "
                 f"(declared: {sorted(sec['models'])})")
        width = expansion(m["sampler"])
        if width > max_gamma + 1e-9:
            fail(f"{key}.sampler draws from ceil(k1 * {width}) candidates but "
                 f"subgraphs.train.max_gamma = {max_gamma} (the smallest over datasets); "
                 f"raise max_gamma to at least {width}")
    labels = [m.get("label", n) for n, m in sec["methods"].items()]
    dupes = sorted({lab for lab in labels if labels.count(lab) > 1})
    if dupes:
        fail(f"methods: duplicate labels {dupes}")
    for dname, d in sec["datasets"].items():
        if d["source"] == "learn_to_cluster":
            for split in (TRAIN, TEST):
                try:
                    check_learn_to_cluster_files(d[split], d["dim"], f"datasets.{dname}.{split}")
                except ConfigError as err:
                    fail(str(err))


def check_figure_gammas(sec: dict, figures: dict, *, where: str = "config") -> None:
    """A linkage sweep figure may not reach beyond the candidates its dataset stores."""
    for fname, f in figures.items():
        for dataset in f.get("datasets", [f.get("dataset")]):
            stored = float(subgraph_settings(sec, dataset)["train"]["max_gamma"])
            top = max(f["sweep"]["values"])
            if top > stored + 1e-9:
                raise ConfigError(
                    f"{where}: figures.{fname}.sweep.values reach {top} but the training "
                    f"subgraphs of {dataset!r} hold ceil(k1 * {stored}) candidates; raise "
                    f"linkage.subgraphs.train.max_gamma")
            for m in f["methods"]:
                name = sec["methods"][m]["sampler"]["name"]
                if name not in EXPANSION_KEY:
                    raise ConfigError(
                        f"{where}: figures.{fname}.methods: {m!r} uses sampler {name!r}; "
                        f"expected one of {sorted(EXPANSION_KEY)} (a sampler with an "
                        f"expansion coefficient)")


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
