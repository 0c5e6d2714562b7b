"""One traced run (see imbgraph.graphcls.convergence): the test scores at every new best
validation epoch of a run without early stopping, and the settings used."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

import logging  # noqa: E402

from imbgraph.graphcls.collection import GraphCollection, load_array  # noqa: E402
from imbgraph.graphcls.methods import run_method, run_records  # noqa: E402
from imbgraph.graphcls.splits import read_graph_split  # noqa: E402
from imbgraph.io import write_json  # noqa: E402
from imbgraph.training import setup_torch  # noqa: E402

sm = snakemake  # noqa: F821
wc, p, inp = sm.wildcards, sm.params, sm.input
setup_torch(sm.threads)  # threads, and subnormals flushed (imbgraph.training)
coll = GraphCollection.load(inp.collection)
pe = load_array(inp.pe[0], rows=coll.num_nodes, what="random-walk PE") if inp.pe else None
knn = load_array(inp.knn[0], rows=coll.num_graphs, what="kNN table") if inp.knn else None
seed = int(wc.seed)
split = read_graph_split(inp.split, coll.num_graphs)
metrics, summary = run_method(coll, pe, split, p.method, seed=seed, knn=knn, trace=True)
_, timings, settings = run_records(metrics, summary, dataset=wc.dataset, split=wc.split,
                                   method_name=wc.method, method=p.method, seed=seed,
                                   node_features=coll.features, split_info=split.info, **p.data)
write_json({"method": wc.method, "dataset": wc.dataset, "split": wc.split, "seed": seed,
            "epochs": summary["epochs"], "columns": ["epoch", "val_loss", "macro_f1", "micro_f1"],
            "rows": summary["trace"], "val_loss": summary["val_loss"],
            "train_loss": summary["train_loss"], "timings": timings, "settings": settings},
           sm.output[0])
logging.info("seed %d: %d epochs, %d new bests, last at epoch %d (macro-F1 %.4f) in %.1f s",
             seed, summary["epochs"], len(summary["trace"]), summary["best_epoch"] + 1,
             metrics["macro_f1"], summary["seconds"])
