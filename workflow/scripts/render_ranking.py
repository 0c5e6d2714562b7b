"""A protocol sensitivity study: Kendall's tau between the protocols' orderings (Markdown,
CSV), each method's average rank per protocol (CSV, figure) and the critical-difference
figure over every dataset x protocol cell."""

from imbgraph import runlog

runlog.setup(snakemake.log[0])  # noqa: F821

from imbgraph.io.atomic import atomic_path, write_text  # noqa: E402
from imbgraph.tables.aggregate import load_runs  # noqa: E402
from imbgraph.tables.build import METRIC_LABELS  # noqa: E402
from imbgraph.tables.ranking import plot_cd, plot_rank_profiles  # noqa: E402
from imbgraph.tables.sensitivity import ALL, protocol_sensitivity, render_sensitivity  # noqa: E402

sm = snakemake  # noqa: F821
r, out = sm.params.ranking, sm.output
label = METRIC_LABELS.get(r["metric"], r["metric"])
s = protocol_sensitivity(load_runs(sm.input.metrics, r["metric"]), methods=r["rows"],
                         labels=sm.params.labels, datasets=r["datasets"],
                         protocols=r["protocols"],
                         higher_is_better=r.get("higher_is_better", True),
                         alpha=r.get("alpha", 0.05))
write_text(render_sensitivity(s, title=r["title"], metric_label=label,
                              protocols=r["protocols"], datasets=r["datasets"],
                              dataset_labels=r.get("dataset_labels"), note=r.get("note", "")),
           out.md)
for frame, path in ((s.taus, out.tau), (s.ranks, out.ranks)):
    with atomic_path(path) as tmp:
        frame.write_csv(tmp)
per_protocol = s.ranks.filter(s.ranks["protocol"] != ALL)
plot_rank_profiles(per_protocol, title=f"{r['title']}: average rank ({label}) per protocol",
                   png=out.ranks_png, pdf=out.ranks_pdf)
overall = s.ranks.filter(s.ranks["protocol"] == ALL)
t = s.test
subtitle = (f"{t.n} dataset x protocol cells, Friedman p = {t.pvalue:.2g}, Nemenyi at {t.alpha:g}"
            if t is not None else "no complete cell")
plot_cd(dict(zip(overall["method"], overall["avg_rank"])), t.cd if t is not None else 0.0,
        title=f"{r['title']} ({label}): {subtitle}", png=out.cd_png, pdf=out.cd_pdf)
