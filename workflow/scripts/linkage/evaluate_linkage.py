"""Evaluate the trained models of one method and split on the test split (every seed of
the job): scored edges, clusters, metrics, timings and the settings used."""

from imbgraph import runlog

progress = runlog.setup(snakemake.log[0])  # noqa: F821

import pyarrow as pa  # noqa: E402

from imbgraph.io import read_json, read_split, write_json, write_parquet_table  # noqa: E402
from imbgraph.linkage.evaluation import evaluate_model  # noqa: E402
from imbgraph.linkage.methods import load_model  # noqa: E402
from imbgraph.linkage.subgraphs import read_supersets  # noqa: E402
from imbgraph.provenance import run_settings  # noqa: E402
from imbgraph.training import load_torch, setup_torch  # noqa: E402

sm = snakemake  # noqa: F821
wc, p, out = sm.wildcards, sm.params, sm.output
setup_torch(sm.threads)  # threads, and subnormals flushed (imbgraph.training)
test = read_split(sm.input.features, sm.input.labels)
sets = read_supersets(sm.input.shards)
for i, seed in enumerate(p.seeds):
    model = load_model(p.method, load_torch(sm.input.models[i]), sm.input.models[i])
    edges, clusters, metrics, timings = evaluate_model(
        model, sets, test.features, test.labels,
        k1=p.k1, propagation=p.propagation, progress=progress,
    )
    metrics["train_size"] = read_json(sm.input.histories[i])["pivots"]  # each image a pivot
    run = {"task": "linkage", "dataset": wc.dataset, "split": wc.split, "method": wc.method,
           "seed": seed}
    write_parquet_table(edges, out.edges[i])
    write_parquet_table(pa.table({"cluster": clusters}), out.clusters[i])
    write_json({**run, "method_label": p.method["label"], **metrics}, out.metrics[i])
    write_json(timings, out.timings[i])
    write_json(run_settings(**run, resolved=p.method, propagation=p.propagation, **p.data),
               out.settings[i])
