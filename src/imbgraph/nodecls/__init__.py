"""Node classification under class imbalance: GraphSMOTE (WSDM'21) and the methods it
compares, on one core that ECGN and later methods build on.

Modules, bottom up (each imports only those above it and the shared layers):

* :mod:`~imbgraph.nodecls.graph` — :class:`NodeGraph` (features, undirected edges, labels,
  class names) and its three files (``read_graph`` / ``write_graph``);
* :mod:`~imbgraph.nodecls.synthetic`, :mod:`~imbgraph.nodecls.deepwalk`,
  :mod:`~imbgraph.nodecls.datasets` — generators, DeepWalk features, config entry -> graph;
* :mod:`~imbgraph.nodecls.splits` — artificial / genuine / long-tail splits (``NodeSplit``);
* :mod:`~imbgraph.nodecls.models` — ``Adjacency`` (sparse aggregation with optional weighted
  extra edges) and the GraphSAGE / GCN backbone ``GNN`` (encoder, classifier block, head);
* :mod:`~imbgraph.nodecls.smote` — vectorised SMOTE for nodes;
* :mod:`~imbgraph.nodecls.balancing` — ``Batch`` and the balancing strategies (Origin /
  re-weight, over-sampling, SMOTE, Embed-SMOTE); :mod:`~imbgraph.nodecls.graphsmote` —
  GraphSMOTE T / O / preT / preO;
* :mod:`~imbgraph.nodecls.train` — full-batch training with validation-based selection;
* :mod:`~imbgraph.nodecls.methods` — registries and the job body ``run_method``;
* :mod:`~imbgraph.nodecls.config` — cross-key ``check`` and ``resolve_method``.
"""
