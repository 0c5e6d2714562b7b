"""Build a dataset's graph collection: synthesise it, or read its TU / GIN-text raw files."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

import logging  # noqa: E402

from imbgraph.graphcls.datasets import build_collection  # noqa: E402

sm = snakemake  # noqa: F821
coll = build_collection(sm.params.entry, name=sm.wildcards.dataset, data_root=sm.params.data_root,
                        workdir=sm.resources.tmpdir)
logging.info("%s: %d graphs, %d nodes, %d edges, %d node features (%s), class sizes %s",
             sm.wildcards.dataset, coll.num_graphs, coll.num_nodes, coll.edge_index.shape[1] // 2,
             coll.num_features, coll.features, coll.class_counts().tolist())
coll.save(sm.output[0])
