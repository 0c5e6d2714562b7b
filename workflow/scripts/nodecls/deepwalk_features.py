"""DeepWalk embeddings of a graph's nodes (its features when it has none of its own)."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

import logging  # noqa: E402

from imbgraph.nodecls.data.datasets import add_deepwalk  # noqa: E402
from imbgraph.nodecls.data.graph import read_graph, write_features  # noqa: E402

sm = snakemake  # noqa: F821
g = read_graph(sm.input.features, sm.input.edges, sm.input.nodes)
x = add_deepwalk(g, sm.params.deepwalk).x
logging.info("%s: DeepWalk features %s", sm.wildcards.dataset, x.shape)
write_features(x, sm.output[0])
