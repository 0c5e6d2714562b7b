"""Cluster a test split with one classic clusterer and score it like the linkage runs."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

import logging  # noqa: E402

import pyarrow as pa  # noqa: E402

from imbgraph.clustering.classic import run_clusterer, subsample_indices  # noqa: E402
from imbgraph.io import read_split, write_json, write_parquet_table  # noqa: E402
from imbgraph.metrics import clustering_report  # noqa: E402
from imbgraph.provenance import run_settings  # noqa: E402

sm = snakemake  # noqa: F821
c = sm.params.clusterer
seed = int(sm.wildcards.seed)
test = read_split(sm.input.features, sm.input.labels)
max_samples = c.get("max_samples")
logging.info("%s on %d test images (max_samples %s)", c["name"], len(test.labels), max_samples)
pred, info = run_clusterer(
    c["name"], test.features, test.labels, c.get("params", {}),
    seed=seed, max_samples=max_samples, knn_k=c.get("knn_k", 10),
)
rows = subsample_indices(len(test.labels), max_samples, seed)
timings = {k: info.pop(k) for k in ("wall_s", "knn_s")}  # apart: metrics stay byte-stable
run = {"task": "linkage", "dataset": sm.wildcards.dataset, "split": "test",
       "clusterer": sm.wildcards.clusterer, "seed": seed}
metrics = {**run, "label": c.get("label", sm.wildcards.clusterer),
           **clustering_report(test.labels[rows], pred), **info}
logging.info("BCubed F %.4f, pairwise F %.4f, NMI %.4f in %.2f s", metrics["bcubed_f"],
             metrics["pairwise_f"], metrics["nmi"], timings["wall_s"])
write_parquet_table(pa.table({"row": rows, "cluster": pred}), sm.output.clusters)
write_json(metrics, sm.output.metrics)
write_json(timings, sm.output.timings)
write_json(run_settings(task="linkage", dataset=run["dataset"], split="test",
                        method=run["clusterer"], seed=seed, resolved=c), sm.output.settings)
