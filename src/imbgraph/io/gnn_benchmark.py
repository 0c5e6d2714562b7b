"""Reader for the gnn-benchmark ``.npz`` graphs of Shchur et al. (2018): Amazon Computers and
Photo (``amazon_electronics_*.npz``), Coauthor CS and Physics (``ms_academic_*.npz``).

The arrays are parsed by PyG's own reader (``torch_geometric.io.read_npz``, what ``Amazon``
and ``Coauthor`` call: binary bag-of-words features, edges made undirected, self loops
removed), in place, so nothing is written beside the file. A ``.zip`` holding exactly one
``.npz`` (how the shared data folder ships them) is extracted into a temporary directory
first. Class names come from the file's ``class_names`` array when present.

Coauthor CS and Physics store ``class_names`` as a numpy *object* array, i.e. a pickle, which
``np.load(allow_pickle=False)`` refuses. Nothing is unpickled with the general machinery: the
member is decoded by an unpickler that may build nothing but a one-dimensional numpy array of
strings (:func:`_decode_names`); anything else (any other global a pickle names) is refused,
and the reader falls back to ``class_<i>`` names.
"""

from __future__ import annotations

import codecs
import io
import logging
import os
import pickle
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from imbgraph.errors import InputError
from imbgraph.io.checks import check_finite_features

__all__ = ["read_gnn_benchmark"]

log = logging.getLogger(__name__)

_REQUIRED = ("adj_data", "adj_indices", "adj_indptr", "adj_shape", "attr_data",
             "attr_indices", "attr_indptr", "attr_shape", "labels")


def _multiarray():
    core = getattr(np, "_core", None)  # numpy >= 2 (numpy.core is its deprecated alias)
    return core.multiarray if core is not None else np.core.multiarray


class _NamesUnpickler(pickle.Unpickler):
    """Builds what a pickled numpy object array of strings needs and nothing else: numpy's
    array reconstruction, ``ndarray``, ``dtype`` and ``_codecs.encode`` (how protocol-2
    pickles spell bytes). Any other global raises :class:`pickle.UnpicklingError`."""

    def find_class(self, module: str, name: str):
        allowed = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray",
                                                                "_reconstruct"),
                   ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode")}
        if (module, name) not in allowed:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a class "
                                         "name array")
        if name == "_reconstruct":
            return _multiarray()._reconstruct
        if module == "_codecs":
            return codecs.encode
        return getattr(np, name)


def _decode_names(raw: bytes) -> tuple[str, ...] | None:
    """The strings of a ``.npy`` member holding a 1-D array of str (unicode, or an object
    array of str decoded by :class:`_NamesUnpickler`); None for anything else."""
    f = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(f)
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        shape, _, dtype = read_header(f)
        if dtype.hasobject:
            arr = _NamesUnpickler(f).load()
        else:
            f.seek(0)
            arr = np.load(f, allow_pickle=False)
    except (ValueError, EOFError, pickle.UnpicklingError, TypeError, AttributeError) as err:
        log.warning("class_names not decoded (%s: %s); using class_<i>", type(err).__name__,
                    err)
        return None
    if (not isinstance(arr, np.ndarray) or arr.ndim != 1 or tuple(arr.shape) != tuple(shape)
            or not all(isinstance(s, str) for s in arr.tolist())):
        return None
    return tuple(arr.tolist())


def _read_npz(path: Path, shown: str) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                               tuple[str, ...]]:
    from torch_geometric.io import read_npz

    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in _REQUIRED if k not in f.files]
            has_names = "class_names" in f.files
        names = None
        if has_names:  # read as bytes: an object array would need np.load's unpickling
            with zipfile.ZipFile(path) as zf:
                names = _decode_names(zf.read("class_names.npy"))
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise InputError(f"{shown}: not a readable .npz archive ({type(err).__name__}: "
                         f"{err})") from None
    if missing:
        raise InputError(f"{shown}: not a gnn-benchmark graph: arrays {missing} are missing "
                         f"(expected {list(_REQUIRED)})")
    try:
        data = read_npz(str(path), to_undirected=True)
    except Exception as err:
        raise InputError(f"{shown}: the gnn-benchmark arrays do not fit together "
                         f"({type(err).__name__}: {err})") from None
    y = data.y.numpy().astype(np.int64)
    # A label outside the classes would otherwise surface far away: as a NodeGraph error
    # without the file, or as an "unknown class" of the config once the names are dropped.
    if y.size and y.min() < 0:
        i = int(np.argmin(y))
        raise InputError(f"{shown}: labels[{i}] = {int(y[i])}; expected class ids >= 0")
    if names is not None and y.size and y.max() >= len(names):
        i = int(np.argmax(y))
        raise InputError(f"{shown}: labels[{i}] = {int(y[i])} is outside the "
                         f"{len(names)} classes of its class_names (expected ids in "
                         f"[0, {len(names)}))")
    n_classes = int(y.max()) + 1 if y.size else 0
    if names is None or len(names) != n_classes:
        names = tuple(f"class_{i}" for i in range(n_classes))
    x = data.x.numpy().astype(np.float32)
    check_finite_features(x, shown)
    return x, data.edge_index.numpy().astype(np.int64), y, names



def read_gnn_benchmark(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                         tuple[str, ...]]:
    """Read one gnn-benchmark graph from its ``.npz`` (or a ``.zip`` holding one ``.npz``).

    Returns
    -------
    x : ndarray (n, d) float32 binary features
    edge_index : ndarray (2, E) int64, both directions, no self loops
    y : ndarray (n,) int64 class ids
    class_names : tuple of str

    Raises
    ------
    InputError
        naming the file when it is missing, not an npz/zip, lacks an array or is truncated.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: gnn-benchmark file not found (expected an .npz such as "
                         "amazon_electronics_computers.npz, or a .zip holding one)")
    if path.suffix.lower() != ".zip":
        return _read_npz(path, str(path))
    try:
        with zipfile.ZipFile(path) as zf:
            members = [m for m in zf.namelist()
                       if m.lower().endswith(".npz") and not m.startswith("__MACOSX")]
            if len(members) != 1:
                raise InputError(f"{path}: expected exactly one .npz inside the zip, found "
                                 f"{members}")
            with tempfile.TemporaryDirectory(prefix="imbgraph-npz-") as tmp:
                target = Path(tmp) / Path(members[0]).name
                with zf.open(members[0]) as src, open(target, "wb") as dst:
                    while chunk := src.read(1 << 20):
                        dst.write(chunk)
                return _read_npz(target, f"{path}!{members[0]}")
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        raise InputError(f"{path}: not a readable zip ({type(err).__name__}: {err})") from None
