"""Evaluate one trained model on the test split: edges, clusters, metrics."""

from imbgraph import runlog

progress = runlog.setup(snakemake.log[0])  # noqa: F821

import pickle  # noqa: E402

import pyarrow as pa  # noqa: E402
import torch  # noqa: E402

from imbgraph.io import read_json, read_parquet_table, read_split, write_json, write_parquet_table  # noqa: E402
from imbgraph.linkage.evaluation import evaluate_model  # noqa: E402
from imbgraph.linkage.methods import load_model  # noqa: E402
from imbgraph.linkage.subgraphs import Supersets  # noqa: E402

sm = snakemake  # noqa: F821
torch.set_num_threads(sm.threads)
test = read_split(sm.input.features, sm.input.labels)
sets = Supersets.concat([Supersets.from_arrow(read_parquet_table(f)) for f in sm.input.shards])
try:  # weights_only: a model file never unpickles arbitrary objects
    state = torch.load(sm.input.model, map_location="cpu", weights_only=True)
except pickle.UnpicklingError as err:
    raise ValueError(f"{sm.input.model}: not an imbgraph model file (expected a state dict "
                     f"of tensors; refusing to unpickle other objects): {err}") from None
model = load_model(sm.params.method, state, sm.input.model)
edges, clusters, metrics, timings = evaluate_model(
    model, sets, test.features, test.labels,
    k1=sm.params.k1, propagation=sm.params.propagation, progress=progress,
)
write_parquet_table(edges, sm.output.edges)
write_parquet_table(pa.table({"cluster": clusters}), sm.output.clusters)
history = read_json(sm.input.history)
metrics["train_size"] = history["pivots"]  # training images: every one is a pivot
write_json({**sm.params.run, "method_label": sm.params.method["label"], **metrics}, sm.output.metrics)
write_json(timings, sm.output.timings)
