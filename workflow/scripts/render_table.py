"""Aggregate the runs of one table and write it as Markdown, CSV and LaTeX."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

from imbgraph.io.atomic import atomic_path, write_text  # noqa: E402
from imbgraph.tables import render_markdown, render_tex  # noqa: E402
from imbgraph.tables.build import build_grid, build_rows  # noqa: E402
from imbgraph.tables.leaderboard import build_leaderboard  # noqa: E402

sm = snakemake  # noqa: F821
t = sm.params.table
reference = sm.input.reference or None
if t.get("kind", "grid") == "grid":
    cells, style = build_grid(t, sm.input.metrics, sm.params.labels, reference)
elif t["kind"] == "leaderboard":
    cells, style = build_leaderboard(t, sm.input.metrics, sm.params.labels)
else:
    cells, style = build_rows(t, sm.params.rows, reference)
write_text(render_markdown(cells, **style), sm.output.md)
write_text(render_tex(cells, **style), sm.output.tex)
with atomic_path(sm.output.csv) as tmp:
    cells.write_csv(tmp)
