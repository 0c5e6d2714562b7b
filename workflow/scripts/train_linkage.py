"""Train one method on one training split and seed."""

from imbgraph import runlog

progress = runlog.setup(snakemake.log[0])  # noqa: F821

from pathlib import Path  # noqa: E402

import torch  # noqa: E402

from imbgraph.io import read_parquet_table, read_split, write_json  # noqa: E402
from imbgraph.io.atomic import atomic_path  # noqa: E402
from imbgraph.linkage.methods import train_method  # noqa: E402
from imbgraph.linkage.subgraphs import Supersets  # noqa: E402

sm = snakemake  # noqa: F821
torch.set_num_threads(sm.threads)
split = read_split(sm.input.features, sm.input.labels)
sets = Supersets.concat([Supersets.from_arrow(read_parquet_table(f)) for f in sm.input.shards])
state, summary = train_method(
    sm.params.method, sets, split.features, split.labels,
    k1=sm.params.k1, seed=int(sm.wildcards.seed),
    checkpoint=sm.params.checkpoint, progress=progress,
)
with atomic_path(sm.output.model) as tmp:
    torch.save(state, tmp)
write_json(summary, sm.output.history)
Path(sm.params.checkpoint).unlink(missing_ok=True)  # finished: nothing left to resume
