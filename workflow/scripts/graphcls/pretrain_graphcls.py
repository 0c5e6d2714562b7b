"""InfoGraph / GraphCL pre-training of one spec on one dataset and split, for each seed of the
job: the frozen encoder's embedding of every graph (.npy) and a summary (.json), read by the
runs of every method with that spec (the row and its -up / -rw variants)."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

import logging  # noqa: E402

from imbgraph.graphcls.collection import GraphCollection, load_array, save_array  # noqa: E402
from imbgraph.graphcls.pretrain import pretrain_embeddings  # noqa: E402
from imbgraph.graphcls.splits import read_graph_split  # noqa: E402
from imbgraph.io import write_json  # noqa: E402
from imbgraph.training import setup_torch  # noqa: E402

sm = snakemake  # noqa: F821
wc, p, inp, out = sm.wildcards, sm.params, sm.input, sm.output
setup_torch(sm.threads)  # threads, and subnormals flushed (imbgraph.training)
coll = GraphCollection.load(inp.collection)
pe = load_array(inp.pe[0], rows=coll.num_nodes, what="random-walk PE") if inp.pe else None
for i, seed in enumerate(p.seeds):
    split = read_graph_split(inp.splits[i], coll.num_graphs)
    emb, summary = pretrain_embeddings(coll, pe, split, p.spec, seed=seed)
    save_array(emb, out.embeddings[i])
    write_json({"task": "graphcls", "dataset": wc.dataset, "split": wc.split,
                "pretrain": wc.pretrain, "seed": int(seed), "spec": p.spec,
                "shape": list(emb.shape), **summary}, out.summaries[i])
    logging.info("seed %d: %s pre-training on %d graphs, %d epochs in %.1f s; %d x %d "
                 "embeddings", seed, p.spec["kind"], summary["pretrain_graphs"],
                 len(summary["pretrain_loss"]), summary["seconds"], *emb.shape)
