"""Parquet helpers: compressed, atomically written, read back as pyarrow tables."""

from __future__ import annotations

import os

import pyarrow as pa
import pyarrow.parquet as pq

from imbgraph.io.atomic import atomic_path

COMPRESSION = "zstd"


def write_parquet_table(
    table: pa.Table, path: str | os.PathLike, *, metadata: dict[str, str] | None = None
) -> None:
    """Write ``table`` to ``path`` (zstd) via a temporary file; ``metadata`` goes in the schema."""
    if metadata:
        merged = dict(table.schema.metadata or {})
        merged.update({k.encode(): str(v).encode() for k, v in metadata.items()})
        table = table.replace_schema_metadata(merged)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression=COMPRESSION)


def read_parquet_table(path: str | os.PathLike, columns: list[str] | None = None) -> pa.Table:
    return pq.read_table(path, columns=columns)


def table_metadata(table: pa.Table) -> dict[str, str]:
    meta = table.schema.metadata or {}
    return {k.decode(): v.decode() for k, v in meta.items()}
