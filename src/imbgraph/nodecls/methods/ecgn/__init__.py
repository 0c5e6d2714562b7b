"""Everything ECGN (Enhanced Cluster-aware Graph Network, 2024) owns, and the baselines of its
Table 2 that need more than a balancing strategy:

* :mod:`.settings` — its defaults, checks and pre-training key (torch-free: the workflow's
  config code reads it);
* :mod:`.clusters` — METIS clusters of a graph (a cached per-(dataset, k) step), and the
  views of them that the methods use;
* :mod:`.pretrain` — one GNN per cluster, trained at once (a cacheable step);
* :mod:`.smote` — cluster-aware SMOTE (boundary seeds, links through the seed);
* :mod:`.method` — ECGN itself and its ablations (the ``ecgn`` job);
* :mod:`.cluster_gcn` — ClusterGCN mini-batches (``cluster_gcn``);
* :mod:`.cb_sampling` — class-balanced node sampling (``cb_sampling``);
* :mod:`.cluster_features` — the one-hot cluster id as extra features (``cluster_features``).

Importing this package imports nothing but :mod:`.settings`'s standard library.
"""
