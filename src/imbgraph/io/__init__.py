"""Readers and writers. File access lives here and in workflow/scripts, nowhere else."""

from imbgraph.io.atomic import atomic_path, read_json, write_json
from imbgraph.io.learn_to_cluster import read_learn_to_cluster
from imbgraph.io.splits import Split, read_split, write_split
from imbgraph.io.tables import read_parquet_table, write_parquet_table

__all__ = [
    "Split",
    "atomic_path",
    "read_json",
    "read_learn_to_cluster",
    "read_parquet_table",
    "read_split",
    "write_json",
    "write_parquet_table",
    "write_split",
]
