"""From a ``nodecls.datasets`` config entry to a :class:`NodeGraph`: the built-in generators
and the readers of real raw files, plus DeepWalk features for graphs without any.

Entries (validated by workflow/schemas/nodecls.schema.yaml)::

    {source: synthetic, generator: csbm | bots, params: {...}[, deepwalk: {...}]}
    {source: planetoid, path: <dir holding <Name>/raw>, name: Cora}
    {source: gnn_benchmark, path: <file.npz or .zip>}
    {source: blogcatalog, path: <file.mat>, deepwalk: {...}}

Relative paths are taken under the section's ``data_root``. Any entry may add
``features: row_normalize`` (GraphSMOTE's code's preprocessing, :func:`row_normalize`;
default ``raw``).
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import Any, Callable

import numpy as np

from imbgraph.errors import ConfigError
from imbgraph.io.checks import check_finite_features
from imbgraph.nodecls.data.deepwalk import deepwalk
from imbgraph.nodecls.data.graph import NodeGraph
from imbgraph.nodecls.data.synthetic import bot_graph, class_sizes, contextual_sbm, profile_names

__all__ = ["DEEPWALK_DEFAULTS", "FEATURES", "GENERATORS", "READERS", "add_deepwalk",
           "build_graph", "dataset_path", "resolve_deepwalk", "row_normalize",
           "synthetic_class_names", "synthetic_class_sizes", "synthetic_num_nodes"]

#: what a dataset's ``deepwalk:`` block leaves out: the defaults of
#: :func:`~imbgraph.nodecls.data.deepwalk.deepwalk` (``workers`` aside: one worker, for a
#: seed-determined embedding) and ``append_degree`` (no degree column)
DEEPWALK_DEFAULTS: dict[str, Any] = {
    **{name: p.default for name, p in inspect.signature(deepwalk).parameters.items()
       if p.kind is inspect.Parameter.KEYWORD_ONLY and name != "workers"},
    "append_degree": False,
}


def _csbm(params: dict[str, Any]) -> NodeGraph:
    p = dict(params)
    profile = p.pop("profile", "cora")
    sizes = class_sizes(profile, p.pop("num_nodes", None))
    names = p.pop("class_names", None) or profile_names(profile, len(sizes))
    return contextual_sbm(sizes, class_names=names, **p)


GENERATORS: dict[str, Callable[[dict], NodeGraph]] = {
    "csbm": _csbm,
    "bots": lambda params: bot_graph(**params),
}


def synthetic_num_nodes(entry: dict) -> int:
    """Node count a synthetic entry will have, without generating it."""
    p = entry.get("params", {})
    if entry["generator"] == "bots":
        return int(p.get("num_nodes", inspect.signature(bot_graph).parameters["num_nodes"].default))
    return int(class_sizes(p.get("profile", "cora"), p.get("num_nodes")).sum())


def synthetic_class_sizes(entry: dict) -> np.ndarray | None:
    """(C,) class sizes a ``csbm`` entry will have, without generating it (None for the bot
    generator, whose bots are a share of the nodes)."""
    if entry["generator"] != "csbm":
        return None
    p = entry.get("params", {})
    return class_sizes(p.get("profile", "cora"), p.get("num_nodes"))


def synthetic_class_names(entry: dict) -> tuple[str, ...]:
    """Class names a synthetic entry will have, without generating it."""
    p = entry.get("params", {})
    if entry["generator"] == "bots":
        return ("genuine", "bot")
    profile = p.get("profile", "cora")
    count = len(class_sizes(profile, p.get("num_nodes")))
    return tuple(p.get("class_names") or profile_names(profile, count))


def _planetoid(path: Path, entry: dict) -> tuple:
    from imbgraph.io.planetoid import read_planetoid

    return read_planetoid(path, entry["name"], public=True)


def _gnn_benchmark(path: Path, entry: dict) -> tuple:
    from imbgraph.io.gnn_benchmark import read_gnn_benchmark

    return read_gnn_benchmark(path)


def _blogcatalog(path: Path, entry: dict) -> tuple:
    from imbgraph.io.blogcatalog import read_blogcatalog

    return read_blogcatalog(path)


#: source -> reader ``(path, entry) -> (x, edge_index, y, class_names[, public])``; the
#: optional fifth item is the dataset's published split (:class:`NodeGraph` ``public``)
READERS: dict[str, Callable[[Path, dict], tuple]] = {
    "planetoid": _planetoid,
    "gnn_benchmark": _gnn_benchmark,
    "blogcatalog": _blogcatalog,
}


def dataset_path(entry: dict, data_root: str | os.PathLike | None) -> Path:
    """The entry's ``path``, under ``data_root`` when relative."""
    path = Path(entry["path"])
    if not path.is_absolute() and data_root is not None:
        path = Path(data_root) / path
    return path


