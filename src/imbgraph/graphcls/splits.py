"""Imbalanced train / validation / test splits of a graph collection (``SPLITS``).

* ``class_imbalance`` (UniImb's class-imbalance scripts). Binary: ``train`` and ``val``
  graphs (per-dataset sizes from the paper's scripts: MUTAG 50, PTC_MR 90, DHFR 120, PROTEINS
  and DD 300, REDDIT-B and AIDS 500, NCI1 1000, each for training and again for validation),
  of which ``ratio`` (0.1) belong to the minority class. Multi-class: ``multiclass_train``
  (25%) of all graphs for training with an exponential class profile whose largest / smallest
  count is ``rho`` (100), and ``multiclass_val`` (10%) of all graphs for validation, equally per
  class. The remaining graphs are the test set (``test: rest``, as the code does), or a
  class-balanced draw of them (``test: balanced``).
* ``topology_imbalance`` (UniImb's topology scripts). Graphs sorted by node count; those
  larger than the size at rank ``head_fraction`` (20%) are the head. ``train_fraction`` and
  ``val_fraction`` (10% each) of all graphs, equally per class, of which only ``head_share``
  (10%) come from the head; the rest is the test set. ``head_order: largest`` takes the
  largest head graphs first (the code's ``high`` mode), ``random`` draws them at random.
* ``igl_class`` (IGL-Bench's graph class imbalance). ``train_fraction`` (10%) of all graphs
  for training with class i (``order: size``: ranked by size; ``index``: from the last class
  id down) getting n_max * rho^(-i/(C-1)) graphs, ``val_fraction`` (10%) for validation
  equally per class, the rest for testing. IGL-Bench's code (``load_graph.get_class_num``)
  gives two-class collections int(0.9 x train) graphs of class 1 and the rest to class 0
  whatever the class sizes (``order: index``, ``rho: 9``), and ranks more classes by size
  with ratio 100 at "high" (``order: size``, ``rho: 100``).

Every split is drawn from ``numpy.random.default_rng(seed)``: one split per run seed (UniImb
draws a new split per run), or a fixed one when the protocol sets ``split_seed`` (IGL-Bench).
A dataset too small for the request raises :class:`~imbgraph.errors.ConfigError` naming the key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from imbgraph.errors import ConfigError, InputError
from imbgraph.io.atomic import read_json, write_json

__all__ = ["GraphSplit", "SPLITS", "make_split", "upsample", "read_graph_split",
           "write_graph_split", "multiclass_train_counts", "head_mask"]


@dataclass(frozen=True)
class GraphSplit:
    """Graph ids (int64, into the collection) of the three parts; ``info`` says how the split
    was made (protocol, per-class counts, head boundary, ...)."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    info: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for part in ("train", "val", "test"):
            object.__setattr__(self, part, np.asarray(getattr(self, part), dtype=np.int64))
        every = np.concatenate([self.train, self.val, self.test])
        if np.unique(every).shape[0] != every.shape[0]:
            raise ValueError("a graph is in more than one part of the split")


def write_graph_split(split: GraphSplit, path: str | os.PathLike) -> None:
    write_json({"train": split.train.tolist(), "val": split.val.tolist(),
                "test": split.test.tolist(), "info": split.info}, path)


def read_graph_split(path: str | os.PathLike, n_graphs: int | None = None) -> GraphSplit:
    """Read a split written by :func:`write_graph_split`; ids are checked against ``n_graphs``.
    (Graph ids in JSON: the node family's ``read_split`` reads node ids of every seed from one
    Parquet file, the face family's a features / labels pair.)"""
    try:
        obj = read_json(path)
    except FileNotFoundError:
        raise InputError(f"{path}: split file not found") from None
    except ValueError as err:
        raise InputError(f"{path}: not a JSON split file: {err}") from None
    if not isinstance(obj, dict) or not {"train", "val", "test"} <= set(obj):
        raise InputError(f"{path}: expected an object with train, val and test id lists")
    for part in ("train", "val", "test"):
        ids = np.asarray(obj[part])
        if ids.size and (ids.dtype.kind not in "iu" or ids.min() < 0 or
                         (n_graphs is not None and ids.max() >= n_graphs)):
            raise InputError(f"{path}: {part} ids must be integers in [0, {n_graphs})")
    try:
        return GraphSplit(obj["train"], obj["val"], obj["test"], obj.get("info", {}))
    except ValueError as err:
        raise InputError(f"{path}: {err}") from None


# --- helpers -----------------------------------------------------------------------------------


def _need(counts: np.ndarray, need: np.ndarray, where: str, what: str) -> None:
    short = np.flatnonzero(counts < need)
    if short.size:
        c = int(short[0])
        raise ConfigError(f"{where}: class {c} has {counts[c]} graphs but the split needs "
                          f"{need[c]} ({what}); lower the sizes or pick another dataset")


