"""Aggregate the runs of one table and write it as Markdown, CSV and LaTeX."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

from pathlib import Path  # noqa: E402

from imbgraph.io.atomic import atomic_path  # noqa: E402
from imbgraph.tables import load_runs, render_markdown, render_tex, summarise  # noqa: E402
from imbgraph.tables.aggregate import read_reference  # noqa: E402

sm = snakemake  # noqa: F821
t = sm.params.table
columns = [c["split"] for c in t["columns"]]
paper_columns = {c["split"]: c.get("paper") for c in t["columns"]}
paper = read_reference(sm.input.reference) if sm.input.reference else {}
runs = load_runs(sm.input.metrics, t["metric"])
cells = summarise(
    runs, table=t["name"], metric=t["metric"], rows=t["rows"], labels=sm.params.labels,
    columns=columns, paper=paper, paper_columns=paper_columns,
)
style = {"title": t["title"], "column_labels": paper_columns,
         "higher_is_better": t.get("higher_is_better", True)}
for path, text in ((sm.output.md, render_markdown(cells, **style)),
                   (sm.output.tex, render_tex(cells, **style))):
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)
with atomic_path(sm.output.csv) as tmp:
    cells.write_csv(tmp)
