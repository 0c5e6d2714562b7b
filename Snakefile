# imbgraph: graph learning under class imbalance, from data to paper tables.
# Table of contents only: shared set-up, each task family's rules (only when the config has
# its section), the tables, figures and claims, and the targets.
import sys

from snakemake.utils import min_version

min_version("9.0")


# `snakemake --report results/report.html`: every table and figure, with captions
# (workflow/report/*.rst).
report: "workflow/report/workflow.rst"


# `--configfile` replaces the default config wholly (Snakemake would otherwise deep-merge
# it into config/config.yaml and keep, say, the default's methods in a tiny test config);
# `--config key=value` alone edits the default config.
if not workflow.configfiles:

    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"


# A failed job: its log's last lines on the console (Snakemake itself only says "check log
# file(s)"), read from Snakemake's own log, which names every failed job's log.
onerror:
    from imbgraph.runlog import failed_log_tails

    try:
        print(failed_log_tails(log), file=sys.stderr)
    except Exception as err:  # never hide the failure itself
        print(f"(could not show the failed jobs' logs: {err})", file=sys.stderr)


if "linkage" in config:  # face clustering as linkage prediction (DIGL, RGCN)

    include: "workflow/rules/linkage/common.smk"
    include: "workflow/rules/linkage/data.smk"
    include: "workflow/rules/linkage/knn.smk"
    include: "workflow/rules/linkage/partition.smk"
    include: "workflow/rules/linkage/subgraphs.smk"
    include: "workflow/rules/linkage/train.smk"
    include: "workflow/rules/linkage/evaluate.smk"
    include: "workflow/rules/linkage/clustering.smk"


if "nodecls" in config:  # node classification (GraphSMOTE, ECGN)

    include: "workflow/rules/nodecls/common.smk"
    include: "workflow/rules/nodecls/data.smk"
    include: "workflow/rules/nodecls/splits.smk"
    include: "workflow/rules/nodecls/clusters.smk"
    include: "workflow/rules/nodecls/run.smk"


if "graphcls" in config:  # graph classification under class / topological imbalance (UniImb)

    include: "workflow/rules/graphcls/common.smk"
    include: "workflow/rules/graphcls/data.smk"
    include: "workflow/rules/graphcls/encodings.smk"
    include: "workflow/rules/graphcls/knn.smk"
    include: "workflow/rules/graphcls/splits.smk"
    include: "workflow/rules/graphcls/run.smk"
    include: "workflow/rules/graphcls/pretrain.smk"
    include: "workflow/rules/graphcls/convergence.smk"


include: "workflow/rules/tables.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/rankings.smk"
include: "workflow/rules/claims.smk"


rule all:
    default_target: True
    input:
        [f for t in TABLES for f in table_outputs(t)],
        [f for fig in FIGURES for f in figure_outputs(fig)],
        [f for r in RANKINGS for f in ranking_outputs(r)],
        [f for files in CLAIMS_OUTPUTS.values() for f in files],
        FAMILY_TARGETS,
