"""Reader for the GIN / DGCNN text format of graph collections.

D&D, REDDIT-BINARY and COLLAB circulate in this form (the GIN and DGCNN repositories, IHGNN's
copies in ``shared/datasets/gin/*.zip``)::

    G                      line 1: number of graphs
    n label                per graph: its node count and class
    tag m nbr_1 ... nbr_m  per node of that graph: node tag, degree, neighbours (0-based
                           within the graph), optionally followed by float attributes

The file is parsed at once with numpy (COLLAB's 84 MB in about a second): the token stream and
the number of tokens on each line are enough to find every node's tag, degree and neighbours
without a Python loop over nodes. Malformed input raises :class:`~imbgraph.errors.InputError`
naming the file (the zip member) and line. The TU reader's value checks apply too: node tags
(when they vary) as node labels (:func:`~imbgraph.io.tu.check_node_labels`), graph labels
(:func:`~imbgraph.io.tu.check_graph_labels`), and attributes must be finite. A ``.zip`` is
read directly (the member named ``<NAME>.txt``, macOS junk and ``10fold_idx/`` ignored).
"""

from __future__ import annotations

import os
import warnings
import zipfile
from pathlib import Path

import numpy as np

from imbgraph.errors import InputError
from imbgraph.io.tu import GraphArrays, check_graph_labels, check_node_labels

__all__ = ["read_gin_text", "parse_gin_text", "write_gin_text"]


def _zip_member(path: Path, name: str | None) -> str:
    with zipfile.ZipFile(path) as zf:
        members = [m for m in zf.namelist()
                   if m.endswith(".txt") and "__MACOSX" not in m and "10fold_idx" not in m
                   and not Path(m).name.startswith(".")]
    if name is not None:
        wanted = [m for m in members if Path(m).name == f"{name}.txt"]
        if wanted:
            return wanted[0]
    if len(members) == 1:
        return members[0]
    raise InputError(f"{path}: expected one GIN text file <NAME>.txt in the zip"
                     f"{f' (NAME = {name!r})' if name else ''}; found {sorted(members)}")


def read_gin_text(path: str | os.PathLike, *, name: str | None = None) -> GraphArrays:
    """Read a GIN-format text file, or the ``<name>.txt`` inside a zip, into :class:`GraphArrays`.

    Node tags become one-hot node labels (tag - min tag, width max + 1, as PyG does for TU node
    labels); a file whose nodes all carry the same tag has no node labels (REDDIT-BINARY,
    COLLAB). Float attributes after the neighbour list become node attributes.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    if path.suffix == ".zip":
        member = _zip_member(path, name)
        with zipfile.ZipFile(path) as zf:
            data = zf.read(member)
        return parse_gin_text(data, source=f"{path}:{member}")
    return parse_gin_text(path.read_bytes(), source=str(path))


def _line_of_tokens(buf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """0-based line number of every whitespace-separated token, and each line's token count."""
    newline = buf == 10
    ws = newline | (buf == 32) | (buf == 9) | (buf == 13)
    starts = np.flatnonzero(~ws & np.concatenate([[True], ws[:-1]]))
    nl = np.flatnonzero(newline)
    line = np.searchsorted(nl, starts)
    n_lines = int(nl.shape[0]) + 1
    return line, np.bincount(line, minlength=n_lines)


def _bad_token_line(text: str) -> tuple[int, str]:
    for i, line in enumerate(text.split("\n")):
        for tok in line.split():
            try:
                float(tok)
            except ValueError:
                return i, line
    return -1, ""  # pragma: no cover


