# imbgraph: graph learning under class imbalance, from data to paper tables.
# Table of contents only; each stage lives in workflow/rules/<stage>.smk.
from snakemake.utils import min_version

min_version("9.0")


# `snakemake --report results/report.html`: every table and figure, with captions
# (workflow/report/*.rst).
report: "workflow/report/workflow.rst"


# `--configfile` replaces the default config wholly (Snakemake would otherwise deep-merge
# it into config/config.yaml and keep, say, the default's methods in a tiny test config).
if not config:

    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/knn.smk"
include: "workflow/rules/partition.smk"
include: "workflow/rules/subgraphs.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/clustering.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/figures.smk"


rule all:
    default_target: True
    input:
        get_all_tables,
