"""One traced run (see imbgraph.graphcls.convergence): the test scores at every new best
validation epoch of a run without early stopping, and the settings used."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

from imbgraph.graphcls.collection import GraphCollection, load_array  # noqa: E402
from imbgraph.graphcls.job import trace_record  # noqa: E402
from imbgraph.graphcls.splits import read_graph_split  # noqa: E402
from imbgraph.io import write_json  # noqa: E402
from imbgraph.training import setup_torch  # noqa: E402

sm = snakemake  # noqa: F821
wc, p, inp = sm.wildcards, sm.params, sm.input
setup_torch(sm.threads)  # threads, and subnormals flushed (imbgraph.training)
coll = GraphCollection.load(inp.collection)
pe = load_array(inp.pe[0], rows=coll.num_nodes, what="random-walk PE") if inp.pe else None
knn = load_array(inp.knn[0], rows=coll.num_graphs, what="kNN table") if inp.knn else None
split = read_graph_split(inp.split, coll.num_graphs)
record = trace_record(coll, pe, split, p.method, seed=int(wc.seed), dataset=wc.dataset,
                      split_name=wc.split, method_name=wc.method,
                      cached={"knn": knn} if knn is not None else {}, data=p.data)
write_json(record, sm.output[0])
