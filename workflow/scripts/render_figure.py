"""A sweep figure as PNG, PDF and the plotted numbers as CSV."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

import polars as pl  # noqa: E402

from imbgraph.io.atomic import atomic_path  # noqa: E402
from imbgraph.tables.build import METRIC_LABELS  # noqa: E402
from imbgraph.tables.figures import plot_sweep, sweep_points  # noqa: E402

sm = snakemake  # noqa: F821
f, p = sm.params.figure, sm.params
metrics = [f["metric"]] if isinstance(f["metric"], str) else f["metric"]
param = f["sweep"]["param"]
points = pl.concat([
    sweep_points(sm.input.metrics, metric=m, param=param, splits=p.splits, points=p.points,
                 baselines=p.baselines)
    for m in metrics
])
n = len(p.splits)
ylabels = {m: METRIC_LABELS.get(m, m) + (f", mean over {n} splits" if n > 1 else "")
           for m in metrics}
plot_sweep(points, param=param, title=f["title"], xlabel=f["sweep"].get("label", param),
           ylabels=ylabels, png=sm.output.png, pdf=sm.output.pdf)
with atomic_path(sm.output.csv) as tmp:
    points.write_csv(tmp)
