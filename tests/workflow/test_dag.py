"""Dry runs: the default config's DAG has the expected jobs per rule; lint is clean."""

from __future__ import annotations

import pytest
from snakemake_helpers import job_counts, snakemake, write_config

pytestmark = pytest.mark.workflow

LINKAGE_RULES = ("synthesize_faces", "import_learn_to_cluster", "make_subset", "knn_search",
                 "metis_partition", "build_subgraphs", "train_linkage", "evaluate_linkage",
                 "cluster_baseline")


def test_default_dag_jobs_per_rule(tmp_path):
    config = write_config(tmp_path, "config.yaml")
    out = snakemake(tmp_path, config, "-n", "all")
    # faces: 8 subsets + train + test; fashion: 2 subsets + train + test. Every split gets a
    # kNN table, a partition and 2 shards: 14 + 14 + 28. Training jobs (each trains the 3
    # seeds): Table 1 (9 x 8 = 72), Table 2 (7 x 2 = 14), Table 3's full-data L-GCN runs (2),
    # the comparison's RGCN and FL-RIWS on the face train split (2), and Figure 3's 6
    # undeclared sweep points (RS at 1.5/2.0/2.5, RIWS at 1.2/1.5/2.5) x 8 = 48; the other
    # points reuse L-GCN, RS and RIWS. 6 clusterers x 3 seeds.
    counts = job_counts(out)
    linkage = {rule: counts.pop(rule) for rule in LINKAGE_RULES if rule in counts}
    assert linkage == {
        "synthesize_faces": 2,
        "make_subset": 10,
        "knn_search": 14,
        "metis_partition": 14,
        "build_subgraphs": 28,
        "train_linkage": 138,
        "evaluate_linkage": 138,
        "cluster_baseline": 18,
    }
    assert counts == {"render_table": 4, "render_figure": 1, "all": 1}


def test_one_job_per_seed_when_asked(tmp_path):
    # seeds_per_job: 1 (SLURM, paper scale): a train and an evaluate job per seed.
    config = write_config(tmp_path, "config.yaml", linkage={"seeds_per_job": 1})
    counts = job_counts(snakemake(tmp_path, config, "-n", "table2"))
    assert counts["train_linkage"] == counts["evaluate_linkage"] == 14 * 3


@pytest.mark.parametrize(
    "target, expected",
    [
        ("table2", {"render_table": 1, "train_linkage": 14, "cluster_baseline": 0}),
        ("table3", {"render_table": 1, "train_linkage": 6, "cluster_baseline": 0}),
        ("clustering", {"render_table": 1, "train_linkage": 3, "cluster_baseline": 18}),
        ("figure3", {"render_figure": 1, "render_table": 0, "train_linkage": 72}),
    ],
)
def test_new_targets_in_default_dag(tmp_path, target, expected):
    config = write_config(tmp_path, "config.yaml")
    counts = job_counts(snakemake(tmp_path, config, "-n", target))
    assert counts[target] == 1
    for rule, n in expected.items():
        assert counts.get(rule, 0) == n, (rule, counts)


def test_table_target_builds_only_that_table(tmp_path):
    config = write_config(tmp_path, "tiny.yaml")
    by_name = job_counts(snakemake(tmp_path, config, "-n", "table1"))
    by_file = job_counts(snakemake(tmp_path, config, "-n", "results/tables/table1.md"))
    assert by_name["render_table"] == 1 and by_name["table1"] == 1
    assert by_file["render_table"] == 1 and "table1" not in by_file
    assert by_name["train_linkage"] == by_file["train_linkage"] == 6


def test_lint_is_clean(tmp_path):
    config = write_config(tmp_path, "config.yaml")
    out = snakemake(tmp_path, config, "--lint")
    assert "Congratulations, your workflow is in a good condition!" in out, out
