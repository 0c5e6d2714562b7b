"""Imbalanced train / validation / test splits of a graph's nodes, seeded, as index arrays.

Six protocols (:data:`SPLITS`), each drawn class by class from one numpy Generator:

* ``artificial`` (GraphSMOTE's Cora protocol; ECGN reuses it): chosen minority classes get
  ``int(train_per_class * imbalance_ratio)`` training nodes, the others ``train_per_class``;
  validation and test are either fixed counts per class (GraphSMOTE: 25 and 55) or fractions
  of each class's remaining nodes (ECGN: 30% / 70% of the rest);
* ``genuine`` (GraphSMOTE's BlogCatalog / Twitter protocol): fixed fractions of every class
  (25% / 25% / 50%), at least one node per part;
* ``longtail`` (IGL-Bench's node class imbalance): 10% of the nodes train with an
  exponential profile over classes ranked by size, class i getting n_max * mu^-i with
  mu = rho^(1/(C-1)) (n_max chosen so the profile sums to the training budget), at least 1
  and at most the class size; 10% of the nodes validate, split equally over classes; the rest
  test;
* ``step`` (BAT's and TAM's step imbalance; BAT's ``get_step_imbalanced_split_data``): a
  base split of ``train_per_class`` (20) training nodes per class, then the last
  ``tail_classes`` class ids (default floor(C/2)) keep ``max // rho`` of theirs (rho 10: 2,
  rho 20: 1), drawn at random. The base is the dataset's public split where it has one
  (``base: auto`` or ``public``; Planetoid: 20 per class, 500 validation, 1000 test) and
  otherwise random (``base: random``; BAT's ``get_random_semi_train_val_test_split``):
  ``train_per_class`` per class, the rest of each class split into ``int(rest x (1 -
  test_fraction))`` validation and the remaining test nodes;
* ``natural`` (BAT's natural imbalance, ``get_natural_imbalanced_split_data``): classes
  ranked by size (descending, ties by id) get ``int(rho^((C-1-i)/(C-1)))`` training nodes
  (rho at the largest class, 1 at the smallest), the rest of each class split as above.
* ``longtail_remove`` (GraphENS's and GraphSHA's long tail, ``make_longtailed_data_remove``
  of their ``data_utils.py``): from a full training set (Planetoid's ``full`` split: every
  node outside the public validation and test sets), the training nodes of each class are
  removed lowest degree first until the classes follow n_max * mu^i, mu = (1/rho)^(1/(C-1));
  the removed nodes leave the graph with their edges (:attr:`NodeSplit.removed`), see
  :func:`longtail_remove_split`.

A split records its *minority* classes, the ones over-sampling methods augment: the chosen
ones (artificial) or, by default, the classes with fewer training nodes than the mean
training class (genuine, longtail, natural; the tail classes for step; ``minority_max_size`` picks classes of at most that many
nodes instead, GraphSMOTE's "smaller than 101" rule for BlogCatalog).

A protocol function is ``(y, class_names, spec, rng, key, public) -> NodeSplit``; ``public``
is the dataset's published split (``{"train", "val", "test"} -> node ids``, from the graph's
``public`` column) or None. Splits are stored in Parquet tables (:func:`write_splits`), one
per run seed in the workflow.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import pyarrow as pa

from imbgraph.errors import ConfigError, InputError
from imbgraph.io.tables import read_parquet_table, table_metadata, write_parquet_table

__all__ = ["BASES", "NEEDS_EDGES", "NodeSplit", "PROTOCOL_DEFAULTS", "SPLITS", "SPLIT_DEFAULTS",
           "artificial_split", "genuine_split", "longtail_remove_counts", "longtail_remove_split",
           "longtail_split", "make_split", "make_splits",
           "minority_by_mean", "natural_counts", "natural_split", "oversampling_targets",
           "read_split", "read_splits", "resolve_classes", "resolve_spec", "split_seed",
           "step_split", "step_tail_size", "train_counts_of", "write_splits"]

PARTS = ("train", "val", "test")

#: what every split entry that leaves them out gets: the split seed and a new split per run
#: seed (GraphSMOTE; ``per_run: false``: one fixed split, IGL-Bench)
SPLIT_DEFAULTS: dict[str, Any] = {"seed": 0, "per_run": True}
#: each protocol's optional settings and what an entry that leaves them out gets (None:
#: every remaining node for a test count, the automatic minority for ``minority_max_size``,
#: counts instead of fractions for the artificial protocol's ``val_fraction`` and
#: ``test_fraction``)
PROTOCOL_DEFAULTS: dict[str, dict[str, Any]] = {
    "artificial": {"train_per_class": 20, "val_per_class": 25, "test_per_class": None,
                   "val_fraction": None, "test_fraction": None},
    "genuine": {"train_fraction": 0.25, "val_fraction": 0.25, "test_fraction": None,
                "minority_max_size": None},
    "longtail": {"train_fraction": 0.1, "val_fraction": 0.1, "minority_max_size": None},
    "step": {"train_per_class": 20, "tail_classes": None, "base": "auto",
             "test_fraction": 0.5},
    "natural": {"test_fraction": 0.5, "minority_max_size": None},
    "longtail_remove": {"base": "auto", "val_fraction": 0.2, "test_fraction": 0.4,
                        "rounds": 10, "minority_max_size": None},
}
#: protocols whose split depends on the graph's edges (make_split's ``edge_index``)
NEEDS_EDGES = ("longtail_remove",)
#: the step protocol's base split: the dataset's public one where it has one (``auto``),
#: always it (``public``: an error without one) or a random one (``random``)
BASES = ("auto", "public", "random")


@dataclass(frozen=True, eq=False)
class NodeSplit:
    """Node ids of one split.

    Attributes
    ----------
    train, val, test : ndarray of shape (k,), int64, sorted, pairwise disjoint
    minority : tuple of int, the classes over-sampling methods augment
    removed : ndarray of shape (r,), int64, sorted: nodes taken out of the graph with their
        edges for every run on this split (``longtail_remove``); empty for the others
    """

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    minority: tuple[int, ...] = ()
    removed: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __post_init__(self) -> None:
        for part in (*PARTS, "removed"):
            a = np.sort(np.asarray(getattr(self, part), dtype=np.int64))
            object.__setattr__(self, part, a)
        object.__setattr__(self, "minority", tuple(sorted(int(c) for c in self.minority)))
        allnodes = np.concatenate([self.train, self.val, self.test, self.removed])
        if np.unique(allnodes).shape[0] != allnodes.shape[0]:
            raise ValueError("NodeSplit: train, val, test and removed must be disjoint and "
                             "free of repeated nodes")

    def counts(self, y: np.ndarray, num_classes: int) -> dict[str, np.ndarray]:
        """Nodes per class in each part: {"train": (C,), "val": (C,), "test": (C,)}."""
        return {p: np.bincount(y[getattr(self, p)], minlength=num_classes) for p in PARTS}

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, NodeSplit) and self.minority == other.minority
                and all(np.array_equal(getattr(self, p), getattr(other, p))
                        for p in (*PARTS, "removed")))


# --- helpers ------------------------------------------------------------------------------
def resolve_classes(values: Sequence[int | str], class_names: Sequence[str], *,
                    key: str) -> tuple[int, ...]:
    """Class ids of ``values``, each a class id or a class name; ConfigError names ``key``."""
    names = list(class_names)
    out = []
    for v in values:
        if isinstance(v, bool):
            v = str(v)
        if isinstance(v, (int, np.integer)):
            if not 0 <= int(v) < len(names):
                raise ConfigError(f"{key}: class id {v} does not exist; the graph has "
                                  f"{len(names)} classes (ids 0..{len(names) - 1})")
            out.append(int(v))
        elif v in names:
            out.append(names.index(v))
        else:
            raise ConfigError(f"{key}: unknown class {v!r}; the graph's classes are {names}")
    if len(set(out)) != len(out):
        raise ConfigError(f"{key}: class listed twice in {list(values)}")
    return tuple(out)


def split_seed(spec: dict, run_seed: int) -> list[int]:
    """Entropy of the Generator that draws a split: the spec's ``seed`` alone for a fixed
    split (``per_run: false``, IGL-Bench), or with the run seed (a new split per run)."""
    spec = {**SPLIT_DEFAULTS, **spec}
    base = int(spec["seed"])
    return [base, int(run_seed)] if spec["per_run"] else [base]


def resolve_spec(spec: dict[str, Any], *, key: str = "split") -> dict[str, Any]:
    """A split entry with every default filled in (:data:`SPLIT_DEFAULTS`, the protocol's
    :data:`PROTOCOL_DEFAULTS`): what :func:`make_split` draws. An artificial entry with a
    ``val_fraction`` gets ``val_per_class: None`` (the fraction replaces the count)."""
    protocol = spec.get("protocol")
    if protocol not in PROTOCOL_DEFAULTS:
        raise ConfigError(f"{key}.protocol = {protocol!r}; expected one of "
                          f"{sorted(PROTOCOL_DEFAULTS)}")
    out = {**SPLIT_DEFAULTS, **PROTOCOL_DEFAULTS[protocol], **spec}
    if protocol == "artificial" and out["val_fraction"] is not None:
        out["val_per_class"] = None
    return out


def _members(y: np.ndarray, num_classes: int, rng: np.random.Generator) -> list[np.ndarray]:
    # One permutation per class, in class order: the draw of class c never depends on the
    # counts asked of the other classes.
    order = np.argsort(y, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(y, minlength=num_classes))])
    return [rng.permutation(order[bounds[c]:bounds[c + 1]]) for c in range(num_classes)]


def _take(members: list[np.ndarray], counts: np.ndarray) -> tuple[list[np.ndarray],
                                                                   list[np.ndarray]]:
    taken = [m[:k] for m, k in zip(members, counts)]
    rest = [m[k:] for m, k in zip(members, counts)]
    return taken, rest


def _check_room(sizes: np.ndarray, need: np.ndarray, class_names: Sequence[str] | None,
                key: str, what: str) -> None:
    over = np.flatnonzero(need > sizes)
    if over.size:
        c = int(over[0])
        name = f"class {c}" + (f" ({class_names[c]!r})" if class_names is not None else "")
        raise ConfigError(f"{key}: {what} asks for {int(need[c])} nodes of {name}, which has "
                          f"only {int(sizes[c])}")


def minority_by_mean(train_counts: np.ndarray) -> tuple[int, ...]:
    """Classes with fewer training nodes than the mean training class."""
    train_counts = np.asarray(train_counts, dtype=np.float64)
    return tuple(int(c) for c in np.flatnonzero(train_counts < train_counts.mean()))


def _auto_minority(sizes: np.ndarray, train_counts: np.ndarray,
                   max_size: int | None) -> tuple[int, ...]:
    if max_size is not None:
        return tuple(int(c) for c in np.flatnonzero((sizes <= max_size) & (sizes > 0)))
    return minority_by_mean(train_counts)


# --- protocols ------------------------------------------------------------------------------
def artificial_split(
    y: np.ndarray, minority: Sequence[int], *, imbalance_ratio: float,
    train_per_class: int = 20, val_per_class: int | None = 25,
    test_per_class: int | None = 55, val_fraction: float | None = None,
    test_fraction: float | None = None, rng: np.random.Generator,
    num_classes: int | None = None, class_names: Sequence[str] | None = None,
    key: str = "split",
) -> NodeSplit:
    """GraphSMOTE's artificial imbalance (see the module docstring).

    Parameters
    ----------
    y : ndarray (n,) int64 labels
    minority : class ids given ``int(train_per_class * imbalance_ratio)`` training nodes
    imbalance_ratio : in (0, 1]
    train_per_class : training nodes of every other class (GraphSMOTE 20, ECGN 200)
    val_per_class, test_per_class : fixed counts per class; ``test_per_class=None`` takes
        every remaining node
    val_fraction, test_fraction : instead of counts, fractions of each class's nodes left
        after training (ECGN: 0.3 / 0.7); ``val_fraction`` overrides ``val_per_class``
    rng : the Generator of this split (see :func:`split_seed`)
    key : config key named in errors

    Returns
    -------
    NodeSplit with ``minority`` the given classes.
    """
    y = np.asarray(y, dtype=np.int64)
    c_count = int(num_classes if num_classes is not None else y.max() + 1)
    if not 0.0 < imbalance_ratio <= 1.0:
        raise ConfigError(f"{key}.imbalance_ratio = {imbalance_ratio!r}; expected a value in "
                          "(0, 1]")
    minority = tuple(int(c) for c in minority)
    for c in minority:
        if not 0 <= c < c_count:
            raise ConfigError(f"{key}.minority: class id {c} does not exist (the graph has "
                              f"{c_count} classes)")
    n_min = int(train_per_class * imbalance_ratio)
    if n_min < 1:
        raise ConfigError(f"{key}.imbalance_ratio = {imbalance_ratio}: int({train_per_class} "
                          f"x {imbalance_ratio}) = 0 training nodes per minority class; "
                          "expected at least 1")
    sizes = np.bincount(y, minlength=c_count)
    train = np.full(c_count, int(train_per_class))
    train[list(minority)] = n_min
    _check_room(sizes, train, class_names, key, "train_per_class")
    members = _members(y, c_count, rng)
    tr, rest = _take(members, train)
    left = sizes - train
    if val_fraction is not None:
        val = np.floor(left * float(val_fraction) + 1e-9).astype(np.int64)
    else:
        val = np.full(c_count, int(val_per_class or 0))
    _check_room(sizes, train + val, class_names, key, "train_per_class + val_per_class")
    va, rest = _take(rest, val)
    left = left - val
    if test_fraction is not None:
        base = sizes - train  # fraction of what training left, like val_fraction
        test = np.minimum(np.floor(base * float(test_fraction) + 1e-9).astype(np.int64), left)
    elif test_per_class is not None:
        test = np.full(c_count, int(test_per_class))
        _check_room(sizes, train + val + test, class_names, key,
                    "train_per_class + val_per_class + test_per_class")
    else:
        test = left
    te, _ = _take(rest, test)
    return NodeSplit(np.concatenate(tr), np.concatenate(va), np.concatenate(te), minority)


def genuine_split(
    y: np.ndarray, *, train_fraction: float = 0.25, val_fraction: float = 0.25,
    test_fraction: float | None = None, rng: np.random.Generator,
    num_classes: int | None = None, class_names: Sequence[str] | None = None,
    minority_max_size: int | None = None, key: str = "split",
) -> NodeSplit:
    """Fixed fractions of every class (GraphSMOTE: 25% / 25% / 50%).

    Each part takes ``max(1, int(fraction * size))`` nodes of a class (``test_fraction=None``:
    every remaining node), so every class needs at least three nodes.
    """
    y = np.asarray(y, dtype=np.int64)
    c_count = int(num_classes if num_classes is not None else y.max() + 1)
    sizes = np.bincount(y, minlength=c_count)
    if train_fraction + val_fraction + (test_fraction or 0.0) > 1.0 + 1e-9:
        raise ConfigError(f"{key}: train_fraction + val_fraction + test_fraction = "
                          f"{train_fraction + val_fraction + (test_fraction or 0.0)} > 1")
    train = np.maximum(1, np.floor(sizes * train_fraction + 1e-9)).astype(np.int64)
    val = np.maximum(1, np.floor(sizes * val_fraction + 1e-9)).astype(np.int64)
    if test_fraction is None:
        test = sizes - train - val
    else:
        test = np.maximum(1, np.floor(sizes * test_fraction + 1e-9)).astype(np.int64)
    present = sizes > 0
    need = np.where(present, train + val + np.maximum(test, 1), 0)
    _check_room(sizes, need, class_names, key, "one train, one val and one test node")
    members = _members(y, c_count, rng)
    train, val, test = (np.where(present, a, 0) for a in (train, val, test))
    tr, rest = _take(members, train)
    va, rest = _take(rest, val)
    te, _ = _take(rest, test)
    minority = _auto_minority(sizes, train, minority_max_size)
    return NodeSplit(np.concatenate(tr), np.concatenate(va), np.concatenate(te), minority)


def longtail_counts(sizes: np.ndarray, rho: float, budget: int) -> np.ndarray:
    """IGL-Bench's exponential training profile: counts per class id.

    Classes ranked by size (descending, ties by id) get n_max * mu^-rank with
    mu = rho^(1/(C'-1)) over the C' non-empty classes and n_max = budget / sum(mu^-rank),
    truncated to integers and clipped to [1, class size].
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    present = np.flatnonzero(sizes > 0)
    rank_order = present[np.lexsort((present, -sizes[present]))]
    c = rank_order.shape[0]
    mu = float(rho) ** (1.0 / (c - 1)) if c > 1 else 1.0
    profile = mu ** -np.arange(c, dtype=np.float64)
    n_max = budget / profile.sum()
    counts = np.zeros_like(sizes)
    counts[rank_order] = np.clip(np.floor(n_max * profile + 1e-9).astype(np.int64), 1,
                                 sizes[rank_order])
    return counts


def longtail_split(
    y: np.ndarray, *, rho: float, train_fraction: float = 0.1, val_fraction: float = 0.1,
    rng: np.random.Generator, num_classes: int | None = None,
    class_names: Sequence[str] | None = None, minority_max_size: int | None = None,
    key: str = "split",
) -> NodeSplit:
    """IGL-Bench's long-tailed training set (see the module docstring and
    :func:`longtail_counts`). Validation takes ``int(val_fraction * n / C)`` nodes of each
    class, leaving at least one test node where the class allows; the rest test."""
    if rho < 1:
        raise ConfigError(f"{key}.rho = {rho!r}; expected an imbalance ratio >= 1 "
                          "(largest / smallest training class)")
    y = np.asarray(y, dtype=np.int64)
    c_count = int(num_classes if num_classes is not None else y.max() + 1)
    sizes = np.bincount(y, minlength=c_count)
    n = int(sizes.sum())
    train = longtail_counts(sizes, rho, int(train_fraction * n))
    present = sizes > 0
    per_class_val = int(val_fraction * n / max(int(present.sum()), 1))
    val = np.minimum(per_class_val, np.maximum(sizes - train - 1, 0))
    members = _members(y, c_count, rng)
    tr, rest = _take(members, train)
    va, rest = _take(rest, val)
    minority = _auto_minority(sizes, train, minority_max_size)
    return NodeSplit(np.concatenate(tr), np.concatenate(va), np.concatenate(rest), minority)


def _rest_split(rest: list[np.ndarray], test_fraction: float) -> tuple[list[np.ndarray],
                                                                        list[np.ndarray]]:
    # BAT: int(rest x (1 - test_fraction)) validation nodes, every other one tests
    val = [r[:int(r.shape[0] * (1.0 - test_fraction))] for r in rest]
    test = [r[v.shape[0]:] for r, v in zip(rest, val)]
    return val, test


def step_tail_size(head: int, rho: float) -> int:
    """Training nodes a tail class keeps under the step protocol: BAT's ``max_class_size //
    imbratio`` (20 // 10 = 2, 20 // 20 = 1)."""
    return int(head // rho)


def step_split(
    y: np.ndarray, *, rho: float, train_per_class: int = 20, tail_classes: int | None = None,
    base: str = "auto", test_fraction: float = 0.5, public: dict[str, np.ndarray] | None = None,
    rng: np.random.Generator, num_classes: int | None = None,
    class_names: Sequence[str] | None = None, key: str = "split",
) -> NodeSplit:
    """BAT's step imbalance (see the module docstring).

    Parameters
    ----------
    y : (n,) int64 labels
    rho : imbalance ratio >= 1: the head classes' training count over the tail's
    train_per_class : training nodes per class of a random base (the public split's own
        count otherwise)
    tail_classes : how many of the last class ids are tail classes (default C // 2)
    base : ``auto`` (the public split if ``public`` is given, else random), ``public``,
        ``random`` (:data:`BASES`)
    test_fraction : of a random base: share of each class's nodes left after training that
        test (the others validate)
    public : the dataset's published split, {"train", "val", "test"} -> node ids, or None

    Returns
    -------
    NodeSplit whose minority classes are the tail classes.
    """
    y = np.asarray(y, dtype=np.int64)
    c_count = int(num_classes if num_classes is not None else y.max() + 1)
    if rho < 1:
        raise ConfigError(f"{key}.rho = {rho!r}; expected an imbalance ratio >= 1")
    if base not in BASES:
        raise ConfigError(f"{key}.base = {base!r}; expected one of {list(BASES)}")
    n_tail = c_count // 2 if tail_classes is None else int(tail_classes)
    if not 1 <= n_tail < c_count:
        raise ConfigError(f"{key}.tail_classes = {n_tail}: expected 1 .. {c_count - 1} of the "
                          f"graph's {c_count} classes (default: half of them, rounded down)")
    if base == "public" and public is None:
        raise ConfigError(f"{key}.base = 'public': the dataset publishes no split (Planetoid "
                          "datasets do); use base 'random' or 'auto'")
    sizes = np.bincount(y, minlength=c_count)
    if public is not None and base != "random":
        pub_train = np.asarray(public["train"], dtype=np.int64)
        order = np.argsort(y[pub_train], kind="stable")
        bounds = np.concatenate([[0], np.cumsum(np.bincount(y[pub_train], minlength=c_count))])
        per_class = [pub_train[order[bounds[c]:bounds[c + 1]]] for c in range(c_count)]
        val, test = (np.asarray(public[p], dtype=np.int64) for p in ("val", "test"))
        head = max(int(m.shape[0]) for m in per_class)
    else:
        head = int(train_per_class)
        _check_room(sizes, np.full(c_count, head), class_names, key, "train_per_class")
        members = _members(y, c_count, rng)
        per_class, rest = _take(members, np.full(c_count, head))
        va, te = _rest_split(rest, test_fraction)
        val, test = np.concatenate(va), np.concatenate(te)
    tail = step_tail_size(head, rho)
    if tail < 1:
        raise ConfigError(f"{key}.rho = {rho:g}: {head} // {rho:g} = 0 training nodes per tail "
                          "class; expected at least 1")
    tails = tuple(range(c_count - n_tail, c_count))
    train = [rng.permutation(m)[:tail] if c in tails and m.shape[0] > tail else m
             for c, m in enumerate(per_class)]
    return NodeSplit(np.concatenate(train), val, test, tails)


def natural_counts(sizes: np.ndarray, rho: float) -> np.ndarray:
    """BAT's natural profile, counts per class id: the classes present, ranked by size
    (descending, ties by id), get ``int(rho ** ((C-1-i) / (C-1)))`` training nodes."""
    sizes = np.asarray(sizes, dtype=np.int64)
    present = np.flatnonzero(sizes > 0)
    ranked = sorted(present.tolist(), key=lambda c: sizes[c], reverse=True)  # stable: ids
    c1 = len(ranked) - 1
    counts = np.zeros_like(sizes)
    for i, c in enumerate(ranked):
        counts[c] = int(float(rho) ** ((c1 - i) / c1)) if c1 > 0 else int(rho)
    return counts


def natural_split(
    y: np.ndarray, *, rho: float, test_fraction: float = 0.5, rng: np.random.Generator,
    num_classes: int | None = None, class_names: Sequence[str] | None = None,
    minority_max_size: int | None = None, key: str = "split",
) -> NodeSplit:
    """BAT's natural imbalance (see the module docstring and :func:`natural_counts`); the
    rest of each class is split as a random step base. Minority: the classes with fewer
    training nodes than the mean (or of at most ``minority_max_size`` nodes)."""
    if rho < 1:
        raise ConfigError(f"{key}.rho = {rho!r}; expected an imbalance ratio >= 1")
    y = np.asarray(y, dtype=np.int64)
    c_count = int(num_classes if num_classes is not None else y.max() + 1)
    sizes = np.bincount(y, minlength=c_count)
    if int((sizes > 0).sum()) < 2:
        raise ConfigError(f"{key}: protocol 'natural' needs at least two classes")
    train = natural_counts(sizes, rho)
    _check_room(sizes, train, class_names, key, f"rho = {rho:g}")
    members = _members(y, c_count, rng)
    tr, rest = _take(members, train)
    va, te = _rest_split(rest, test_fraction)
    minority = _auto_minority(sizes, train, minority_max_size)
    return NodeSplit(np.concatenate(tr), np.concatenate(va), np.concatenate(te), minority)


def longtail_remove_counts(train_counts: np.ndarray, rho: float) -> np.ndarray:
    """GraphENS's long-tail class counts from the full split's training counts per class id:
    classes ranked by count (descending, ties by id) keep ``int(min(n_max * mu^i, n_i))``,
    mu = (1 / rho)^(1 / (C - 1)), n_max the largest count (classes without training nodes
    keep none)."""
    counts = np.asarray(train_counts, dtype=np.int64)
    present = np.flatnonzero(counts > 0)
    ranked = present[np.lexsort((present, -counts[present]))]
    c = ranked.shape[0]
    mu = (1.0 / float(rho)) ** (1.0 / (c - 1)) if c > 1 else 1.0
    out = np.zeros_like(counts)
    n_max = float(counts[ranked[0]]) if c else 0.0
    for i, cls in enumerate(ranked):
        out[cls] = int(min(n_max * mu ** i, counts[cls]))
    return out


def longtail_remove_split(
    y: np.ndarray, edge_index: np.ndarray, *, rho: float, base: str = "auto",
    val_fraction: float = 0.2, test_fraction: float = 0.4, rounds: int = 10,
    public: dict[str, np.ndarray] | None = None, rng: np.random.Generator,
    num_classes: int | None = None, class_names: Sequence[str] | None = None,
    minority_max_size: int | None = None, key: str = "split",
) -> NodeSplit:
    """GraphENS's / GraphSHA's long-tailed split (``make_longtailed_data_remove``).

    The base is Planetoid's ``full`` split where the dataset publishes one (``base`` auto or
    public: the public validation and test nodes, every other node trains) or, ``random``,
    ``val_fraction`` and ``test_fraction`` of each class drawn at random and the rest
    training (ours: the code builds this split for Planetoid graphs only). Class targets:
    :func:`longtail_remove_counts`. Classes are visited largest first; a class other than
    the largest loses its surplus in ``rounds`` (the code's 10) steps, step r keeping removed
    the ``r * surplus // rounds`` of its base training nodes of lowest degree in the graph
    without the nodes removed so far (edges with a removed end dropped). Removed nodes have
    degree 0 and stay removed; the code's ``torch.topk`` leaves ties among equal degrees in
    an unspecified order, here by node id.

    Returns
    -------
    NodeSplit whose ``removed`` nodes (the surplus) leave the graph with their edges in every
    run; minority: the classes with fewer training nodes than the mean (or of at most
    ``minority_max_size`` nodes).
    """
    y = np.asarray(y, dtype=np.int64)
    c_count = int(num_classes if num_classes is not None else y.max() + 1)
    n = y.shape[0]
    if rho < 1:
        raise ConfigError(f"{key}.rho = {rho!r}; expected an imbalance ratio >= 1")
    if base not in BASES:
        raise ConfigError(f"{key}.base = {base!r}; expected one of {list(BASES)}")
    if base == "public" and public is None:
        raise ConfigError(f"{key}.base = 'public': the dataset publishes no split (Planetoid "
                          "datasets do); use base 'random' or 'auto'")
    if public is not None and base != "random":
        val, test = (np.asarray(public[p], dtype=np.int64) for p in ("val", "test"))
        held = np.zeros(n, dtype=bool)
        held[val] = held[test] = True
        candidates = np.flatnonzero(~held)
    else:
        members = _members(y, c_count, rng)
        sizes = np.array([m.shape[0] for m in members])
        nv = np.floor(sizes * float(val_fraction) + 1e-9).astype(np.int64)
        nt = np.floor(sizes * float(test_fraction) + 1e-9).astype(np.int64)
        va, rest = _take(members, nv)
        te, rest = _take(rest, nt)
        val, test, candidates = np.concatenate(va), np.concatenate(te), np.concatenate(rest)
    per_class = [candidates[y[candidates] == c] for c in range(c_count)]
    n_data = np.array([m.shape[0] for m in per_class], dtype=np.int64)
    target = longtail_remove_counts(n_data, rho)
    if ((n_data > 0) & (target < 1)).any():
        raise ConfigError(f"{key}.rho = {rho:g} leaves a class of the base training set "
                          f"(counts {n_data.tolist()}) with no training node; expected "
                          "n_max / rho >= 1")
    removed = np.zeros(n, dtype=bool)
    src, dst = np.asarray(edge_index[0]), np.asarray(edge_index[1])
    present = np.flatnonzero(n_data > 0)
    for i, c in enumerate(present[np.lexsort((present, -n_data[present]))]):
        surplus = int(n_data[c] - target[c])
        steps = 1 if i == 0 else int(rounds)
        nodes = per_class[c]
        for r in range(1, steps + 1):
            keep = ~removed[src] & ~removed[dst]
            degree = np.bincount(dst[keep], minlength=n)[nodes]
            order = np.lexsort((nodes, ~removed[nodes], degree))  # degree, removed first, id
            removed[nodes[order[:(r * surplus) // steps]]] = True
    rm = np.flatnonzero(removed)
    train = np.setdiff1d(candidates, rm)
    counts = np.bincount(y[train], minlength=c_count)
    minority = _auto_minority(np.bincount(y, minlength=c_count), counts, minority_max_size)
    return NodeSplit(train, val, test, minority, removed=rm)


def train_counts_of(spec: dict[str, Any], sizes: np.ndarray) -> np.ndarray:
    """(C,) training nodes per class that the resolved split entry ``spec`` draws from a graph
    of class ``sizes`` (every protocol's counts are a function of the sizes; a step split on
    a public base is taken to have ``train_per_class`` per class, as Planetoid's; minority
    classes given by name count as majority classes): the start-up memory check of ReNode
    reads it before any graph exists."""
    sizes = np.asarray(sizes, dtype=np.int64)
    c = sizes.shape[0]
    protocol = spec["protocol"]
    if protocol == "artificial":
        per = int(spec["train_per_class"])
        out = np.full(c, per)
        ids = [int(m) for m in spec.get("minority", []) if isinstance(m, (int, np.integer))]
        out[ids] = int(per * float(spec.get("imbalance_ratio", 1.0)))
        return out
    if protocol == "genuine":
        return np.maximum(1, np.floor(sizes * float(spec["train_fraction"]) + 1e-9)).astype(
            np.int64)
    if protocol == "longtail":
        return longtail_counts(sizes, float(spec["rho"]),
                               int(float(spec["train_fraction"]) * int(sizes.sum())))
    if protocol == "step":
        head = int(spec["train_per_class"])
        n_tail = c // 2 if spec.get("tail_classes") is None else int(spec["tail_classes"])
        out = np.full(c, head)
        out[c - n_tail:] = step_tail_size(head, float(spec["rho"]))
        return out
    if protocol == "natural":
        return natural_counts(sizes, float(spec["rho"]))
    if protocol == "longtail_remove":  # at most: from the whole class as the base
        return longtail_remove_counts(sizes, float(spec["rho"]))
    raise ConfigError(f"protocol = {protocol!r}; expected one of {sorted(PROTOCOL_DEFAULTS)}")


# --- config entries ---------------------------------------------------------------------------
def _artificial(y, names, spec, rng, key, public=None):
    minority = resolve_classes(spec["minority"], names, key=f"{key}.minority")
    return artificial_split(
        y, minority, imbalance_ratio=float(spec.get("imbalance_ratio", 1.0)),
        train_per_class=int(spec["train_per_class"]), val_per_class=spec["val_per_class"],
        test_per_class=spec["test_per_class"], val_fraction=spec["val_fraction"],
        test_fraction=spec["test_fraction"], rng=rng, num_classes=len(names),
        class_names=names, key=key)


def _genuine(y, names, spec, rng, key, public=None):
    split = genuine_split(
        y, train_fraction=float(spec["train_fraction"]),
        val_fraction=float(spec["val_fraction"]), test_fraction=spec["test_fraction"],
        rng=rng, num_classes=len(names), class_names=names,
        minority_max_size=spec["minority_max_size"], key=key)
    return _override_minority(split, names, spec, key)


def _longtail(y, names, spec, rng, key, public=None):
    split = longtail_split(
        y, rho=float(spec["rho"]), train_fraction=float(spec["train_fraction"]),
        val_fraction=float(spec["val_fraction"]), rng=rng, num_classes=len(names),
        class_names=names, minority_max_size=spec["minority_max_size"], key=key)
    return _override_minority(split, names, spec, key)


def _step(y, names, spec, rng, key, public=None):
    return step_split(
        y, rho=float(spec["rho"]), train_per_class=int(spec["train_per_class"]),
        tail_classes=spec["tail_classes"], base=spec["base"],
        test_fraction=float(spec["test_fraction"]), public=public, rng=rng,
        num_classes=len(names), class_names=names, key=key)


def _natural(y, names, spec, rng, key, public=None):
    split = natural_split(
        y, rho=float(spec["rho"]), test_fraction=float(spec["test_fraction"]), rng=rng,
        num_classes=len(names), class_names=names,
        minority_max_size=spec["minority_max_size"], key=key)
    return _override_minority(split, names, spec, key)


def _longtail_remove(y, names, spec, rng, key, public=None, edge_index=None):
    if edge_index is None:
        raise ValueError(f"{key}: protocol 'longtail_remove' needs the graph's edges "
                         "(make_split's edge_index)")
    split = longtail_remove_split(
        y, edge_index, rho=float(spec["rho"]), base=spec["base"],
        val_fraction=float(spec["val_fraction"]), test_fraction=float(spec["test_fraction"]),
        rounds=int(spec["rounds"]), public=public, rng=rng, num_classes=len(names),
        class_names=names, minority_max_size=spec["minority_max_size"], key=key)
    return _override_minority(split, names, spec, key)


def _override_minority(split: NodeSplit, names, spec: dict, key: str) -> NodeSplit:
    if "minority" not in spec:
        return split
    minority = resolve_classes(spec["minority"], names, key=f"{key}.minority")
    return NodeSplit(split.train, split.val, split.test, minority, removed=split.removed)


SPLITS: dict[str, Callable[..., NodeSplit]] = {
    "artificial": _artificial,
    "genuine": _genuine,
    "longtail": _longtail,
    "step": _step,
    "natural": _natural,
    "longtail_remove": _longtail_remove,
}


def make_split(y: np.ndarray, class_names: Sequence[str], spec: dict[str, Any], *,
               seed: int, key: str = "split",
               public: dict[str, np.ndarray] | None = None,
               edge_index: np.ndarray | None = None) -> NodeSplit:
    """The split of config entry ``spec`` for run seed ``seed`` (see :func:`split_seed`).

    ``spec`` holds ``protocol`` (a key of :data:`SPLITS`) and that protocol's settings
    (defaults: :func:`resolve_spec`); errors name ``key`` (e.g. ``nodecls.splits.cora_im05``).
    ``public``: the dataset's published split ({"train", "val", "test"} -> node ids), read
    by the step protocol's public base; ``edge_index`` (2, E): the graph's edges, read by
    the protocols of :data:`NEEDS_EDGES`.
    """
    spec = resolve_spec(spec, key=key)
    rng = np.random.default_rng(split_seed(spec, seed))
    extra = {"edge_index": edge_index} if spec["protocol"] in NEEDS_EDGES else {}
    return SPLITS[spec["protocol"]](np.asarray(y, dtype=np.int64), list(class_names), spec,
                                    rng, key, public, **extra)


def make_splits(y: np.ndarray, class_names: Sequence[str], spec: dict[str, Any],
                seeds: Sequence[int], *, key: str = "split",
                public: dict[str, np.ndarray] | None = None,
                edge_index: np.ndarray | None = None) -> dict[int, NodeSplit]:
    """One split per run seed (equal splits for a fixed ``per_run: false`` spec)."""
    return {int(s): make_split(y, class_names, spec, seed=int(s), key=key, public=public,
                               edge_index=edge_index)
            for s in seeds}


def oversampling_targets(train_counts: np.ndarray, minority: Sequence[int],
                         scale: float | str) -> np.ndarray:
    """Synthetic nodes to add per class (C,) int64.

    A number is GraphSMOTE's over-sampling scale: ``int(scale * n_c)`` new nodes for each
    minority class c. ``"balance"`` raises every minority class to the mean training class
    size, GraphSMOTE's class-wise scale for BlogCatalog and Twitter; ``"majority"`` to the
    largest training class (ECGN's Over-Sampling: "until each minority class has the same
    number of samples as the majority classes").
    """
    counts = np.asarray(train_counts, dtype=np.int64)
    out = np.zeros_like(counts)
    idx = np.asarray(list(minority), dtype=np.int64)
    if idx.size == 0:
        return out
    if scale == "balance":
        target = int(counts.sum() // max(int((counts > 0).sum()), 1))
        out[idx] = np.maximum(target - counts[idx], 0)
    elif scale == "majority":
        out[idx] = np.maximum(int(counts.max()) - counts[idx], 0)
    else:
        out[idx] = np.floor(counts[idx] * float(scale) + 1e-9).astype(np.int64)
    out[counts == 0] = 0  # nothing to interpolate from
    return out


# --- files ------------------------------------------------------------------------------------
def write_splits(splits: dict[int, NodeSplit], path: str | os.PathLike) -> None:
    """One Parquet table: columns ``seed`` (int64), ``node`` (int64), ``part`` (train / val /
    test / removed); each seed's minority classes in the metadata (``minority``, JSON)."""
    seeds, nodes, parts = [], [], []
    for s in sorted(splits):
        for p in (*PARTS, "removed"):
            ids = getattr(splits[s], p)
            seeds.append(np.full(ids.shape[0], s, dtype=np.int64))
            nodes.append(ids)
            parts.extend([p] * ids.shape[0])
    table = pa.table({"seed": np.concatenate(seeds), "node": np.concatenate(nodes),
                      "part": pa.array(parts, pa.string())})
    minority = {str(s): list(splits[s].minority) for s in sorted(splits)}
    write_parquet_table(table, path, metadata={"minority": json.dumps(minority)})


def read_splits(path: str | os.PathLike) -> dict[int, NodeSplit]:
    """Read :func:`write_splits`'s table; a malformed file raises InputError naming it."""
    try:
        table = read_parquet_table(path)
        seed = table.column("seed").to_numpy()
        node = table.column("node").to_numpy()
        part = np.asarray(table.column("part").to_pylist(), dtype=object)
        minority = json.loads(table_metadata(table)["minority"])
    except (OSError, KeyError, ValueError, pa.ArrowException) as err:
        raise InputError(f"{path}: not a splits table (expected Parquet columns seed, node, "
                         f"part and 'minority' metadata): {err}") from None
    out = {}
    for s in np.unique(seed):
        sel = seed == s
        try:
            out[int(s)] = NodeSplit(*(node[sel & (part == p)] for p in PARTS),
                                    minority=tuple(minority[str(int(s))]),
                                    removed=node[sel & (part == "removed")])
        except (KeyError, ValueError) as err:
            raise InputError(f"{path}: split of seed {int(s)} is invalid: {err}") from None
    return out


def read_split(path: str | os.PathLike, seed: int) -> NodeSplit:
    """The split of run seed ``seed`` from a :func:`write_splits` file; InputError naming the
    file when it holds no split for that seed."""
    splits = read_splits(path)
    if int(seed) not in splits:
        raise InputError(f"{path}: no split for seed {int(seed)} (it holds seeds "
                         f"{sorted(splits)})")
    return splits[int(seed)]
