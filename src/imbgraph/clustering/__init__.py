"""Baseline clusterers for the face-clustering comparison table (no learned linkage)."""

from __future__ import annotations

from imbgraph.clustering.classic import (
    CLUSTERERS,
    agglomerative,
    aro,
    aro_distances,
    cdp_raw,
    dbscan,
    evaluate_clusterer,
    kmeans,
    run_clusterer,
    subsample_indices,
    threshold_components,
)

__all__ = [
    "CLUSTERERS",
    "agglomerative",
    "aro",
    "aro_distances",
    "cdp_raw",
    "dbscan",
    "evaluate_clusterer",
    "kmeans",
    "run_clusterer",
    "subsample_indices",
    "threshold_components",
]