def build_graph(entry: dict, *, data_root: str | os.PathLike | None = None,
                key: str = "dataset") -> NodeGraph:
    """Generate or read the graph of a dataset entry (DeepWalk is a separate step:
    :func:`add_deepwalk`). Unreadable files raise InputError naming them."""
    source = entry["source"]
    if source == "synthetic":
        gen = entry["generator"]
        if gen not in GENERATORS:
            raise ConfigError(f"{key}.generator = {gen!r}; expected one of {sorted(GENERATORS)}")
        return _preprocess(GENERATORS[gen](entry.get("params", {})), entry, key)
    if source not in READERS:
        raise ConfigError(f"{key}.source = {source!r}; expected 'synthetic' or one of "
                          f"{sorted(READERS)}")
    path = dataset_path(entry, data_root)
    x, edge_index, y, names, *public = READERS[source](path, entry)
    # name the raw file, not the features.npy derived from it (the run job's check)
    shown = (f"{path / entry['name'] / 'raw'} (ind.{entry['name'].lower()}.allx / .tx)"
             if source == "planetoid" else str(path))
    check_finite_features(np.asarray(x), shown)
    return _preprocess(NodeGraph.from_edges(x, edge_index[0], edge_index[1], y, names,
                                            public[0] if public else None), entry, key)


#: a dataset's ``features:`` -> what is done to the graph's own features after reading
FEATURES = ("raw", "row_normalize")


def row_normalize(x: np.ndarray) -> np.ndarray:
    """Each row divided by its sum, rows summing to 0 left as they are (zeros): GraphSMOTE's
    code's ``normalize`` (data_load.py, pygcn's: ``D^-1 X`` with ``1 / 0`` set to 0), which
    its Cora loader applies to the bag-of-words features."""
    x = np.asarray(x, dtype=np.float64)
    s = x.sum(axis=1)
    inv = np.divide(1.0, s, out=np.zeros_like(s), where=s != 0)
    return (x * inv[:, None]).astype(np.float32)


def _preprocess(graph: NodeGraph, entry: dict, key: str) -> NodeGraph:
    """The entry's ``features:`` preprocessing (default ``raw``: none)."""
    how = entry.get("features", "raw")
    if how not in FEATURES:
        raise ConfigError(f"{key}.features = {how!r}; expected one of {list(FEATURES)}")
    return graph.with_features(row_normalize(graph.x)) if how == "row_normalize" else graph


def resolve_deepwalk(params: dict[str, Any]) -> dict[str, Any]:
    """A ``deepwalk:`` block with every default filled in (:data:`DEEPWALK_DEFAULTS`)."""
    return {**DEEPWALK_DEFAULTS, **params}


def add_deepwalk(graph: NodeGraph, params: dict[str, Any]) -> NodeGraph:
    """``graph`` with DeepWalk features (``params``: dim, walk_length, walks_per_node, window,
    epochs, seed; defaults :data:`DEEPWALK_DEFAULTS`; ``append_degree: true`` appends
    log(1 + degree) as one more column, the Twitter setting — raw degrees would swamp the
    unit-scale embedding)."""
    p = resolve_deepwalk(params)
    append = bool(p.pop("append_degree"))
    emb = deepwalk(graph.adjacency(), **p)
    if append:
        emb = np.concatenate([emb, np.log1p(graph.degree())[:, None].astype(np.float32)], axis=1)
    return graph.with_features(emb)
