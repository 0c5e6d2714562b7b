"""IPS supersets of the pivots in one METIS shard."""

from imbgraph import runlog

progress = runlog.setup(snakemake.log[0])  # noqa: F821

import numpy as np  # noqa: E402

from imbgraph.io import read_parquet_table, write_parquet_table  # noqa: E402
from imbgraph.knn import KnnTable  # noqa: E402
from imbgraph.linkage.subgraphs import IpsSpec, build_supersets  # noqa: E402

sm = snakemake  # noqa: F821
nbr = KnnTable.from_arrow(read_parquet_table(sm.input.knn)).nbr
shard = read_parquet_table(sm.input.partition).column("shard").to_numpy()
pivots = np.flatnonzero(shard == int(sm.wildcards.shard))
sets = build_supersets(nbr, pivots, IpsSpec(**sm.params.ips), progress=progress)
write_parquet_table(sets.to_arrow(), sm.output[0], metadata=sm.params.ips)