def parse_gin_text(data: bytes, *, source: str = "<bytes>") -> GraphArrays:
    """Parse GIN text ``data`` (see the module docstring); ``source`` names it in errors."""
    buf = np.frombuffer(data, dtype=np.uint8)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            tok = np.fromstring(data, dtype=np.float64, sep=" ")
    except ValueError:
        i, line = _bad_token_line(data.decode("utf-8", "replace"))
        raise InputError(f"{source}:{i + 1}: expected numbers, got {line.strip()!r}") from None
    line_of, per_line = _line_of_tokens(buf)
    if tok.shape[0] != line_of.shape[0]:
        i, line = _bad_token_line(data.decode("utf-8", "replace"))
        raise InputError(f"{source}:{i + 1}: expected numbers, got {line.strip()!r}")
    if tok.shape[0] == 0:
        raise InputError(f"{source}: empty file (expected the number of graphs on line 1)")
    first = np.concatenate([[0], np.cumsum(per_line)[:-1]])  # index of each line's first token

    def ints(values: np.ndarray, lines: np.ndarray, what: str) -> np.ndarray:
        bad = np.flatnonzero(values != np.round(values))
        if bad.size:
            raise InputError(f"{source}:{lines[bad[0]] + 1}: expected an integer {what}, got "
                             f"{values[bad[0]]}")
        return values.astype(np.int64)

    if per_line[0] != 1:
        raise InputError(f"{source}:1: expected the number of graphs alone on line 1, got "
                         f"{per_line[0]} values")
    n_graphs = int(ints(tok[:1], np.array([0]), "number of graphs")[0])
    if n_graphs < 1:
        raise InputError(f"{source}:1: number of graphs = {n_graphs}; expected >= 1")
    # Walk the graph headers (one step per graph: the header position depends on the previous
    # graph's node count). Node lines are then handled all at once.
    nonempty = np.flatnonzero(per_line > 0)
    headers = np.empty(n_graphs, dtype=np.int64)
    sizes = np.empty(n_graphs, dtype=np.int64)
    labels = np.empty(n_graphs, dtype=np.int64)
    pos = 1  # index into `nonempty` (blank lines are skipped)
    for g in range(n_graphs):
        if pos >= nonempty.shape[0]:
            last = int(nonempty[-1]) + 1
            raise InputError(f"{source}: ends at line {last} after {g} of {n_graphs} graphs "
                             "(truncated file?)")
        line = int(nonempty[pos])
        if per_line[line] != 2:
            raise InputError(f"{source}:{line + 1}: expected a graph header 'n label' (graph "
                             f"{g + 1} of {n_graphs}), got {per_line[line]} values")
        n, lab = tok[first[line]], tok[first[line] + 1]
        n, lab = ints(np.array([n, lab]), np.array([line, line]), "node count / label")
        if n < 1:
            raise InputError(f"{source}:{line + 1}: graph {g + 1} has {n} nodes; expected >= 1")
        headers[g], sizes[g], labels[g] = line, n, lab
        present = nonempty.shape[0] - pos - 1
        if present < n:
            raise InputError(f"{source}: graph {g + 1} (header on line {line + 1}) declares {n} "
                             f"nodes but the file ends after {present} of them (truncated file?)")
        pos += 1 + n
    if pos < nonempty.shape[0]:
        extra = int(nonempty[pos])
        raise InputError(f"{source}:{extra + 1}: unexpected data after the {n_graphs} graphs "
                         "that line 1 announces")
    # Node lines: the n non-empty lines after each header.
    hdr_pos = np.searchsorted(nonempty, headers)
    node_lines = nonempty[np.repeat(hdr_pos + 1, sizes) + _ranges(sizes)]
    cnt = per_line[node_lines]
    start = first[node_lines]
    short = np.flatnonzero(cnt < 2)
    if short.size:
        i = int(node_lines[short[0]])
        raise InputError(f"{source}:{i + 1}: expected a node line 'tag m nbr_1 ... nbr_m', got "
                         f"{cnt[short[0]]} value(s)")
    tags = ints(tok[start], node_lines, "node tag")
    deg = ints(tok[start + 1], node_lines, "neighbour count m")
    n_attr = cnt - 2 - deg
    bad = np.flatnonzero((deg < 0) | (n_attr < 0))
    if bad.size:
        i = int(bad[0])
        raise InputError(f"{source}:{node_lines[i] + 1}: node line declares m = {deg[i]} "
                         f"neighbours but holds {cnt[i] - 2}")
    if (n_attr != n_attr[0]).any():
        i = int(np.flatnonzero(n_attr != n_attr[0])[0])
        raise InputError(f"{source}:{node_lines[i] + 1}: {n_attr[i]} attribute values after the "
                         f"neighbours, but line {node_lines[0] + 1} has {n_attr[0]}")
    graph_of_node = np.repeat(np.arange(n_graphs), sizes)
    node_ptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    nbr_pos = np.repeat(start + 2, deg) + _ranges(deg)
    src = np.repeat(np.arange(node_ptr[-1]), deg)
    nbr = ints(tok[nbr_pos], node_lines[src], "neighbour id")
    n_of_src = sizes[graph_of_node[src]]
    bad = np.flatnonzero((nbr < 0) | (nbr >= n_of_src))
    if bad.size:
        i = int(bad[0])
        raise InputError(f"{source}:{node_lines[src[i]] + 1}: neighbour {nbr[i]} outside 0.."
                         f"{n_of_src[i] - 1} (the graph has {n_of_src[i]} nodes, ids are 0-based)")
    dst = nbr + node_ptr[graph_of_node[src]]
    keep = src != dst  # self loops dropped, as PyG does for TU files
    # sort-based unique (np.unique is slow on 25M keys); keys are >= 0, so prepending -1 keeps
    # the first key, and an edgeless file gives no edges rather than an index error
    key = np.sort(src[keep] * node_ptr[-1] + dst[keep])
    key = key[np.diff(key, prepend=-1) != 0]
    edge_index = np.stack([key // node_ptr[-1], key % node_ptr[-1]]).astype(np.int64)
    check_graph_labels(labels, headers + 1, source)
    attrs = None
    if n_attr[0] > 0:
        a_pos = np.repeat(start + 2 + deg, n_attr) + _ranges(n_attr)
        with np.errstate(over="ignore"):  # past float32's range becomes inf: refused below
            attrs = tok[a_pos].reshape(-1, int(n_attr[0])).astype(np.float32)
        if not np.isfinite(attrs).all():  # numpy parses 'nan'/'inf' happily
            k, j = (int(i) for i in np.argwhere(~np.isfinite(attrs))[0])
            raise InputError(f"{source}:{node_lines[k] + 1}: node attribute {j + 1} is "
                             f"{tok[a_pos[k * int(n_attr[0]) + j]]}; expected finite numbers "
                             "(NaN, inf and values past float32's range are not usable)")
    node_labels = None
    if (tags != tags[0]).any():  # one tag for all nodes (REDDIT, COLLAB) gives no labels
        check_node_labels(tags[:, None], node_lines + 1, source, what="node tag")
        t = tags - tags.min()
        node_labels = np.zeros((t.shape[0], int(t.max()) + 1), dtype=np.float32)
        node_labels[np.arange(t.shape[0]), t] = 1.0
    values, y = np.unique(labels, return_inverse=True)
    return GraphArrays(edge_index=edge_index, node_ptr=node_ptr, y=y.astype(np.int64),
                       label_values=values.astype(np.int64), node_labels=node_labels,
                       node_attributes=attrs, source=source)


def _ranges(lengths: np.ndarray) -> np.ndarray:
    """0..l-1 for every l in ``lengths``, concatenated (vectorised)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.arange(total, dtype=np.int64) - offsets


def write_gin_text(arrays: GraphArrays, path: str | os.PathLike) -> None:
    """Write ``arrays`` in the GIN text format (tags = arg-max node label, 0 when none);
    used by tests and to hand collections to GIN-format tools."""
    from imbgraph.io.atomic import write_text

    ptr = arrays.node_ptr
    src, dst = arrays.edge_index
    tags = (arrays.node_labels.argmax(axis=1) if arrays.node_labels is not None
            else np.zeros(arrays.num_nodes, dtype=np.int64))
    order = np.lexsort((dst, src))
    src, dst = src[order], dst[order]
    bounds = np.searchsorted(src, np.arange(arrays.num_nodes + 1))
    out = [str(arrays.num_graphs)]
    for g in range(arrays.num_graphs):  # a writer for tests; size is no concern here
        lo, hi = int(ptr[g]), int(ptr[g + 1])
        out.append(f"{hi - lo} {arrays.label_values[arrays.y[g]]}")
        for v in range(lo, hi):
            nbrs = dst[bounds[v]:bounds[v + 1]] - lo
            out.append(" ".join(map(str, [tags[v], len(nbrs), *nbrs.tolist()])))
    write_text("\n".join(out) + "\n", path)
