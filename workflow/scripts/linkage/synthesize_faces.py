"""Generate a synthetic face domain (train + test splits)."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

import logging  # noqa: E402

from imbgraph.io import write_split  # noqa: E402
from imbgraph.linkage.synthetic import FaceDomain, synthesize_faces  # noqa: E402

out = snakemake.output  # noqa: F821
splits = synthesize_faces(FaceDomain(**snakemake.params.domain))  # noqa: F821
for name, split in splits.items():
    logging.info("%s: %d samples, %d identities", name, len(split), len(set(split.labels)))
write_split(splits["train"], out.train_features, out.train_labels)
write_split(splits["test"], out.test_features, out.test_labels)
