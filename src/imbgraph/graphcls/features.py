"""Node features of a graph collection, chosen by config name (``NODE_FEATURES``).

* ``labels``      one-hot TU node labels / GIN node tags (UniImb's choice: its TUDataset drops
                  continuous attributes, ``use_node_attr=False``);
* ``attributes``  the continuous node attributes;
* ``labels+attributes``  both, side by side;
* ``degree``      one-hot of min(degree, max_degree), width max_degree + 1: for collections
                  without node features (IMDB, REDDIT-BINARY, COLLAB);
* ``constant``    a single column of ones (what UniImb's code gives featureless datasets);
* ``auto``        ``labels`` when the collection has node labels, else ``degree``.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from imbgraph.errors import ConfigError
from imbgraph.graphcls.collection import GraphCollection
from imbgraph.io.tu import GraphArrays

__all__ = ["NODE_FEATURES", "degree_one_hot", "collection_from_arrays"]


def degree_one_hot(edge_index: np.ndarray, n: int, max_degree: int) -> np.ndarray:
    """(n, max_degree + 1) float32 one-hot of each node's (out-)degree, capped at max_degree."""
    deg = np.bincount(edge_index[0], minlength=n)
    out = np.zeros((n, max_degree + 1), dtype=np.float32)
    out[np.arange(n), np.minimum(deg, max_degree)] = 1.0
    return out


def _need(arr: np.ndarray | None, what: str, source: str) -> np.ndarray:
    if arr is None:
        raise ConfigError(f"node_features = {what!r} but {source} has no node {what}; use "
                          "'degree' or 'constant' (or 'auto')")
    return arr


def _labels(a: GraphArrays, edge_index: np.ndarray, **_) -> np.ndarray:
    return _need(a.node_labels, "labels", a.source)


def _attributes(a: GraphArrays, edge_index: np.ndarray, **_) -> np.ndarray:
    return _need(a.node_attributes, "attributes", a.source)


def _both(a: GraphArrays, edge_index: np.ndarray, **_) -> np.ndarray:
    return np.concatenate([_attributes(a, edge_index), _labels(a, edge_index)], axis=1)


def _degree(a: GraphArrays, edge_index: np.ndarray, *, max_degree: int = 32, **_) -> np.ndarray:
    return degree_one_hot(edge_index, a.num_nodes, max_degree)


def _constant(a: GraphArrays, edge_index: np.ndarray, **_) -> np.ndarray:
    return np.ones((a.num_nodes, 1), dtype=np.float32)


def _auto(a: GraphArrays, edge_index: np.ndarray, **kw) -> np.ndarray:
    return _labels(a, edge_index) if a.node_labels is not None else _degree(a, edge_index, **kw)


NODE_FEATURES: dict[str, Callable[..., np.ndarray]] = {
    "auto": _auto, "labels": _labels, "attributes": _attributes,
    "labels+attributes": _both, "degree": _degree, "constant": _constant,
}


def collection_from_arrays(arrays: GraphArrays, *, node_features: str = "auto",
                           max_degree: int = 32, name: str = "") -> GraphCollection:
    """A :class:`GraphCollection` (undirected edges) with the node features ``node_features``."""
    if node_features not in NODE_FEATURES:
        raise ConfigError(f"node_features = {node_features!r}; expected one of "
                          f"{sorted(NODE_FEATURES)}")
    tmp = GraphCollection.from_edges(np.zeros((arrays.num_nodes, 0), np.float32),
                                     arrays.edge_index[0], arrays.edge_index[1],
                                     arrays.node_ptr, arrays.y)
    x = NODE_FEATURES[node_features](arrays, tmp.edge_index, max_degree=max_degree)
    used = node_features
    if node_features == "auto":
        used = "labels" if arrays.node_labels is not None else f"degree(max {max_degree})"
    elif node_features == "degree":
        used = f"degree(max {max_degree})"
    return GraphCollection(x, tmp.edge_index, tmp.node_ptr, tmp.y, name=name, features=used)
