"""Train / validation / test graphs of every seed of the job for one split protocol."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

import logging  # noqa: E402

from imbgraph.graphcls.collection import GraphCollection  # noqa: E402
from imbgraph.graphcls.splits import make_split, write_graph_split  # noqa: E402

sm = snakemake  # noqa: F821
p = sm.params
coll = GraphCollection.load(sm.input[0])
for seed, path in zip(p.seeds, sm.output):
    split = make_split(coll.y, coll.sizes, p.protocol, p.params, seed=seed, where=p.where)
    logging.info("seed %d: %d train, %d val, %d test graphs (%s)", seed, len(split.train),
                 len(split.val), len(split.test), split.info)
    write_graph_split(split, path)
