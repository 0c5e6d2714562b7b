"""Metrics shared by every task: ranking (link prediction) and clustering quality."""

from __future__ import annotations

from imbgraph.metrics.clustering import bcubed, clustering_report, nmi, pairwise
from imbgraph.metrics.ranking import pr_auc

__all__ = ["bcubed", "clustering_report", "nmi", "pairwise", "pr_auc"]
