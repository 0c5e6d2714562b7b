"""Reader for Planetoid raw files (Cora, CiteSeer, PubMed): ``<root>/<Name>/raw/ind.<name>.*``.

The eight files (``x, tx, allx, y, ty, ally, graph, test.index``) are Python pickles (and one
text file) as published by Yang et al. (2016). They are parsed by PyG's own raw reader
(``torch_geometric.io.read_planetoid_data``, what ``Planetoid.process`` calls), which reads
them in place and writes nothing: the data root is never written to, and there is no
``processed/`` folder to copy around. Each file is first loaded on its own so that a missing,
truncated or malformed one raises :class:`InputError` naming it.

Class names: Planetoid stores one-hot labels without names. The names below are the LINQS
class names matched to Planetoid ids by class size (all sizes differ; see REFERENCES.md):
Cora sizes [351, 217, 418, 818, 426, 298, 180]; other datasets get ``class_<i>``. CiteSeer's
15 test-index gaps are isolated nodes PyG fills with zero features and label 0 (its
convention, kept). The raw files are pickles: read only files from a trusted source.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from imbgraph.errors import InputError

__all__ = ["CORA_CLASS_ORDER", "PLANETOID_CLASS_NAMES", "PLANETOID_FILES", "last_classes",
           "planetoid_raw_dir", "read_planetoid", "relabel"]

PLANETOID_FILES = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")

# Planetoid id -> LINQS class name, matched by class size.
PLANETOID_CLASS_NAMES: dict[str, tuple[str, ...]] = {
    "cora": ("Theory", "Reinforcement_Learning", "Genetic_Algorithms", "Neural_Networks",
             "Probabilistic_Methods", "Case_Based", "Rule_Learning"),
    # sizes [264 (249 + 15 isolated), 590, 668, 701, 596, 508]
    "citeseer": ("AI", "ML", "IR", "DB", "Agents", "HCI"),
}


#: Cora's class names in the order each loader numbers them. DGL's ``CoraGraphDataset``
#: (ECGN's code) parses the same Planetoid pickles and takes the arg-max of the one-hot
#: labels, so its ids are Planetoid's (2,708 nodes, 10,556 directed edges in both);
#: GraphSMOTE's loader (data_load.py ``load_data``) reads the LINQS ``cora.content`` and
#: fixes its own ``classes_dict``.
CORA_CLASS_ORDER: dict[str, tuple[str, ...]] = {
    "planetoid": PLANETOID_CLASS_NAMES["cora"],
    "dgl": PLANETOID_CLASS_NAMES["cora"],
    "graphsmote": ("Neural_Networks", "Reinforcement_Learning", "Probabilistic_Methods",
                   "Case_Based", "Theory", "Rule_Learning", "Genetic_Algorithms"),
}


def last_classes(order: str, count: int) -> tuple[str, ...]:
    """The names of the last ``count`` class ids of a loader's Cora numbering
    (:data:`CORA_CLASS_ORDER`): the minority classes of both codes' artificial splits
    (GraphSMOTE main.py: ``i > labels.max() - im_class_num``; ECGN datasets/utils.py
    ``split_arti``: ``i >= num_classes - num_of_imbalanced_classes``), 3 on Cora. GraphSMOTE:
    Theory, Rule_Learning, Genetic_Algorithms; ECGN through DGL: Probabilistic_Methods,
    Case_Based, Rule_Learning."""
    if order not in CORA_CLASS_ORDER:
        raise ValueError(f"order = {order!r}; expected one of {sorted(CORA_CLASS_ORDER)}")
    names = CORA_CLASS_ORDER[order]
    if not 0 < count <= len(names):
        raise ValueError(f"count = {count}; expected 1 .. {len(names)}")
    return names[len(names) - count:]


def relabel(y: np.ndarray, source: str, target: str) -> np.ndarray:
    """Cora labels ``y`` numbered as loader ``source`` numbered as loader ``target``
    (:data:`CORA_CLASS_ORDER`), matched by class name."""
    src, dst = CORA_CLASS_ORDER[source], CORA_CLASS_ORDER[target]
    table = np.array([dst.index(name) for name in src], dtype=np.int64)
    return table[np.asarray(y, dtype=np.int64)]


def planetoid_raw_dir(root: str | os.PathLike, name: str) -> Path:
    """``<root>/<Name>/raw``, the layout PyG's ``Planetoid(root, name)`` expects."""
    return Path(root) / name / "raw"


def _check_files(folder: Path, prefix: str) -> None:
    from torch_geometric.io.planetoid import read_file

    for part in PLANETOID_FILES:
        path = folder / f"ind.{prefix}.{part}"
        if not path.is_file():
            raise InputError(f"{path}: Planetoid raw file not found (expected the eight files "
                             f"ind.{prefix}.{{{','.join(PLANETOID_FILES)}}} in {folder})")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = read_file(str(folder), prefix, part)
        except Exception as err:  # pickle raises many types on truncated or foreign bytes
            raise InputError(f"{path}: not a readable Planetoid '{part}' file "
                             f"({type(err).__name__}: {err}); expected the published "
                             "pickle/text file, untruncated") from None
        if part == "graph" and not isinstance(out, dict):
            raise InputError(f"{path}: expected a pickled dict of adjacency lists, got "
                             f"{type(out).__name__}")


def read_planetoid(root: str | os.PathLike, name: str, *, public: bool = False) -> tuple:
    """Read ``<root>/<name>/raw/ind.<name>.*`` (``name`` as PyG spells it: Cora, CiteSeer).

    Returns
    -------
    x : ndarray (n, d) float32 bag-of-words features
    edge_index : ndarray (2, E) int64, as PyG builds it (both directions)
    y : ndarray (n,) int64 class ids
    class_names : tuple of str (LINQS names for Cora and CiteSeer, else ``class_<i>``)
    public : with ``public=True`` only: ndarray (n,) int8, the public split as PyG's masks
        give it (0 none, 1 train: the first 20 x C nodes, 2 validation: the next 500,
        3 test: the 1000 of ``test.index``)

    Raises
    ------
    InputError
        naming the first missing or unreadable raw file, or the folder when the files do not
        fit together.
    """
    from torch_geometric.io.planetoid import read_planetoid_data

    folder = planetoid_raw_dir(root, name)
    prefix = name.lower()
    _check_files(folder, prefix)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = read_planetoid_data(str(folder), prefix)
    except Exception as err:
        raise InputError(f"{folder}: the Planetoid raw files do not fit together "
                         f"({type(err).__name__}: {err})") from None
    x = data.x.numpy().astype(np.float32)
    y = data.y.numpy().astype(np.int64)
    n_classes = int(y.max()) + 1 if y.size else 0
    names = PLANETOID_CLASS_NAMES.get(prefix)
    if names is None or len(names) != n_classes:
        names = tuple(f"class_{i}" for i in range(n_classes))
    out = (x, data.edge_index.numpy().astype(np.int64), y, names)
    if not public:
        return out
    codes = np.zeros(y.shape[0], dtype=np.int8)
    for code, mask in ((1, data.train_mask), (2, data.val_mask), (3, data.test_mask)):
        codes[mask.numpy()] = code
    return (*out, codes)
