"""Tests of imbgraph.io.tables: zstd Parquet written atomically, with schema metadata."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from imbgraph.io.tables import read_parquet_table, table_metadata, write_parquet_table


def test_round_trip_with_metadata(tmp_path):
    table = pa.table({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    path = tmp_path / "d" / "t.parquet"
    write_parquet_table(table, path, metadata={"k": 10, "index": "flat"})
    back = read_parquet_table(path)
    assert back.equals(table.replace_schema_metadata(back.schema.metadata))
    assert table_metadata(back) == {"k": "10", "index": "flat"}
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "ZSTD"
    assert read_parquet_table(path, columns=["b"]).column_names == ["b"]
    assert [p.name for p in path.parent.iterdir()] == ["t.parquet"]
