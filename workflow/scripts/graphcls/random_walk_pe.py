"""Random-walk positional encodings of every node of a collection (cached per dataset)."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

import logging  # noqa: E402

from imbgraph.graphcls.collection import GraphCollection, save_array  # noqa: E402
from imbgraph.graphcls.encodings import random_walk_pe  # noqa: E402

sm = snakemake  # noqa: F821
coll = GraphCollection.load(sm.input[0])
pe = random_walk_pe(coll, sm.params.dim, method=sm.params.method)
logging.info("random-walk PE of %d nodes, walks of 1..%d steps (%s)", pe.shape[0],
             sm.params.dim, sm.params.method)
save_array(pe, sm.output[0])
