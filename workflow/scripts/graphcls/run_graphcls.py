"""Train and test one method on one dataset and split, for each seed of the job: metrics,
timings and the settings used. The cached inputs the method declares (the PE, the kernel kNN
table, the pre-trained embeddings) arrive as the rule's named inputs (empty when not
declared)."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

from imbgraph.graphcls.collection import GraphCollection, load_array  # noqa: E402
from imbgraph.graphcls.job import run_records  # noqa: E402
from imbgraph.graphcls.splits import read_graph_split  # noqa: E402
from imbgraph.io import read_json, write_json  # noqa: E402
from imbgraph.training import setup_torch  # noqa: E402

sm = snakemake  # noqa: F821
wc, p, inp, out = sm.wildcards, sm.params, sm.input, sm.output
setup_torch(sm.threads)  # threads, and subnormals flushed (imbgraph.training)
coll = GraphCollection.load(inp.collection)
pe = load_array(inp.pe[0], rows=coll.num_nodes, what="random-walk PE") if inp.pe else None
knn = load_array(inp.knn[0], rows=coll.num_graphs, what="kNN table") if inp.knn else None
for i, seed in enumerate(p.seeds):
    split = read_graph_split(inp.splits[i], coll.num_graphs)
    pretrain = ((load_array(inp.embeddings[i], rows=coll.num_graphs,
                            what="pre-trained embeddings"), read_json(inp.pretrain_summaries[i]))
                if inp.embeddings else None)
    cached = {"knn": knn, "pretrain": pretrain}
    records = run_records(coll, pe, split, p.method, seed=seed, dataset=wc.dataset,
                          split_name=wc.split, method_name=wc.method,
                          cached={n: v for n, v in cached.items() if v is not None},
                          data=p.data)
    for record, path in zip(records, (out.metrics[i], out.timings[i], out.settings[i])):
        write_json(record, path)