def _take(y: np.ndarray, rng: np.random.Generator, n_train: np.ndarray, n_val: np.ndarray,
          test: str, where: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per class: a seeded permutation, the first n_train for training, the next n_val for
    validation, the rest for testing (then balanced on request)."""
    n_cls = n_train.shape[0]
    counts = np.bincount(y, minlength=n_cls)
    _need(counts, n_train + n_val + 1, where, "training + validation + at least one test graph")
    train, val, rest = [], [], []
    for c in range(n_cls):  # C is 2-10: a loop over classes, not graphs
        members = np.flatnonzero(y == c)
        members = members[rng.permutation(members.shape[0])]
        train.append(members[:n_train[c]])
        val.append(members[n_train[c]:n_train[c] + n_val[c]])
        rest.append(members[n_train[c] + n_val[c]:])
    if test == "balanced":
        m = min(r.shape[0] for r in rest)
        rest = [r[:m] for r in rest]
    elif test != "rest":
        raise ConfigError(f"{where}.test = {test!r}; expected 'rest' or 'balanced'")
    return np.concatenate(train), np.concatenate(val), np.concatenate(rest)


def multiclass_train_counts(num_train: int, n_cls: int, rho: float) -> list[int]:
    """Training graphs per class rank (largest class first) for UniImb's multi-class split.

    An exponential profile from n_max down to n_max / rho, scaled to ``num_train``, then the
    ends set so that first = rho x last exactly (the code's arithmetic, with Python's round).
    Example: (1250, 3, 100) -> [1100, 112, 11] (COLLAB); (375, 3, 100) -> [300, 34, 3].
    """
    top = num_train / (1 + (n_cls - 2) + 1 / rho)
    low = top / rho
    mu = (low / top) ** (1 / (n_cls - 1))
    counts = [round(top)] + [round(top * mu ** i) for i in range(1, n_cls - 1)] + [round(low)]
    scale = num_train / sum(counts)
    counts = [round(c * scale) for c in counts]
    counts[-1] = round(counts[0] / rho)
    counts[0] = round(counts[-1] * rho)
    return counts


def _rank_by_size(y: np.ndarray, n_cls: int) -> np.ndarray:
    """Class ids from the largest class to the smallest (ties: lower id first)."""
    counts = np.bincount(y, minlength=n_cls)
    return np.lexsort((np.arange(n_cls), -counts))


# --- protocols ---------------------------------------------------------------------------------


def class_imbalance(y: np.ndarray, sizes: np.ndarray, rng: np.random.Generator, *,
                    where: str = "split", train: int | None = None, val: int | None = None,
                    ratio: float = 0.1, minority: int | None = None,
                    multiclass_train: float = 0.25, multiclass_val: float = 0.1,
                    rho: float = 100.0, test: str = "rest") -> GraphSplit:
    n_cls = int(y.max()) + 1
    n = y.shape[0]
    if n_cls == 2:
        if train is None or val is None:
            raise ConfigError(f"{where}: a binary dataset needs train and val sizes "
                              "(UniImb: PROTEINS 300 / 300, NCI1 1000 / 1000, ...)")
        counts = np.bincount(y, minlength=2)
        mino = int(np.argmin(counts)) if minority is None else int(minority)
        if mino not in (0, 1):
            raise ConfigError(f"{where}.minority = {minority!r}; expected 0, 1 or null")
        n_train = np.full(2, train - int(ratio * train))
        n_val = np.full(2, val - int(ratio * val))
        n_train[mino], n_val[mino] = int(ratio * train), int(ratio * val)
    else:
        order = _rank_by_size(y, n_cls)
        n_train = np.zeros(n_cls, dtype=np.int64)
        n_train[order] = multiclass_train_counts(int(n * multiclass_train), n_cls, rho)
        n_val = np.full(n_cls, int(n * multiclass_val / n_cls))
        mino = int(order[-1])
    tr, va, te = _take(y, rng, n_train, n_val, test, where)
    info = {"protocol": "class_imbalance", "train_per_class": n_train.tolist(),
            "val_per_class": n_val.tolist(), "minority": mino,
            "test_per_class": np.bincount(y[te], minlength=n_cls).tolist()}
    return GraphSplit(tr, va, te, info)


def head_mask(sizes: np.ndarray, head_fraction: float) -> tuple[np.ndarray, int]:
    """Which graphs are "head" (large): node count above the size at rank
    int(G * head_fraction) of the descending order (UniImb's boundary), and that size."""
    order = np.argsort(-sizes, kind="stable")
    boundary = int(sizes[order[min(int(sizes.shape[0] * head_fraction), sizes.shape[0] - 1)]])
    return sizes > boundary, boundary


def _round_up(x: int, m: int) -> int:
    return x if x % m == 0 else (x // m + 1) * m


def topology_imbalance(y: np.ndarray, sizes: np.ndarray, rng: np.random.Generator, *,
                       where: str = "split", head_fraction: float = 0.2,
                       train_fraction: float = 0.1, val_fraction: float = 0.1,
                       head_share: float = 0.1, head_order: str = "largest") -> GraphSplit:
    n_cls = int(y.max()) + 1
    n = y.shape[0]
    head, boundary = head_mask(sizes, head_fraction)
    n_train = _round_up(int(n * train_fraction), n_cls)
    n_val = _round_up(int(n * val_fraction), n_cls)
    th = _round_up(int(n_train * head_share), n_cls) // n_cls  # head graphs per class, train
    vh = _round_up(int(n_val * head_share), n_cls) // n_cls
    tt, vt = n_train // n_cls - th, n_val // n_cls - vh
    if head_order not in ("largest", "random"):
        raise ConfigError(f"{where}.head_order = {head_order!r}; expected 'largest' or 'random'")
    train, val, test = [], [], []
    for c in range(n_cls):  # a loop over classes
        for part, (nt, nv) in (("head", (th, vh)), ("tail", (tt, vt))):
            members = np.flatnonzero((y == c) & (head if part == "head" else ~head))
            if members.shape[0] < nt + nv:
                raise ConfigError(f"{where}: class {c} has {members.shape[0]} {part} graphs but "
                                  f"the split needs {nt + nv} ({nt} train + {nv} val); lower "
                                  "train_fraction / val_fraction or raise head_fraction")
            if part == "head" and head_order == "largest":
                members = members[np.lexsort((members, -sizes[members]))]
            else:
                members = members[rng.permutation(members.shape[0])]
            train.append(members[:nt])
            val.append(members[nt:nt + nv])
            test.append(members[nt + nv:])
    tr, va, te = np.concatenate(train), np.concatenate(val), np.concatenate(test)
    info = {"protocol": "topology_imbalance", "boundary_size": boundary,
            "train_head": int(head[tr].sum()), "val_head": int(head[va].sum()),
            "test_head": int(head[te].sum()), "train_per_class": [tt + th] * n_cls}
    return GraphSplit(tr, va, te, info)


def igl_class(y: np.ndarray, sizes: np.ndarray, rng: np.random.Generator, *,
              where: str = "split", rho: float = 20.0, train_fraction: float = 0.1,
              val_fraction: float = 0.1, test: str = "rest", order: str = "size") -> GraphSplit:
    n_cls = int(y.max()) + 1
    n = y.shape[0]
    total = int(n * train_fraction)
    n_train = np.zeros(n_cls, dtype=np.int64)
    if order == "index" and n_cls == 2:
        # IGL-Bench's get_class_num for two classes: class 1 int(rho / (1 + rho) * total)
        # (the code's 0.9 at "high"), class 0 the rest, whichever class is larger
        n_train[1] = int(rho / (1.0 + rho) * total)
        n_train[0] = total - n_train[1]
    else:
        if order not in ("size", "index"):
            raise ConfigError(f"{where}.order = {order!r}; expected 'size' or 'index'")
        mu = rho ** (1.0 / (n_cls - 1))
        profile = mu ** -np.arange(n_cls, dtype=np.float64)
        n_max = total / profile.sum()
        ranked = _rank_by_size(y, n_cls) if order == "size" else np.arange(n_cls)[::-1]
        n_train[ranked] = np.maximum(1, np.round(n_max * profile)).astype(np.int64)
    n_val = np.full(n_cls, int(n * val_fraction) // n_cls)
    tr, va, te = _take(y, rng, n_train, n_val, test, where)
    info = {"protocol": "igl_class", "train_per_class": n_train.tolist(),
            "val_per_class": n_val.tolist(), "rho": rho, "order": order}
    return GraphSplit(tr, va, te, info)


SPLITS: dict[str, Callable[..., GraphSplit]] = {
    "class_imbalance": class_imbalance,
    "topology_imbalance": topology_imbalance,
    "igl_class": igl_class,
}


def make_split(y: np.ndarray, sizes: np.ndarray, protocol: str, params: dict, *, seed: int,
               where: str = "split") -> GraphSplit:
    """The split of run ``seed`` by ``protocol`` with ``params`` (``split_seed`` in params fixes
    the split across runs)."""
    if protocol not in SPLITS:
        raise ConfigError(f"{where}.protocol = {protocol!r}; expected one of {sorted(SPLITS)}")
    params = dict(params)
    fixed = params.pop("split_seed", None)
    rng = np.random.default_rng(seed if fixed is None else fixed)
    try:
        return SPLITS[protocol](np.asarray(y), np.asarray(sizes), rng, where=where, **params)
    except TypeError as err:
        raise ConfigError(f"{where}: {err}") from None


def upsample(ids: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``ids`` plus repeats of minority-class ids until every present class has as many as the
    largest (as UniImb / G2GNN up-sample train and validation): a class short of d ids gets
    floor(d / n_c) full copies and d mod n_c more drawn without replacement."""
    ids = np.asarray(ids, dtype=np.int64)
    labels = y[ids]
    classes, counts = np.unique(labels, return_counts=True)
    extra = []
    for c, n_c in zip(classes, counts):  # a loop over classes
        members = ids[labels == c]
        d = int(counts.max() - n_c)
        reps, rem = divmod(d, int(n_c))
        extra.append(np.tile(members, reps))
        extra.append(members[rng.permutation(members.shape[0])[:rem]])
    return np.concatenate([ids, *extra])
