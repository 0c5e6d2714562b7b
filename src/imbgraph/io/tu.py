"""Reader for the TU graph-collection format (Morris et al. 2020), through PyG's ``TUDataset``.

A TU dataset ``NAME`` is a folder of text files (``<root>/<NAME>/raw/``):

* ``NAME_A.txt``                one edge per line, ``i, j`` (1-based global node ids);
* ``NAME_graph_indicator.txt``  one line per node: the 1-based graph it belongs to;
* ``NAME_graph_labels.txt``     one line per graph: its (integer) class;
* ``NAME_node_labels.txt``      optional, one line per node, one or more integer columns;
* ``NAME_node_attributes.txt``  optional, one line per node, comma-separated floats.

PyG's ``TUDataset`` reads these offline but writes ``processed/`` beside ``raw/``, so the raw
files are first copied into a scratch folder (the data root is never written). PyG checks
nothing: a truncated indicator or an edge to an unknown node gives wrong graphs or an index
error deep inside torch. :func:`validate_tu_raw` reads the files first and raises
:class:`~imbgraph.errors.InputError` naming the file and line of the first inconsistency.

Values that parse but cannot be right are refused too (:func:`check_node_labels`,
:func:`check_graph_labels`, and NaN/inf node attributes), since downstream they fail far from
the file or not at all: a stray node label of 100000 builds a 100,001-wide one-hot, a stray
graph label becomes a one-graph class that no split can use, a NaN attribute surfaces as
"proba must be finite" in a model.

The result is a :class:`GraphArrays`, a task-neutral set of flat arrays that the GIN text
reader (:mod:`imbgraph.io.gin_text`) also returns.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imbgraph.errors import InputError

__all__ = ["GraphArrays", "read_tu", "validate_tu_raw", "tu_raw_dir", "write_tu_raw",
           "check_node_labels", "check_graph_labels", "MIN_CLASS_GRAPHS"]

REQUIRED = ("A", "graph_indicator", "graph_labels")

# A one-hot of node labels is max - min + 1 wide (PyG's rule). Real files leave gaps (DHFR
# uses 9 of 53 ids, D&D 82 of 89), so allow up to 10 columns per distinct label, and any width
# up to 256 (atomic numbers, say); wider means a stray value, not a vocabulary.
ONE_HOT_PER_LABEL = 10
ONE_HOT_ANY = 256
# A class needs a graph on each side of a train/test split: a label held by one graph only is
# unusable, and in practice a typo (a 7 among +-1 labels).
MIN_CLASS_GRAPHS = 2


@dataclass(frozen=True)
class GraphArrays:
    """A labelled collection of graphs as flat arrays (what a raw-format reader returns).

    edge_index : ndarray of shape (2, E), int64
        Global node ids (graph g owns nodes ``node_ptr[g]:node_ptr[g+1]``), as the file lists
        them (a TU ``_A.txt`` lists both directions), self loops removed, duplicates merged,
        sorted by (source, target).
    node_ptr : ndarray of shape (G + 1,), int64
        Node offsets of the graphs; ``node_ptr[-1]`` is the node count N.
    y : ndarray of shape (G,), int64
        Class ids 0..C-1: the sorted distinct raw labels, renumbered (as PyG does).
    label_values : ndarray of shape (C,), int64
        The raw label of each class id.
    node_labels : ndarray of shape (N, L), float32, or None
        One-hot categorical node labels (several label columns side by side), as PyG builds them.
    node_attributes : ndarray of shape (N, A), float32, or None
        Continuous node attributes.
    source : str
        Where the arrays came from (a path), for messages.
    """

    edge_index: np.ndarray
    node_ptr: np.ndarray
    y: np.ndarray
    label_values: np.ndarray
    node_labels: np.ndarray | None = None
    node_attributes: np.ndarray | None = None
    source: str = ""

    @property
    def num_graphs(self) -> int:
        return int(self.y.shape[0])

    @property
    def num_nodes(self) -> int:
        return int(self.node_ptr[-1])


def tu_raw_dir(root: str | os.PathLike, name: str) -> Path:
    """``<root>/<name>/raw`` (the layout PyG's ``TUDataset`` expects)."""
    return Path(root) / name / "raw"


# --- parsing with line numbers ---------------------------------------------------------------


def _lines(path: Path) -> list[str]:
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    text = path.read_text()
    lines = text.split("\n")
    while lines and not lines[-1].strip():  # a final newline (or several) is not a row
        lines.pop()
    if not lines:
        raise InputError(f"{path}: empty file")
    return lines


def _table(path: Path, dtype: type, what: str) -> np.ndarray:
    """Rows of comma/space separated numbers, shape (rows, cols); the error names the line."""
    lines = _lines(path)
    ncol = len(lines[0].replace(",", " ").split())
    flat = None
    try:  # fast path: numpy parses the whole text at once
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            flat = np.fromstring(" ".join(lines).replace(",", " "), dtype=np.float64, sep=" ")
    except ValueError:
        flat = None
    if flat is not None and flat.shape[0] == ncol * len(lines) and ncol > 0:
        out = flat.reshape(len(lines), ncol)
        if dtype is np.int64:
            # inf and values past 2**53 pass `== round` but are no usable integers
            ok = np.isfinite(out) & (out == np.round(out)) & (np.abs(out) < 2.0**53)
            if not ok.all():
                bad = int(np.flatnonzero(~ok.all(axis=1))[0])
                raise InputError(f"{path}:{bad + 1}: expected {what} (integers), got "
                                 f"{lines[bad].strip()!r}")
            return out.astype(np.int64)
        with np.errstate(over="ignore"):  # past float32's range becomes inf: refused below
            out = out.astype(np.float32)
        if not np.isfinite(out).all():  # numpy parses 'nan'/'inf' happily
            i, j = (int(k) for k in np.argwhere(~np.isfinite(out))[0])
            tok = lines[i].replace(",", " ").split()[j]
            raise InputError(f"{path}:{i + 1}: expected finite {what}, got {tok!r} (value "
                             f"{j + 1} of the line; NaN, inf and values past float32's range "
                             "are not usable)")
        return out
    # slow path, only to say where the file is wrong
    for i, line in enumerate(lines):
        tokens = line.replace(",", " ").split()
        if len(tokens) != ncol:
            got = repr(line.strip()) if line.strip() else "an empty line"
            raise InputError(f"{path}:{i + 1}: expected {ncol} value(s) ({what}) as on line 1, "
                             f"got {got}")
        for tok in tokens:
            try:
                float(tok) if dtype is np.float32 else int(tok)
            except ValueError:
                raise InputError(f"{path}:{i + 1}: expected {what}, got {line.strip()!r}") from None
    raise InputError(f"{path}: could not be parsed as {what}")  # pragma: no cover


def check_node_labels(labels: np.ndarray, lines: np.ndarray, where: str,
                      what: str = "node label") -> None:
    """Refuse node labels that would make a nonsensical one-hot.

    ``labels`` is (N, L) int (one column per label kind), ``lines`` the 1-based line of each
    row in ``where``. Labels must be >= 0 (a negative id is a typo; PyG would silently shift
    every label by it), and each column's one-hot (width max - min + 1) may be at most
    ``max(ONE_HOT_PER_LABEL * distinct labels, ONE_HOT_ANY)`` wide. The error names the first
    line holding a label outside that range.
    """
    for c in range(labels.shape[1]):
        col = labels[:, c]
        kind = f"{what} (column {c + 1})" if labels.shape[1] > 1 else what
        if col.min() < 0:
            i = int(np.flatnonzero(col < 0)[0])
            raise InputError(f"{where}:{lines[i]}: {kind} {col[i]} is negative; expected "
                             "non-negative integer ids (0- or 1-based)")
        lo, hi, distinct = int(col.min()), int(col.max()), int(np.unique(col).size)
        limit = max(ONE_HOT_PER_LABEL * distinct, ONE_HOT_ANY)
        if hi - lo + 1 > limit:
            i = int(np.flatnonzero(col > lo + limit - 1)[0])
            raise InputError(f"{where}:{lines[i]}: {kind} {col[i]} is out of range: labels "
                             f"span {lo}..{hi}, a one-hot {hi - lo + 1} wide for {distinct} "
                             f"distinct labels; expected labels in {lo}..{lo + limit - 1} (at "
                             f"most max({ONE_HOT_PER_LABEL} x distinct, {ONE_HOT_ANY}) ids)")


def check_graph_labels(labels: np.ndarray, lines: np.ndarray, where: str) -> None:
    """Refuse a graph label held by fewer than :data:`MIN_CLASS_GRAPHS` graphs.

    ``labels`` is (G,) int, ``lines`` the 1-based line of each graph's label in ``where``. Such
    a class cannot be split into training and test graphs, and is most often a typo (a 7
    among +-1 labels); the error names the first line with it and the labels that are common.
    """
    values, first, counts = np.unique(labels, return_index=True, return_counts=True)
    rare = np.flatnonzero(counts < MIN_CLASS_GRAPHS)
    if rare.size:
        k = int(rare[np.argmin(first[rare])])
        common = [f"{v} ({n} graphs)" for v, n in zip(values.tolist(), counts.tolist())
                  if n >= MIN_CLASS_GRAPHS]
        others = ", ".join(common[:10]) + (", ..." if len(common) > 10 else "") or "none"
        raise InputError(f"{where}:{lines[first[k]]}: graph label {values[k]} is held by "
                         f"{counts[k]} graph(s); expected every label on at least "
                         f"{MIN_CLASS_GRAPHS} graphs (a class needs a training and a test "
                         f"graph): a typo? The other labels: {others}")


def validate_tu_raw(raw_dir: str | os.PathLike, name: str) -> dict[str, int]:
    """Check a TU raw folder for consistency before PyG reads it.

    Checks: the three required files exist; the graph indicator holds integers 1..G in
    non-decreasing order with every graph present; there is one graph label per graph and one
    node label / attribute row per node; every edge joins two known nodes of the same graph;
    every graph label is held by at least :data:`MIN_CLASS_GRAPHS` graphs
    (:func:`check_graph_labels`); node labels are non-negative and dense enough for a one-hot
    (:func:`check_node_labels`); node attributes are finite.

    Returns
    -------
    dict with ``graphs``, ``nodes``, ``edges`` (lines of ``_A.txt``).

    Raises
    ------
    InputError naming the file (and line) of the first problem found.
    """
    raw = Path(raw_dir)
    if not raw.is_dir():
        raise InputError(f"{raw}: TU raw folder not found (expected {name}_A.txt, "
                         f"{name}_graph_indicator.txt, {name}_graph_labels.txt there)")
    for part in REQUIRED:
        if not (raw / f"{name}_{part}.txt").is_file():
            raise InputError(f"{raw / f'{name}_{part}.txt'}: file not found (a TU dataset needs "
                             f"{', '.join(f'{name}_{p}.txt' for p in REQUIRED)})")
    ind_path = raw / f"{name}_graph_indicator.txt"
    ind = _table(ind_path, np.int64, "one graph id per node")
    if ind.shape[1] != 1:
        raise InputError(f"{ind_path}:1: expected one graph id per line, got {ind.shape[1]} values")
    ind = ind[:, 0]
    n = ind.shape[0]
    if ind.min() < 1:
        bad = int(np.argmin(ind))
        raise InputError(f"{ind_path}:{bad + 1}: graph id {ind[bad]}; ids start at 1")
    drop = np.flatnonzero(np.diff(ind) < 0)
    if drop.size:
        i = int(drop[0]) + 1
        raise InputError(f"{ind_path}:{i + 1}: graph id {ind[i]} after {ind[i - 1]}; nodes must be "
                         "listed graph by graph (non-decreasing ids)")
    g = int(ind.max())
    jumps = np.flatnonzero(np.diff(ind) > 1)
    if ind[0] != 1 or jumps.size:
        i = 0 if ind[0] != 1 else int(jumps[0]) + 1
        raise InputError(f"{ind_path}:{i + 1}: graph id {ind[i]} skips an id (graphs 1..{g} "
                         "must each own at least one node)")
    lab_path = raw / f"{name}_graph_labels.txt"
    labels = _table(lab_path, np.int64, "one integer class per graph")
    if labels.shape[0] != g:
        raise InputError(f"{lab_path} has {labels.shape[0]} lines but {ind_path.name} names {g} "
                         f"graphs (expected one label per graph: missing or extra labels)")
    check_graph_labels(labels[:, 0], np.arange(1, g + 1), str(lab_path))
    for part, dtype, what in (("node_labels", np.int64, "integer node labels"),
                              ("node_attributes", np.float32, "numeric node attributes")):
        path = raw / f"{name}_{part}.txt"
        if path.is_file():
            table = _table(path, dtype, what)
            if table.shape[0] != n:
                raise InputError(f"{path} has {table.shape[0]} lines but {ind_path.name} lists "
                                 f"{n} nodes (expected one line per node: truncated file?)")
            if part == "node_labels":
                check_node_labels(table, np.arange(1, n + 1), str(path))
    a_path = raw / f"{name}_A.txt"
    edges = _table(a_path, np.int64, "an edge 'i, j' of 1-based node ids")
    if edges.shape[1] != 2:
        raise InputError(f"{a_path}:1: expected two node ids per line ('i, j'), got "
                         f"{edges.shape[1]}")
    out_of_range = np.flatnonzero((edges < 1).any(axis=1) | (edges > n).any(axis=1))
    if out_of_range.size:
        i = int(out_of_range[0])
        raise InputError(f"{a_path}:{i + 1}: edge ({edges[i, 0]}, {edges[i, 1]}) names a node "
                         f"outside 1..{n} ({ind_path.name} lists {n} nodes)")
    cross = np.flatnonzero(ind[edges[:, 0] - 1] != ind[edges[:, 1] - 1])
    if cross.size:
        i = int(cross[0])
        a, b = edges[i]
        raise InputError(f"{a_path}:{i + 1}: edge ({a}, {b}) joins graph {ind[a - 1]} and graph "
                         f"{ind[b - 1]}; edges must stay within one graph")
    return {"graphs": g, "nodes": n, "edges": int(edges.shape[0])}


def read_tu(root: str | os.PathLike, name: str, *,
            workdir: str | os.PathLike | None = None) -> GraphArrays:
    """Read TU dataset ``name`` from ``<root>/<name>/raw/`` with PyG's ``TUDataset``.

    The raw files are validated (:func:`validate_tu_raw`), copied into a fresh scratch folder
    (under ``workdir`` when given, else the system temp dir) where PyG writes ``processed/``,
    and the scratch folder is removed afterwards. Node attributes and node labels are kept
    apart; edge labels/attributes are ignored (no method here uses them).
    """
    from torch_geometric.datasets import TUDataset  # heavy import, only when reading

    raw = tu_raw_dir(root, name)
    validate_tu_raw(raw, name)
    if workdir is not None:
        Path(workdir).mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"tu-{name}-", dir=workdir))
    try:
        shutil.copytree(raw, scratch / name / "raw")
        ds = TUDataset(str(scratch), name, use_node_attr=True)
        data, slices = ds._data, ds.slices
        n_attr, n_lab = ds.num_node_attributes, ds.num_node_labels
        x = None if data.x is None else data.x.numpy().astype(np.float32)
        attrs = x[:, :n_attr] if x is not None and n_attr else None
        labs = x[:, n_attr:n_attr + n_lab] if x is not None and n_lab else None
        ptr = slices["x"].numpy() if "x" in slices else None
        edge_slices = slices["edge_index"].numpy()
        if ptr is None:  # no node features at all: sizes from the indicator file
            ind = _table(raw / f"{name}_graph_indicator.txt", np.int64, "graph ids")[:, 0]
            ptr = np.concatenate([[0], np.cumsum(np.bincount(ind - 1))])
        ptr = ptr.astype(np.int64)
        # PyG stores each graph's edges with local ids; make them global again.
        local = data.edge_index.numpy().astype(np.int64)
        counts = np.diff(edge_slices)
        edge_index = local + np.repeat(ptr[:-1], counts)[None, :]
        raw_labels = _table(raw / f"{name}_graph_labels.txt", np.int64, "graph labels")[:, 0]
        values = np.unique(raw_labels)
        return GraphArrays(
            edge_index=edge_index, node_ptr=ptr, y=data.y.numpy().astype(np.int64),
            label_values=values.astype(np.int64), node_labels=labs, node_attributes=attrs,
            source=str(raw),
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def write_tu_raw(arrays: GraphArrays, root: str | os.PathLike, name: str) -> Path:
    """Write ``arrays`` as TU raw files under ``<root>/<name>/raw`` (for tests and for
    converting GIN-text datasets so ``TUDataset`` can read them). Node labels are written as
    the arg-max of the one-hot columns (one label column)."""
    from imbgraph.io.atomic import write_text

    raw = tu_raw_dir(root, name)
    ind = np.repeat(np.arange(1, arrays.num_graphs + 1), np.diff(arrays.node_ptr))
    write_text("\n".join(f"{a + 1}, {b + 1}" for a, b in arrays.edge_index.T) + "\n",
               raw / f"{name}_A.txt")
    write_text("\n".join(map(str, ind)) + "\n", raw / f"{name}_graph_indicator.txt")
    write_text("\n".join(map(str, arrays.label_values[arrays.y])) + "\n",
               raw / f"{name}_graph_labels.txt")
    if arrays.node_labels is not None:
        write_text("\n".join(map(str, arrays.node_labels.argmax(axis=1))) + "\n",
                   raw / f"{name}_node_labels.txt")
    if arrays.node_attributes is not None:
        write_text("\n".join(", ".join(f"{v:.6f}" for v in row)
                             for row in arrays.node_attributes) + "\n",
                   raw / f"{name}_node_attributes.txt")
    return raw
