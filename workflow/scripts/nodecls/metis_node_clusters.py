"""METIS k-way clusters of a dataset's graph (shared by every method that reads clusters)."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

import logging  # noqa: E402

from imbgraph.nodecls.data.graph import read_graph  # noqa: E402
from imbgraph.nodecls.methods.ecgn.clusters import (  # noqa: E402
    cluster_sizes,
    node_clusters,
    write_clusters,
)

sm = snakemake  # noqa: F821
p = sm.params.metis
g = read_graph(sm.input.features, sm.input.edges, sm.input.nodes)
c = node_clusters(g, p["k"], seed=p["seed"], key=sm.params.where)
logging.info("%s: %d clusters of sizes %s", sm.wildcards.dataset, p["k"],
             cluster_sizes(c, p["k"]).tolist())
write_clusters(c, sm.output[0], k=p["k"], seed=p["seed"])
