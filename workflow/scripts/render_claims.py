"""Test one study's claims on the per-seed metrics of its runs; write them as Markdown and
a tidy CSV (imbgraph.tables.claims)."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

import logging  # noqa: E402

from imbgraph.io.atomic import atomic_path, write_text  # noqa: E402
from imbgraph.tables.claims import evaluate, load_values, render_markdown  # noqa: E402

sm = snakemake  # noqa: F821
study, comparisons = sm.params.study, sm.params.comparisons
values = load_values(sm.input.metrics, sorted({c["metric"] for c in comparisons}))
results = evaluate(study, comparisons, values, seeds=sm.params.seeds, labels=sm.params.labels)
for r in results.unique("claim", keep="first", maintain_order=True).iter_rows(named=True):
    logging.info("claim %s: %s", r["claim"], r["claim_verdict"])
write_text(render_markdown(results, title=study["title"], note=study.get("note", "")),
           sm.output.md)
with atomic_path(sm.output.csv) as tmp:
    results.write_csv(tmp)
