"""One imbalanced train / val / test split of a dataset's nodes per run seed."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

import logging  # noqa: E402

from imbgraph.nodecls.data.graph import read_labels  # noqa: E402
from imbgraph.nodecls.data.splits import make_split, write_splits  # noqa: E402

sm = snakemake  # noqa: F821
y, names = read_labels(sm.input.nodes)
for seed, path in zip(sm.params.seeds, sm.output):
    split = make_split(y, names, sm.params.spec, seed=seed, key=sm.params.where)
    logging.info("seed %d: training nodes per class %s, minority %s", seed,
                 split.counts(y, len(names))["train"].tolist(),
                 [names[c] for c in split.minority])
    write_splits({seed: split}, path)
