"""Train and test one method on one dataset and split, for each seed of the job: metrics,
timings and the settings used. The cached inputs the method declares (METIS clusters, ECGN's
pre-training) arrive as the rule's named inputs of the same names."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

from imbgraph.io.atomic import write_json  # noqa: E402
from imbgraph.nodecls.data.graph import read_graph  # noqa: E402
from imbgraph.nodecls.data.splits import read_split  # noqa: E402
from imbgraph.nodecls.job import job_records  # noqa: E402
from imbgraph.nodecls.methods.ecgn.clusters import read_clusters  # noqa: E402
from imbgraph.nodecls.methods.ecgn.pretrain import read_pretrain  # noqa: E402
from imbgraph.training import setup_torch  # noqa: E402

sm = snakemake  # noqa: F821
wc, p, inp, out = sm.wildcards, sm.params, sm.input, sm.output
setup_torch(sm.threads)  # threads, and subnormals flushed (imbgraph.training)
g = read_graph(inp.features, inp.edges, inp.nodes)
k = p.method["balancing"].get("clusters")
clusters = read_clusters(inp.clusters[0], num_nodes=g.num_nodes, k=k) if inp.clusters else None
# Every seed's split and cached inputs first: a tuned method (training.tune) tries its grid
# on several seeds before any seed's files are written.
cached = []
for i, seed in enumerate(p.seeds):
    c = {"clusters": clusters,
         "pretrain": read_pretrain(inp.pretrain[i])[seed] if inp.pretrain else None}
    cached.append({n: v for n, v in c.items() if v is not None})
splits = [read_split(inp.splits[i], seed) for i, seed in enumerate(p.seeds)]
records = job_records(g, splits, p.method, seeds=list(p.seeds), dataset=wc.dataset,
                      split_name=wc.split, method_name=wc.method, cached=cached, data=p.data)
for i, seed_records in enumerate(records):
    for record, path in zip(seed_records, (out.metrics[i], out.timings[i], out.settings[i])):
        write_json(record, path)
