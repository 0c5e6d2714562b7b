"""DIGL Figure 3: the gamma sweep as PNG, PDF and the plotted numbers as CSV."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

from imbgraph.io.atomic import atomic_path  # noqa: E402
from imbgraph.tables.build import METRIC_LABELS  # noqa: E402
from imbgraph.tables.figures import plot_sweep, sweep_points  # noqa: E402

sm = snakemake  # noqa: F821
f = sm.params.figure
points = sweep_points(
    sm.input.metrics, metric=f["metric"], splits=sm.params.splits,
    points=sm.params.points, baseline=f["baseline"], labels=sm.params.labels,
)
ylabel = f"{METRIC_LABELS.get(f['metric'], f['metric'])}, mean over {len(sm.params.splits)} subsets"
plot_sweep(points, title=f["title"], ylabel=ylabel, png=sm.output.png, pdf=sm.output.pdf)
with atomic_path(sm.output.csv) as tmp:
    points.write_csv(tmp)
