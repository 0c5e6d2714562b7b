"""Train and test one method on one dataset and split, for each seed of the job: metrics,
timings and the settings used. The cached inputs the method declares (METIS clusters, ECGN's
pre-training) arrive as the rule's named inputs of the same names."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

from imbgraph.io.atomic import write_json  # noqa: E402
from imbgraph.nodecls.data.graph import read_graph  # noqa: E402
from imbgraph.nodecls.data.splits import read_split  # noqa: E402
from imbgraph.nodecls.job import run_records  # noqa: E402
from imbgraph.nodecls.methods.ecgn.clusters import read_clusters  # noqa: E402
from imbgraph.nodecls.methods.ecgn.pretrain import read_pretrain  # noqa: E402
from imbgraph.training import setup_torch  # noqa: E402

sm = snakemake  # noqa: F821
wc, p, inp, out = sm.wildcards, sm.params, sm.input, sm.output
setup_torch(sm.threads)  # threads, and subnormals flushed (imbgraph.training)
g = read_graph(inp.features, inp.edges, inp.nodes)
k = p.method["balancing"].get("clusters")
clusters = read_clusters(inp.clusters[0], num_nodes=g.num_nodes, k=k) if inp.clusters else None
for i, seed in enumerate(p.seeds):
    cached = {"clusters": clusters,
              "pretrain": read_pretrain(inp.pretrain[i])[seed] if inp.pretrain else None}
    records = run_records(g, read_split(inp.splits[i], seed), p.method, seed=seed,
                          dataset=wc.dataset, split_name=wc.split, method_name=wc.method,
                          cached={n: v for n, v in cached.items() if v is not None},
                          data=p.data)
    for record, path in zip(records, (out.metrics[i], out.timings[i], out.settings[i])):
        write_json(record, path)
