"""Graph classification under class and topological imbalance (UniImb, ICLR'26, and its baselines).

Modules, in pipeline order:

* :mod:`.synthetic`, :mod:`.datasets`, :mod:`.features`, :mod:`.collection` - collections of
  graphs (synthetic, TU raw, GIN text) in flat arrays, node features, vectorised batching;
* :mod:`.encodings` - random-walk positional encodings (cached per dataset);
* :mod:`.splits` - class-imbalance, topology-imbalance and IGL-Bench splits, up-sampling;
* :mod:`.kernel_knn` - G2GNN's kernel kNN table of graphs (cached per dataset);
* :mod:`.models`, :mod:`.augment`, :mod:`.prototypes`, :mod:`.pretrain` - GIN / GraphGPS
  encoders, augmentations, UniImb's balanced prototypes, InfoGraph / GraphCL pre-training;
* :mod:`.methods` - the method kinds, one module each, and their table (torch-free);
* :mod:`.train`, :mod:`.job` - the shared training loop and the job body ``run_method``;
* :mod:`.config` - cross-key checks, the tables' catalog and method resolution of the
  ``graphcls:`` section (torch-free: Snakemake imports it at every start).

Nothing is imported here, so ``import imbgraph.graphcls.splits`` stays light; the collection,
split, encoding and kernel modules import torch only when a batch is built.
"""
