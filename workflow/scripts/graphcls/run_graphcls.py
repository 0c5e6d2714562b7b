"""Train and test one method on one dataset and split, for each seed of the job: metrics,
timings and the settings used."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

import logging  # noqa: E402

from imbgraph.graphcls.collection import GraphCollection, load_array  # noqa: E402
from imbgraph.graphcls.methods import run_method, run_records  # noqa: E402
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
    # InfoGraph / GraphCL: the seed's cached pre-training (pretrain_graphcls), else none
    emb = (load_array(inp.embeddings[i], rows=coll.num_graphs, what="pre-trained embeddings")
           if inp.embeddings else None)
    pre = read_json(inp.pretrain_summaries[i]) if inp.pretrain_summaries else None
    metrics, summary = run_method(coll, pe, split, p.method, seed=seed, knn=knn,
                                  embeddings=emb, pretrain_summary=pre)
    records = run_records(metrics, summary, dataset=wc.dataset, split=wc.split,
                          method_name=wc.method, method=p.method, seed=seed,
                          node_features=coll.features, split_info=split.info, **p.data)
    for record, path in zip(records, (out.metrics[i], out.timings[i], out.settings[i])):
        write_json(record, path)
    logging.info("seed %d: macro-F1 %.4f, micro-F1 %.4f (%d epochs, best %d) in %.1f s", seed,
                 metrics["macro_f1"], metrics["micro_f1"], summary["epochs"],
                 summary["best_epoch"] + 1, summary["seconds"])
