"""A convergence figure as PNG, PDF and the plotted numbers as CSV."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

from imbgraph.graphcls.convergence import (  # noqa: E402
    convergence_points,
    load_traces,
    plot_convergence,
)
from imbgraph.io.atomic import atomic_path  # noqa: E402
from imbgraph.tables.build import METRIC_LABELS  # noqa: E402

sm = snakemake  # noqa: F821
f = sm.params.figure
metric = f.get("metric", "macro_f1")
points = convergence_points(load_traces(sm.input), f["budgets"], metric, sm.params.labels)
plot_convergence(points, title=f["title"], ylabel=METRIC_LABELS.get(metric, metric),
                 png=sm.output.png, pdf=sm.output.pdf)
with atomic_path(sm.output.csv) as tmp:
    points.write_csv(tmp)
