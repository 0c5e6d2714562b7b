"""Train and test one method on one dataset and split, for each seed of the job: metrics,
timings and the settings used."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

from imbgraph.io.atomic import write_json  # noqa: E402
from imbgraph.nodecls.clusters import read_clusters  # noqa: E402
from imbgraph.nodecls.ecgn_pretrain import read_pretrain  # noqa: E402
from imbgraph.nodecls.graph import read_graph  # noqa: E402
from imbgraph.nodecls.methods import run_records  # noqa: E402
from imbgraph.nodecls.splits import read_split  # noqa: E402
from imbgraph.training import setup_torch  # noqa: E402

sm = snakemake  # noqa: F821
wc, p, inp, out = sm.wildcards, sm.params, sm.input, sm.output
setup_torch(sm.threads)  # threads, and subnormals flushed (imbgraph.training)
g = read_graph(inp.features, inp.edges, inp.nodes)
k = p.method["balancing"].get("clusters")
clusters = read_clusters(inp.clusters[0], num_nodes=g.num_nodes, k=k) if inp.clusters else None
for i, seed in enumerate(p.seeds):
    pre = read_pretrain(inp.pretrain[i])[seed] if inp.pretrain else None
    records = run_records(g, read_split(inp.splits[i], seed), p.method, seed=seed,
                          dataset=wc.dataset, split_name=wc.split, method_name=wc.method,
                          clusters=clusters, pretrained=pre, data=p.data)
    for record, path in zip(records, (out.metrics[i], out.timings[i], out.settings[i])):
        write_json(record, path)
