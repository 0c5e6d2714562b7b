"""kNN table of one split (faiss); logs recall when the index is approximate."""

from imbgraph import runlog

progress = runlog.setup(snakemake.log[0])  # noqa: F821

import logging  # noqa: E402

from imbgraph import knn  # noqa: E402
from imbgraph.io import read_split, write_parquet_table  # noqa: E402

sm = snakemake  # noqa: F821
p = sm.params
split = read_split(sm.input.features, sm.input.labels)
table = knn.search(
    split.features, p.k, index=p.index, index_params=p.index_params,
    threads=sm.threads, progress=progress,
    source=f"{sm.input.features} (k = max(ceil(k1 * gamma), k2, u) of linkage.subgraphs)",
)
meta = {"k": p.k, "index": p.index}
if p.index != "flat" and p.recall_queries:
    r = knn.sampled_recall(table, split.features, p.recall_queries, threads=sm.threads)
    logging.info("recall@%d of %s vs exact on %d queries: %.4f", p.k, p.index, p.recall_queries, r)
    meta["recall"] = r
write_parquet_table(table.to_arrow(), sm.output[0], metadata=meta)
