"""imbgraph: a reproducible benchmark of graph learning under class imbalance.

The package mirrors the pipeline stages (see DESIGN in the README): ``io`` reads and writes
files, ``data`` makes datasets, ``knn`` and ``partition`` build graphs, ``linkage`` holds the
face-clustering path, ``losses`` and ``metrics`` are shared by every task, and ``tables``
turns per-run metrics into paper tables.
"""

__version__ = "0.1.0"
