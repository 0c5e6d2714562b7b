"""Metrics shared by every task: ranking (link prediction), clustering quality and
classification under class imbalance."""

from __future__ import annotations

from imbgraph.metrics.classification import classification_report, macro_auroc
from imbgraph.metrics.clustering import bcubed, clustering_report, nmi, pairwise
from imbgraph.metrics.ranking import pr_auc

__all__ = ["bcubed", "classification_report", "clustering_report", "macro_auroc", "nmi",
           "pairwise", "pr_auc"]
