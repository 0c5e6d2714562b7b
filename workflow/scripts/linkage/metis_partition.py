"""METIS shards of a split's kNN graph."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

import logging  # noqa: E402

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

from imbgraph.graph import knn_adjacency  # noqa: E402
from imbgraph.io import read_parquet_table, write_parquet_table  # noqa: E402
from imbgraph.knn import KnnTable  # noqa: E402
from imbgraph.partition import metis_partition  # noqa: E402

sm = snakemake  # noqa: F821
nbr = KnnTable.from_arrow(read_parquet_table(sm.input[0])).nbr[:, : sm.params.k]
parts = metis_partition(knn_adjacency(nbr), sm.params.shards, seed=sm.params.seed)
logging.info("shard sizes: %s", np.bincount(parts, minlength=sm.params.shards).tolist())
write_parquet_table(pa.table({"shard": parts}), sm.output[0])
