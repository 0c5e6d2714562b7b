"""One imbalanced train / val / test split of a dataset's nodes per run seed (the step
protocol's public base reads the dataset's published split from the same file)."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

import logging  # noqa: E402

from imbgraph.nodecls.data.graph import public_parts, read_labels, read_public  # noqa: E402
from imbgraph.nodecls.data.splits import make_split, write_splits  # noqa: E402

sm = snakemake  # noqa: F821
y, names = read_labels(sm.input.nodes)
codes = read_public(sm.input.nodes)
public = public_parts(codes) if codes is not None else None
for seed, path in zip(sm.params.seeds, sm.output):
    split = make_split(y, names, sm.params.spec, seed=seed, key=sm.params.where, public=public)
    logging.info("seed %d: training nodes per class %s, minority %s", seed,
                 split.counts(y, len(names))["train"].tolist(),
                 [names[c] for c in split.minority])
    write_splits({seed: split}, path)
