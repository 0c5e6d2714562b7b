"""Draw an imbalanced (H m, S n) training subset."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

import logging  # noqa: E402

from imbgraph.io import read_split, write_split  # noqa: E402
from imbgraph.linkage.subsets import imbalanced_subset  # noqa: E402

sm = snakemake  # noqa: F821
full = read_split(sm.input.features, sm.input.labels)
sub = imbalanced_subset(full, sm.params.head, sm.params.tail, seed=sm.params.seed,
                         source=sm.input.features)
logging.info("H%d S%d: %d of %d samples", sm.params.head, sm.params.tail, len(sub), len(full))
write_split(sub, sm.output.features, sm.output.labels)
