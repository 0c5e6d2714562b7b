"""One imbalanced train / val / test split of a dataset's nodes per run seed (the step
protocol's public base reads the dataset's published split from the same file)."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

import logging  # noqa: E402

from imbgraph.nodecls.data.graph import (  # noqa: E402
    public_parts,
    read_edge_index,
    read_labels,
    read_public,
)
from imbgraph.nodecls.data.splits import make_split, write_splits  # noqa: E402

sm = snakemake  # noqa: F821
y, names = read_labels(sm.input.nodes)
codes = read_public(sm.input.nodes)
public = public_parts(codes) if codes is not None else None
# a degree-based split (GraphENS's long tail) reads the edges too
edges = read_edge_index(sm.input.edges, y.shape[0]) if "edges" in sm.input.keys() else None
for seed, path in zip(sm.params.seeds, sm.output):
    split = make_split(y, names, sm.params.spec, seed=seed, key=sm.params.where, public=public,
                       edge_index=edges)
    logging.info("seed %d: training nodes per class %s, minority %s", seed,
                 split.counts(y, len(names))["train"].tolist(),
                 [names[c] for c in split.minority])
    write_splits({seed: split}, path)
