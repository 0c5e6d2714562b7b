"""A *split* is one set of labelled feature vectors: ``features.npy`` + ``labels.parquet``.

Every stage after data preparation (kNN, partition, subgraphs, training, evaluation) reads
splits in this one layout, whether they came from the synthetic generator, from
learn-to-cluster files, or from imbalanced-subset synthesis.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from imbgraph.io.atomic import atomic_path
from imbgraph.io.tables import read_parquet_table, write_parquet_table


@dataclass(frozen=True)
class Split:
    """Labelled, L2-normalised feature vectors.

    features : ndarray of shape (n, dim), float32, unit rows
    labels   : ndarray of shape (n,), int64 identity ids
    source   : ndarray of shape (n,), int64 row of each sample in the original (full) split
    """

    features: np.ndarray
    labels: np.ndarray
    source: np.ndarray

    def __post_init__(self) -> None:
        n = self.features.shape[0]
        if self.features.ndim != 2 or self.labels.shape != (n,) or self.source.shape != (n,):
            raise ValueError(
                f"Split needs features (n, dim), labels (n,), source (n,); got "
                f"{self.features.shape}, {self.labels.shape}, {self.source.shape}"
            )

    def __len__(self) -> int:
        return int(self.features.shape[0])


def write_split(split: Split, features_path: str | os.PathLike, labels_path: str | os.PathLike) -> None:
    with atomic_path(features_path, suffix=".npy") as tmp:
        np.save(tmp, np.ascontiguousarray(split.features, dtype=np.float32))
    table = pa.table({"label": split.labels.astype(np.int64), "source": split.source.astype(np.int64)})
    write_parquet_table(table, labels_path)


def read_split(
    features_path: str | os.PathLike, labels_path: str | os.PathLike, *, mmap: bool = False
) -> Split:
    """Read a split written by :func:`write_split` (``mmap`` keeps features on disk)."""
    feats = np.load(Path(features_path), mmap_mode="r" if mmap else None)
    table = read_parquet_table(labels_path)
    labels = table.column("label").to_numpy()
    source = table.column("source").to_numpy()
    if len(labels) != feats.shape[0]:
        raise ValueError(
            f"{labels_path} has {len(labels)} labels but {features_path} holds {feats.shape[0]} rows"
        )
    return Split(feats, labels, source)
