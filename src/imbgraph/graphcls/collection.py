"""A collection of labelled graphs in flat arrays, and fast batching of any subset of it.

Every graph-classification stage works on one :class:`GraphCollection`: node features of all
graphs stacked, one undirected edge list with global node ids, per-graph node offsets and the
graph labels. A mini-batch of graphs (by index) is gathered with vectorised index arithmetic
(:meth:`GraphCollection.batch`), which is what PyG's ``Batch.from_data_list`` computes but
without building one ``Data`` object per graph on every step.

torch is imported on the first batch, not with the module: the pipeline's split and
encoding jobs read a collection's arrays and never batch, and skip its import cost.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from imbgraph.errors import InputError
from imbgraph.io.atomic import atomic_path

if TYPE_CHECKING:
    import torch

__all__ = ["GraphCollection", "GraphBatch", "ranges", "save_array", "load_array"]

_FORMAT = 1


def ranges(lengths: np.ndarray) -> np.ndarray:
    """0..l-1 for every l in ``lengths``, concatenated. Example: [2, 3] -> [0, 1, 0, 1, 2]."""
    lengths = np.asarray(lengths, dtype=np.int64)
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(int(lengths.sum()), dtype=np.int64) - offsets


class GraphBatch(NamedTuple):
    """A mini-batch of B graphs with n nodes and e directed edges in total.

    (The face family's :class:`imbgraph.linkage.batching.GraphBatch` is another thing: IPS
    subgraphs around pivots, merged into one graph with two normalised adjacencies; the node
    family trains on one graph, :class:`imbgraph.nodecls.methods.base.Batch`.)

    x          : Tensor (n, F) float32 node features
    edge_index : Tensor (2, e) int64, batch-local node ids
    batch      : Tensor (n,) int64, graph (0..B-1) of each node
    ptr        : Tensor (B + 1,) int64 node offsets
    y          : Tensor (B,) int64 labels
    pe         : Tensor (n, P) float32 positional encodings, or None
    ids        : Tensor (B,) int64 graph ids in the collection
    lap        : Tensor (n, 2) float32 per-node spectrum statistics of the node's graph (see
                 :func:`~imbgraph.graphcls.encodings.laplacian_spectrum_stats`), or None
    """

    x: torch.Tensor
    edge_index: torch.Tensor
    batch: torch.Tensor
    ptr: torch.Tensor
    y: torch.Tensor
    pe: torch.Tensor | None
    ids: torch.Tensor
    lap: torch.Tensor | None = None

    @property
    def num_graphs(self) -> int:
        return int(self.y.shape[0])

    def to(self, device: torch.device | str) -> "GraphBatch":
        return GraphBatch(*(None if t is None else t.to(device) for t in self))


@dataclass
class GraphCollection:
    """G labelled graphs with N nodes and E directed edges in total.

    x          : ndarray (N, F) float32, node features (see :mod:`imbgraph.graphcls.features`)
    edge_index : ndarray (2, E) int64, global node ids, both directions of every undirected
                 edge, no self loops, sorted by (source, target) so graph g's edges are the
                 contiguous block ``edge_ptr[g]:edge_ptr[g+1]``
    node_ptr   : ndarray (G + 1,) int64 node offsets
    y          : ndarray (G,) int64 class ids 0..C-1
    name       : str, the dataset's config name
    features   : str, how ``x`` was made (``labels``, ``degree``, ...), for provenance
    """

    x: np.ndarray
    edge_index: np.ndarray
    node_ptr: np.ndarray
    y: np.ndarray
    name: str = ""
    features: str = ""
    edge_ptr: np.ndarray = field(init=False, repr=False)
    _tensors: dict = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.x = np.ascontiguousarray(self.x, dtype=np.float32)
        self.edge_index = np.ascontiguousarray(self.edge_index, dtype=np.int64)
        self.node_ptr = np.asarray(self.node_ptr, dtype=np.int64)
        self.y = np.asarray(self.y, dtype=np.int64)
        n, g = int(self.node_ptr[-1]), self.y.shape[0]
        if self.x.ndim != 2 or self.x.shape[0] != n:
            raise ValueError(f"x must have shape (N, F) with N = node_ptr[-1] = {n}; "
                             f"got {self.x.shape}")
        ptr = self.node_ptr
        if ptr.shape != (g + 1,) or ptr[0] != 0 or (np.diff(ptr) < 1).any():
            raise ValueError(f"node_ptr must be (G + 1,) = ({g + 1},) increasing offsets from 0 "
                             "(every graph at least one node)")
        if self.edge_index.ndim != 2 or self.edge_index.shape[0] != 2:
            raise ValueError(f"edge_index must have shape (2, E); got {self.edge_index.shape}")
        src = self.edge_index[0]
        if src.size and (np.diff(src) < 0).any():
            raise ValueError("edge_index must be sorted by source node")
        graph_of_src = np.searchsorted(self.node_ptr, src, side="right") - 1
        self.edge_ptr = np.searchsorted(graph_of_src, np.arange(g + 1)).astype(np.int64)

    # --- sizes -------------------------------------------------------------------------------

    @property
    def num_graphs(self) -> int:
        return int(self.y.shape[0])

    @property
    def num_nodes(self) -> int:
        return int(self.node_ptr[-1])

    @property
    def num_features(self) -> int:
        return int(self.x.shape[1])

    @property
    def num_classes(self) -> int:
        return int(self.y.max()) + 1

    @property
    def sizes(self) -> np.ndarray:
        """Node count of every graph, (G,) int64."""
        return np.diff(self.node_ptr)

    @property
    def graph_of_node(self) -> np.ndarray:
        return np.repeat(np.arange(self.num_graphs), self.sizes)

    def class_counts(self) -> np.ndarray:
        return np.bincount(self.y, minlength=self.num_classes)

    # --- construction ------------------------------------------------------------------------

    @classmethod
    def from_edges(cls, x: np.ndarray, src: np.ndarray, dst: np.ndarray, node_ptr: np.ndarray,
                   y: np.ndarray, **kw) -> "GraphCollection":
        """Build from any directed or undirected edge list: both directions are added, self
        loops and duplicates dropped, edges sorted (what :attr:`edge_index` requires)."""
        n = int(np.asarray(node_ptr)[-1])
        src = np.asarray(src, dtype=np.int64)
        dst = np.asarray(dst, dtype=np.int64)
        keep = src != dst
        a = np.concatenate([src[keep], dst[keep]])
        b = np.concatenate([dst[keep], src[keep]])
        key = np.sort(a * n + b)
        key = key[np.concatenate([[True], key[1:] != key[:-1]])] if key.size else key
        return cls(x, np.stack([key // max(n, 1), key % max(n, 1)]), node_ptr, y, **kw)

    # --- batching ----------------------------------------------------------------------------

    def _t(self, name: str) -> torch.Tensor:
        if name not in self._tensors:
            import torch

            self._tensors[name] = torch.from_numpy(getattr(self, name))
        return self._tensors[name]

    def batch(self, ids, pe: np.ndarray | torch.Tensor | None = None, *,
              x: torch.Tensor | None = None,
              lap: np.ndarray | torch.Tensor | None = None) -> GraphBatch:
        """Gather graphs ``ids`` (any order, repeats allowed) into one :class:`GraphBatch`.

        ``pe`` (N, P) and ``lap`` (N, ...) are gathered alongside ``x``; ``x`` replaces the
        collection's node features (e.g. a masked copy). Vectorised: no loop over graphs.
        """
        import torch  # loaded once per process (see the module docstring)

        ids = torch.as_tensor(np.asarray(ids, dtype=np.int64))
        node_ptr, edge_ptr = self._t("node_ptr"), self._t("edge_ptr")
        n_len = node_ptr[ids + 1] - node_ptr[ids]
        e_len = edge_ptr[ids + 1] - edge_ptr[ids]
        new_ptr = torch.zeros(ids.shape[0] + 1, dtype=torch.int64)
        new_ptr[1:] = torch.cumsum(n_len, 0)
        node_idx = torch.repeat_interleave(node_ptr[ids] - new_ptr[:-1], n_len) + torch.arange(
            int(new_ptr[-1]))
        e_off = torch.zeros_like(new_ptr)
        e_off[1:] = torch.cumsum(e_len, 0)
        edge_idx = torch.repeat_interleave(edge_ptr[ids] - e_off[:-1], e_len) + torch.arange(
            int(e_off[-1]))
        shift = torch.repeat_interleave(node_ptr[ids] - new_ptr[:-1], e_len)
        edge_index = self._t("edge_index")[:, edge_idx] - shift
        feats = self._t("x") if x is None else x
        pe_t = None
        if pe is not None:
            pe_t = torch.as_tensor(pe)[node_idx]
        lap_t = None if lap is None else torch.as_tensor(lap)[node_idx]
        batch = torch.repeat_interleave(torch.arange(ids.shape[0]), n_len)
        return GraphBatch(feats[node_idx], edge_index, batch, new_ptr, self._t("y")[ids], pe_t,
                          ids, lap_t)

    def to_data_list(self, pe: np.ndarray | None = None) -> list:
        """One PyG ``Data`` per graph (x, edge_index, y[, pe]); for interoperability and tests."""
        import torch
        from torch_geometric.data import Data

        out = []
        for g in range(self.num_graphs):  # conversion helper, not a training path
            lo, hi = self.node_ptr[g], self.node_ptr[g + 1]
            e = self.edge_index[:, self.edge_ptr[g]:self.edge_ptr[g + 1]] - lo
            d = Data(x=torch.from_numpy(self.x[lo:hi]), edge_index=torch.from_numpy(e),
                     y=torch.tensor([self.y[g]]))
            if pe is not None:
                d.pe = torch.as_tensor(pe[lo:hi])
            out.append(d)
        return out

    def to_pyg_batch(self, ids=None, pe: np.ndarray | None = None):
        """The graphs ``ids`` (default all) as a PyG ``Batch``."""
        from torch_geometric.data import Batch

        b = self.batch(np.arange(self.num_graphs) if ids is None else ids, pe)
        out = Batch(x=b.x, edge_index=b.edge_index, y=b.y, batch=b.batch, ptr=b.ptr)
        if b.pe is not None:
            out.pe = b.pe
        return out

    def subset(self, ids) -> "GraphCollection":
        """A new collection of graphs ``ids`` (in that order)."""
        b = self.batch(ids)
        return GraphCollection(b.x.numpy().copy(), b.edge_index.numpy().copy(), b.ptr.numpy(),
                               b.y.numpy().copy(), name=self.name, features=self.features)

    # --- files -------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike) -> None:
        """Write to ``path`` (.npz, atomic; no pickled objects)."""
        with atomic_path(path, suffix=".npz") as tmp:
            np.savez(tmp, format=np.int64(_FORMAT), x=self.x, edge_index=self.edge_index,
                     node_ptr=self.node_ptr, y=self.y, name=np.str_(self.name),
                     features=np.str_(self.features))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "GraphCollection":
        """Read a file written by :meth:`save`; errors name the file."""
        path = Path(path)
        if not path.is_file():
            raise InputError(f"{path}: graph collection file not found")
        try:
            with np.load(path, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        except (ValueError, OSError) as err:
            raise InputError(f"{path}: not a graph collection (.npz) file: {err}") from None
        need = {"x", "edge_index", "node_ptr", "y", "format"}
        if not need <= set(arrays):
            raise InputError(f"{path}: not a graph collection file (arrays {sorted(arrays)}; "
                             f"expected {sorted(need)})")
        try:
            return cls(arrays["x"], arrays["edge_index"], arrays["node_ptr"], arrays["y"],
                       name=str(arrays.get("name", "")), features=str(arrays.get("features", "")))
        except ValueError as err:
            raise InputError(f"{path}: inconsistent graph collection: {err}") from None


# --- arrays cached beside a collection (PE per node, kNN table per graph) --------------------


def save_array(array: np.ndarray, path: str | os.PathLike) -> None:
    """Write ``array`` as ``.npy`` (atomic: a crash leaves no half-written file)."""
    with atomic_path(path, suffix=".npy") as tmp:
        np.save(tmp, np.ascontiguousarray(array), allow_pickle=False)


def load_array(path: str | os.PathLike, *, rows: int, what: str) -> np.ndarray:
    """Read a ``.npy`` written by :func:`save_array` that must hold ``rows`` rows (one per
    node or graph of its collection); errors name the file and what it should hold."""
    path = Path(path)
    try:
        arr = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise InputError(f"{path}: {what} file not found") from None
    except (ValueError, OSError) as err:
        raise InputError(f"{path}: not a .npy file of {what}: {err}") from None
    if arr.ndim != 2 or arr.shape[0] != rows:
        raise InputError(f"{path}: {what} of shape {arr.shape}; expected ({rows}, ...) for its "
                         "collection (stale file? delete it and rerun)")
    return arr
