"""Node classification under class imbalance: GraphSMOTE (WSDM'21), ECGN (2024) and the
methods they compare, on one shared core. Bottom up (each imports only what is above it and
the shared layers; nothing here imports another family):

* :mod:`~imbgraph.nodecls.data` — graphs and their files, synthetic stand-ins, DeepWalk,
  config entry -> graph, imbalanced splits (torch-free);
* :mod:`~imbgraph.nodecls.adjacency` — ``Adjacency``, the sparse aggregation operator with
  optional weighted edges to appended synthetic nodes;
* :mod:`~imbgraph.nodecls.smote` — vectorised SMOTE for nodes;
* :mod:`~imbgraph.nodecls.models` — the GraphSAGE / GCN backbone ``GNN``;
* :mod:`~imbgraph.nodecls.methods` — the method table and one module per method or method
  family (plain and re-weighting, over-sampling and SMOTE, Embed-SMOTE, GraphSMOTE, and
  ``ecgn/``: clusters, per-cluster pre-training, cluster-aware SMOTE, ClusterGCN,
  CB-sampling, cluster features); :mod:`~imbgraph.nodecls.methods.base` is the interface
  every method, built in or your own, implements;
* :mod:`~imbgraph.nodecls.train` — full-batch training with validation-based selection;
* :mod:`~imbgraph.nodecls.job` — the job body every method shares, and the run's records;
* :mod:`~imbgraph.nodecls.config` — the ``nodecls:`` section's checks and resolution
  (torch-free: Snakemake imports it at every start).
"""
