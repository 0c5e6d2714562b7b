"""The attributed graph of node classification and its files.

A :class:`NodeGraph` is what every reader, generator and job of the family exchanges: node
features, an undirected edge list stored in both directions, integer labels and the class
names. On disk a graph is three files (written atomically through :mod:`imbgraph.io`):

* ``features.npy`` — float32 (n, d), memory-mappable (d may be 0 before DeepWalk fills it);
* ``edges.parquet`` — columns ``src``, ``dst`` (int64), each undirected edge once with
  ``src < dst``, sorted;
* ``nodes.parquet`` — column ``y`` (int64, one row per node); the class names are in the
  schema metadata (``class_names``, a JSON list); for a dataset that publishes a split
  (Planetoid's 20 per class / 500 / 1000), a column ``public`` (int8: 0 none, 1 train,
  2 validation, 3 test; :data:`PUBLIC_CODES`), read by the split rule.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import scipy.sparse as sp

from imbgraph.errors import InputError
from imbgraph.graph import symmetric_adjacency
from imbgraph.io.atomic import atomic_path
from imbgraph.io.tables import read_parquet_table, table_metadata, write_parquet_table

__all__ = ["NodeGraph", "PUBLIC_CODES", "public_parts", "read_graph", "read_labels",
           "read_public", "write_features", "write_graph"]

#: the ``public`` column's codes: part name -> code (0: in no part of the public split)
PUBLIC_CODES = {"train": 1, "val": 2, "test": 3}


def public_parts(public: np.ndarray) -> dict[str, np.ndarray]:
    """{"train", "val", "test"} -> sorted int64 node ids of a ``public`` code array."""
    return {part: np.flatnonzero(public == code).astype(np.int64)
            for part, code in PUBLIC_CODES.items()}


@dataclass(frozen=True, eq=False)
class NodeGraph:
    """An undirected attributed graph with one class label per node.

    Attributes
    ----------
    x : ndarray of shape (n, d), float32
        Node features (d = 0 for a structure-only graph awaiting DeepWalk features).
    edge_index : ndarray of shape (2, E), int64
        Every undirected edge in both directions, no self loops, no duplicates, sorted by
        (source, target); ``edge_index[0]`` is the source (PyG's convention).
    y : ndarray of shape (n,), int64
        Class ids in [0, C).
    class_names : tuple of C str
        Name of each class id (``class_names[y[v]]`` is node v's class).
    public : ndarray of shape (n,), int8, or None
        The dataset's published split, if it has one (:data:`PUBLIC_CODES`; Planetoid).

    Build one with :meth:`from_edges` (which canonicalises any edge list); the constructor
    only checks shapes, dtypes and ranges.
    """

    x: np.ndarray
    edge_index: np.ndarray
    y: np.ndarray
    class_names: tuple[str, ...] = field(default=())
    public: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = self.y.shape[0] if self.y.ndim == 1 else -1
        if n < 0 or self.y.dtype != np.int64:
            raise ValueError(f"NodeGraph.y must be int64 of shape (n,): {self.y.dtype} "
                             f"{self.y.shape}")
        if self.x.ndim != 2 or self.x.shape[0] != n or self.x.dtype != np.float32:
            raise ValueError(f"NodeGraph.x must be float32 of shape ({n}, d): "
                             f"{self.x.dtype} {self.x.shape}")
        ei = self.edge_index
        if ei.ndim != 2 or ei.shape[0] != 2 or ei.dtype != np.int64:
            raise ValueError(f"NodeGraph.edge_index must be int64 of shape (2, E): "
                             f"{ei.dtype} {ei.shape}")
        if ei.size and (ei.min() < 0 or ei.max() >= n):
            raise ValueError(f"NodeGraph.edge_index holds node ids in [{ei.min()}, {ei.max()}]; "
                             f"expected [0, {n})")
        c = len(self.class_names)
        if c == 0 or (n and (self.y.min() < 0 or self.y.max() >= c)):
            raise ValueError(f"NodeGraph.y holds labels outside [0, {c}) "
                             f"({c} class names given)")
        object.__setattr__(self, "class_names", tuple(str(s) for s in self.class_names))
        if self.public is not None:
            pub = np.asarray(self.public)
            if pub.shape != (n,) or not np.isin(pub, [0, *PUBLIC_CODES.values()]).all():
                raise ValueError(f"NodeGraph.public must hold one code of {{0, 1, 2, 3}} per "
                                 f"node: shape {pub.shape}")
            object.__setattr__(self, "public", pub.astype(np.int8, copy=False))

    # --- construction -----------------------------------------------------------------------
    @classmethod
    def from_edges(cls, x: np.ndarray, src: np.ndarray, dst: np.ndarray, y: np.ndarray,
                   class_names, public: np.ndarray | None = None) -> "NodeGraph":
        """Canonicalise any edge list (either or both directions, duplicates, self loops)."""
        y = np.asarray(y, dtype=np.int64)
        adj = symmetric_adjacency(src, dst, y.shape[0])
        return cls.from_adjacency(x, adj, y, class_names, public)

    @classmethod
    def from_adjacency(cls, x: np.ndarray, adj: sp.spmatrix, y: np.ndarray,
                       class_names, public: np.ndarray | None = None) -> "NodeGraph":
        """From a symmetric adjacency (its pattern; the diagonal is dropped)."""
        coo = sp.coo_matrix(adj)
        keep = coo.row != coo.col
        a = symmetric_adjacency(coo.row[keep], coo.col[keep], adj.shape[0])
        return cls(np.ascontiguousarray(x, dtype=np.float32), _csr_edges(a),
                   np.asarray(y, dtype=np.int64), tuple(class_names), public)

    def with_features(self, x: np.ndarray) -> "NodeGraph":
        """The same graph with other node features (e.g. DeepWalk embeddings)."""
        return NodeGraph(np.ascontiguousarray(x, dtype=np.float32), self.edge_index, self.y,
                         self.class_names, self.public)

    # --- views --------------------------------------------------------------------------------
    @property
    def num_nodes(self) -> int:
        return int(self.y.shape[0])

    @property
    def num_features(self) -> int:
        return int(self.x.shape[1])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def num_edges(self) -> int:
        """Undirected edges (half the columns of ``edge_index``)."""
        return int(self.edge_index.shape[1] // 2)

    def adjacency(self) -> sp.csr_matrix:
        """int8 CSR (n, n), symmetric, sorted indices."""
        n = self.num_nodes
        src, dst = self.edge_index
        a = sp.csr_matrix((np.ones(src.shape[0], dtype=np.int8), (src, dst)), shape=(n, n))
        a.sort_indices()
        return a

    def degree(self) -> np.ndarray:
        """(n,) int64 number of neighbours."""
        return np.bincount(self.edge_index[0], minlength=self.num_nodes).astype(np.int64)

    def class_counts(self) -> np.ndarray:
        """(C,) int64 nodes per class."""
        return np.bincount(self.y, minlength=self.num_classes).astype(np.int64)

    def edge_homophily(self) -> float:
        """Fraction of edges whose two ends share a class (NaN without edges)."""
        if self.edge_index.shape[1] == 0:
            return float("nan")
        return float((self.y[self.edge_index[0]] == self.y[self.edge_index[1]]).mean())

    def __repr__(self) -> str:
        return (f"NodeGraph(nodes={self.num_nodes}, edges={self.num_edges}, "
                f"features={self.num_features}, classes={self.num_classes})")


def _csr_edges(a: sp.csr_matrix) -> np.ndarray:
    a = sp.csr_matrix(a)
    a.sort_indices()
    src = np.repeat(np.arange(a.shape[0], dtype=np.int64), np.diff(a.indptr))
    return np.stack([src, a.indices.astype(np.int64)])


# --- files ------------------------------------------------------------------------------------
def write_features(x: np.ndarray, path: str | os.PathLike) -> None:
    """A (n, d) float32 feature matrix as ``.npy``, atomically (DeepWalk's output too)."""
    with atomic_path(path, suffix=".npy") as tmp:
        np.save(tmp, np.ascontiguousarray(x, dtype=np.float32))


def write_graph(graph: NodeGraph, features: str | os.PathLike, edges: str | os.PathLike,
                nodes: str | os.PathLike) -> None:
    """Write ``graph`` as features.npy + edges.parquet + nodes.parquet (each atomically)."""
    write_features(graph.x, features)
    src, dst = graph.edge_index
    once = src < dst
    write_parquet_table(pa.table({"src": src[once], "dst": dst[once]}), edges)
    columns = {"y": graph.y} if graph.public is None else {"y": graph.y, "public": graph.public}
    write_parquet_table(pa.table(columns), nodes,
                        metadata={"class_names": json.dumps(list(graph.class_names))})


def read_labels(nodes: str | os.PathLike) -> tuple[np.ndarray, tuple[str, ...]]:
    """The labels (n,) int64 and class names of a graph's ``nodes.parquet`` (what a split
    needs); a bad file raises InputError naming it."""
    try:
        y_table = read_parquet_table(nodes)
        y = y_table.column("y").to_numpy().astype(np.int64)
        names = tuple(str(s) for s in json.loads(table_metadata(y_table)["class_names"]))
    except (OSError, KeyError, ValueError, TypeError, pa.ArrowException) as err:
        raise InputError(f"{nodes}: not a nodes table (expected Parquet with an int64 column "
                         f"'y' and 'class_names' metadata): {err}") from None
    if y.size and (y.min() < 0 or y.max() >= len(names)):
        raise InputError(f"{nodes}: labels outside [0, {len(names)}) for the "
                         f"{len(names)} class names")
    return y, names


def read_public(nodes: str | os.PathLike) -> np.ndarray | None:
    """The ``public`` codes (n,) int8 of a graph's ``nodes.parquet``, None when the dataset
    publishes no split; a bad file raises InputError naming it."""
    try:
        table = read_parquet_table(nodes)
        if "public" not in table.column_names:
            return None
        public = table.column("public").to_numpy().astype(np.int8)
    except (OSError, KeyError, ValueError, TypeError, pa.ArrowException) as err:
        raise InputError(f"{nodes}: not a nodes table: {err}") from None
    if not np.isin(public, [0, *PUBLIC_CODES.values()]).all():
        raise InputError(f"{nodes}: column 'public' holds codes outside {{0, 1, 2, 3}}")
    return public


def read_edge_index(edges: str | os.PathLike, num_nodes: int,
                    nodes: str | os.PathLike | None = None) -> np.ndarray:
    """(2, E) int64 edges of a :func:`write_graph` edge table (alone: a split that depends on
    degrees; or for :func:`read_graph`); bad files raise InputError naming them (and the
    ``nodes`` table whose node count bounds the ids, when given)."""
    try:
        e_table = read_parquet_table(edges)
        src = e_table.column("src").to_numpy().astype(np.int64)
        dst = e_table.column("dst").to_numpy().astype(np.int64)
    except (OSError, KeyError, ValueError, pa.ArrowException) as err:
        raise InputError(f"{edges}: not an edge table (expected Parquet with int64 columns "
                         f"'src', 'dst'): {err}") from None
    if src.size and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= num_nodes):
        of = f" (the {num_nodes} nodes of {nodes})" if nodes is not None else ""
        raise InputError(f"{edges}: node ids outside [0, {num_nodes}){of}")
    return np.stack([src, dst])


def read_graph(features: str | os.PathLike, edges: str | os.PathLike,
               nodes: str | os.PathLike) -> NodeGraph:
    """Read a graph written by :func:`write_graph`; bad files raise InputError naming them."""
    y, names = read_labels(nodes)
    src, dst = read_edge_index(edges, y.shape[0], nodes)
    try:
        x = np.load(Path(features), allow_pickle=False)
    except (OSError, ValueError) as err:
        raise InputError(f"{features}: not a .npy feature matrix: {err}") from None
    n = y.shape[0]
    if x.ndim != 2 or x.shape[0] != n:
        raise InputError(f"{features} has shape {x.shape}; expected ({n}, d) to match the "
                         f"{n} nodes of {nodes}")
    if not np.isfinite(x).all():
        raise InputError(f"{features}: features contain NaN or inf")
    return NodeGraph.from_edges(x, src, dst, y, names, read_public(nodes))
