# Random-walk positional encodings: computed once per dataset, read by every method and run.


rule random_walk_pe:
    input:
        graphcls_collection("{dataset}"),
    output:
        f"{G_RESULTS}/encodings/{{dataset}}/rwpe.npy",
    log:
        f"{RESULTS}/logs/random_walk_pe/{{dataset}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/random_walk_pe/{{dataset}}.tsv"
    wildcard_constraints:
        **GRAPHCLS_WILDCARDS,
    params:
        dim=lambda wc: gcfg.pe_dim(GRAPHCLS, wc.dataset),
        method=GRAPHCLS.get("pe", {}).get("method", "half"),
    threads: 1
    resources:
        mem_mb=8000,  # D&D at dim 16: 0.8 GB; REDDIT-BINARY at 16: 6 GB
        runtime=30,
    conda:
        "../../../envs/imbgraph.yaml"
    script:
        "../../scripts/graphcls/random_walk_pe.py"
