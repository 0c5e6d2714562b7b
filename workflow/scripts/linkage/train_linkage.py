"""Train one method on one training split, for each seed of the job."""

from imbgraph import runlog

progress = runlog.setup(snakemake.log[0])  # noqa: F821

from pathlib import Path  # noqa: E402

from imbgraph.io import read_split, write_json  # noqa: E402
from imbgraph.linkage.methods import train_method  # noqa: E402
from imbgraph.linkage.subgraphs import read_supersets  # noqa: E402
from imbgraph.training import save_torch, setup_torch  # noqa: E402

sm = snakemake  # noqa: F821
setup_torch(sm.threads)  # threads, and subnormals flushed (imbgraph.training)
split = read_split(sm.input.features, sm.input.labels)
sets = read_supersets(sm.input.shards)
jobs = zip(sm.params.seeds, sm.output.models, sm.output.histories, sm.params.checkpoints)
for seed, model_path, history_path, checkpoint in jobs:
    state, summary = train_method(
        sm.params.method, sets, split.features, split.labels,
        k1=sm.params.k1, seed=seed, checkpoint=checkpoint, progress=progress,
    )
    save_torch(state, model_path)
    write_json(summary, history_path)
for checkpoint in sm.params.checkpoints:  # every seed finished: nothing left to resume
    Path(checkpoint).unlink(missing_ok=True)
