"""ECGN's cluster networks for every seed of the job, cached for the runs that share them."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

import logging  # noqa: E402

from imbgraph.nodecls.data.graph import read_graph  # noqa: E402
from imbgraph.nodecls.data.splits import read_split  # noqa: E402
from imbgraph.nodecls.job import without_removed  # noqa: E402
from imbgraph.nodecls.methods.ecgn.clusters import read_clusters  # noqa: E402
from imbgraph.nodecls.methods.ecgn.pretrain import run_pretrain, write_pretrain  # noqa: E402
from imbgraph.nodecls.methods.ecgn.settings import (  # noqa: E402
    pretrain_method,
    pretrain_settings,
)
from imbgraph.training import setup_torch  # noqa: E402

sm = snakemake  # noqa: F821
setup_torch(sm.threads)  # threads, and subnormals flushed (imbgraph.training)
g = read_graph(sm.input.features, sm.input.edges, sm.input.nodes)
m = pretrain_method(sm.params.settings)
c = read_clusters(sm.input.clusters, num_nodes=g.num_nodes, k=m["balancing"]["clusters"])
for i, seed in enumerate(sm.params.seeds):
    split = read_split(sm.input.splits[i], seed)
    pre = run_pretrain(without_removed(g, split), split, m, seed=seed, clusters=c)
    logging.info("seed %d: %d cluster networks, %d epochs in %.1f s", seed, pre.k, pre.epochs,
                 pre.seconds)
    write_pretrain({seed: pre}, sm.output[i], settings=pretrain_settings(m))
