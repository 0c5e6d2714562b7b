# Claims as tests: a paper's statements ("UniImb beats every baseline on each dataset of
# Table 2") as config entries, each tested with a paired test over the seeds of its runs
# (imbgraph.tables.claims); one Markdown + CSV per study and one target rule per study,
# `<study>_claims`. Included after the tables, whose check came first; the runs' metrics
# files come from each family's FAMILY_RUNS, like a table's.
CLAIMS = config.get("claims", {})
# Every claim names only families, methods, datasets, splits, metrics and tables the config
# has (the check names the key).
cfg.check_claims(config, CATALOGS, where=CONFIG_NAME)
CLAIM_COMPARISONS = {study: cfg.claim_comparisons(config, study) for study in CLAIMS}
# Per study: its outputs (the target's and `all`'s inputs), the metrics.json of every seed
# of every (dataset, split, method) it compares, and the labels of those methods.
CLAIMS_OUTPUTS = {
    study: expand(f"{RESULTS}/tables/{cfg.claims_target(study)}.{{ext}}", ext=["md", "csv"])
    for study in CLAIMS
}
CLAIM_METRICS = {
    study: [
        f
        for d, s, m in cfg.claim_runs(config, study)
        for f in FAMILY_RUNS[CLAIMS[study]["task"]]["run"](d, s, m)
    ]
    for study in CLAIMS
}
CLAIM_LABELS = {
    study: {
        m: CATALOGS[CLAIMS[study]["task"]].label(m)
        for m in sorted({x for c in CLAIM_COMPARISONS[study] for x in (c["better"], c["than"])})
    }
    for study in CLAIMS
}


rule render_claims:
    input:
        metrics=lambda wc: CLAIM_METRICS[wc.study],
    output:
        md=report(
            f"{RESULTS}/tables/{{study}}_claims.md",
            caption="../report/claims.rst",
            category="Claims",
            subcategory="{study}",
            labels=lambda wc: {"study": wc.study, "title": CLAIMS[wc.study]["title"]},
        ),
        csv=f"{RESULTS}/tables/{{study}}_claims.csv",
    log:
        f"{RESULTS}/logs/render_claims/{{study}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/render_claims/{{study}}.tsv"
    wildcard_constraints:
        study=alternatives(list(CLAIMS)),
    params:
        # The whole study (claims, alpha, test, correction), so that editing it reruns this
        # job and only this job.
        study=lambda wc: {"name": wc.study, **cfg.as_params(CLAIMS[wc.study])},
        comparisons=lambda wc: CLAIM_COMPARISONS[wc.study],
        labels=lambda wc: CLAIM_LABELS[wc.study],
        seeds=lambda wc: CATALOGS[CLAIMS[wc.study]["task"]].seeds,
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/imbgraph.yaml"
    script:
        "../scripts/render_claims.py"


for _study in CLAIMS:

    rule:
        name:
            cfg.claims_target(_study)
        input:
            CLAIMS_OUTPUTS[_study],
