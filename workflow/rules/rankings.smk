# Rankings: how much the methods' ranking depends on the split protocol (Kendall's tau between
# protocols, each method's rank per protocol, the critical-difference figure), one target
# rule per entry of `rankings:` so `snakemake protocol_sensitivity` rebuilds just that one.


rule render_ranking:
    input:
        metrics=get_ranking_metrics,
    output:
        md=report(
            f"{RESULTS}/rankings/{{ranking}}.md",
            caption="../report/ranking.rst",
            category="Rankings",
            subcategory="{ranking}",
            labels=lambda wc: ranking_report_labels(wc, "Markdown (tau and ranks)"),
        ),
        tau=f"{RESULTS}/rankings/{{ranking}}_tau.csv",
        ranks=f"{RESULTS}/rankings/{{ranking}}_ranks.csv",
        ranks_png=report(
            f"{RESULTS}/rankings/{{ranking}}_ranks.png",
            caption="../report/ranking_ranks.rst",
            category="Rankings",
            subcategory="{ranking}",
            labels=lambda wc: ranking_report_labels(wc, "Rank per protocol (PNG)"),
        ),
        ranks_pdf=f"{RESULTS}/rankings/{{ranking}}_ranks.pdf",
        cd_png=report(
            f"{RESULTS}/rankings/{{ranking}}_cd.png",
            caption="../report/ranking_cd.rst",
            category="Rankings",
            subcategory="{ranking}",
            labels=lambda wc: ranking_report_labels(wc, "Critical difference (PNG)"),
        ),
        cd_pdf=f"{RESULTS}/rankings/{{ranking}}_cd.pdf",
    log:
        f"{RESULTS}/logs/render_ranking/{{ranking}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/render_ranking/{{ranking}}.tsv"
    wildcard_constraints:
        ranking=alternatives(list(RANKINGS)),
    params:
        ranking=lambda wc: RANKINGS[wc.ranking],
        labels=lambda wc: {m: CATALOGS[RANKINGS[wc.ranking]["task"]].label(m)
                           for m in RANKINGS[wc.ranking]["rows"]},
        seeds=lambda wc: CATALOGS[RANKINGS[wc.ranking]["task"]].seeds,
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    conda:
        "../../envs/imbgraph.yaml"
    script:
        "../scripts/render_ranking.py"


for _ranking in RANKINGS:

    rule:
        name:
            _ranking
        input:
            ranking_outputs(_ranking),
