"""From a ``graphcls.datasets.<name>`` config entry to a :class:`GraphCollection` (the body of
the per-dataset preparation rule): synthesise it, or read TU raw files / a GIN text file under
``data_root``, then build the node features the entry asks for.

``SOURCES``: ``synthetic`` (:mod:`.synthetic`), ``tu`` (``<data_root>/<path>/<NAME>/raw/``,
read by PyG's TUDataset from a scratch copy), ``gin_text`` (``<data_root>/<path>``, a ``.txt``
or a ``.zip`` holding ``<NAME>.txt``).
"""

from __future__ import annotations

import os

from imbgraph.errors import ConfigError
from imbgraph.graphcls.collection import GraphCollection
from imbgraph.graphcls.config import data_path
from imbgraph.graphcls.features import collection_from_arrays
from imbgraph.graphcls.synthetic import SyntheticSpec, synthesize_graphs
from imbgraph.io.gin_text import read_gin_text
from imbgraph.io.tu import GraphArrays, read_tu

__all__ = ["SOURCES", "read_arrays", "build_collection"]

SOURCES = ("synthetic", "tu", "gin_text")


def read_arrays(entry: dict, *, name: str, data_root: str | os.PathLike | None = None,
                workdir: str | os.PathLike | None = None,
                where: str = "graphcls.datasets") -> GraphArrays:
    """The raw arrays of dataset ``name`` described by ``entry``."""
    key = f"{where}.{name}"
    source = entry.get("source")
    if source == "synthetic":
        return synthesize_graphs(SyntheticSpec.from_config(entry["synthetic"],
                                                           where=f"{key}.synthetic"))
    if source == "tu":
        raw = data_path(entry, data_root, name, key=where)
        return read_tu(raw.parent.parent, entry.get("name", name), workdir=workdir)
    if source == "gin_text":
        return read_gin_text(data_path(entry, data_root, name, key=where),
                             name=entry.get("name", name))
    raise ConfigError(f"{key}.source = {source!r}; expected one of {list(SOURCES)}")


def build_collection(entry: dict, *, name: str, data_root: str | os.PathLike | None = None,
                     workdir: str | os.PathLike | None = None,
                     where: str = "graphcls.datasets") -> GraphCollection:
    """The :class:`GraphCollection` of dataset ``name`` (node features per ``node_features``)."""
    arrays = read_arrays(entry, name=name, data_root=data_root, workdir=workdir, where=where)
    try:
        return collection_from_arrays(arrays, node_features=entry.get("node_features", "auto"),
                                      max_degree=int(entry.get("max_degree", 32)), name=name)
    except ConfigError as err:
        raise ConfigError(f"{where}.{name}.{err}") from None
