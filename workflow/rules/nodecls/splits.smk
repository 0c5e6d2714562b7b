# Splits: one file per dataset, split and run seed, drawn once and read by every method of
# the tables, so that all of them see the same training nodes.


rule split_nodes:
    input:
        unpack(nodecls_split_inputs),
    output:
        nodecls_paths(f"{NC_RESULTS}/splits/{{dataset}}/{{split}}/seed{{seed}}.parquet"),
    log:
        nodecls_job("logs", "split_nodes", "{dataset}", "{split}"),
    benchmark:
        nodecls_job("benchmarks", "split_nodes", "{dataset}", "{split}")
    wildcard_constraints:
        **NODECLS_WILDCARDS,
    params:
        spec=lambda wc: nccfg.resolve_split(NODECLS, wc.split, wc.dataset),
        where=lambda wc: nccfg.split_key(NODECLS, wc.split, wc.dataset),
        seeds=lambda wc: job_seeds(wc, NODECLS_SEEDS, NODECLS_PER_SEED),
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../../envs/imbgraph.yaml"
    script:
        "../../scripts/nodecls/split_nodes.py"
