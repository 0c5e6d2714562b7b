"""G2GNN's graph of graphs: every graph's k most similar graphs under a normalised kernel."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

import logging  # noqa: E402

from imbgraph.graphcls.collection import GraphCollection, save_array  # noqa: E402
from imbgraph.graphcls.kernel_knn import kernel_knn  # noqa: E402

sm = snakemake  # noqa: F821
p = sm.params
coll = GraphCollection.load(sm.input[0])
knn = kernel_knn(coll, p.k, kernel=p.kernel, **p.kernel_params)
logging.info("%s kernel: %d nearest graphs of each of %d graphs", p.kernel, knn.shape[1],
             knn.shape[0])
save_array(knn, sm.output[0])
