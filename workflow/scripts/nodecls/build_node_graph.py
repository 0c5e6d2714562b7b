"""Generate a synthetic graph, or read one from its raw files (which stay untouched), and
write it as features.npy + edges.parquet + nodes.parquet."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

import logging  # noqa: E402

from imbgraph.nodecls.data.datasets import build_graph  # noqa: E402
from imbgraph.nodecls.data.graph import write_graph  # noqa: E402

sm = snakemake  # noqa: F821
g = build_graph(sm.params.entry, data_root=sm.params.data_root,
                key=f"nodecls.datasets.{sm.wildcards.dataset}")
logging.info("%s: %r, class sizes %s, edge homophily %.3f", sm.wildcards.dataset, g,
             g.class_counts().tolist(), g.edge_homophily())
write_graph(g, sm.output.features, sm.output.edges, sm.output.nodes)
