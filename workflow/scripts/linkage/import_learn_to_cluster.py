"""Read a learn-to-cluster .bin/.meta pair into the pipeline's split layout."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

import logging  # noqa: E402

from imbgraph.io import read_learn_to_cluster, write_split  # noqa: E402

sm = snakemake  # noqa: F821
split = read_learn_to_cluster(sm.input.features, sm.input.labels, dim=sm.params.dim)
logging.info("%s: %d samples, dim %d", sm.input.features, len(split), split.features.shape[1])
write_split(split, sm.output.features, sm.output.labels)
