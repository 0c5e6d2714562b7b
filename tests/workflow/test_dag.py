"""Dry runs: the default config's DAG has the expected jobs per rule; lint is clean."""

from __future__ import annotations

import pytest

from snakemake_helpers import REPO, job_counts, snakemake, write_config

pytestmark = pytest.mark.workflow


def test_default_dag_jobs_per_rule(tmp_path):
    config = write_config(tmp_path, "config.yaml")
    out = snakemake(tmp_path, config, "-n", "all")
    # 4 heads x 2 tails = 8 subsets; test + 8 subsets get a kNN table, a partition and
    # 2 shards of subgraphs each; 9 methods x 8 subsets x 3 seeds train and evaluate.
    assert job_counts(out) == {
        "synthesize_faces": 1,
        "make_subset": 8,
        "knn_search": 9,
        "metis_partition": 9,
        "build_subgraphs": 18,
        "train_linkage": 216,
        "evaluate_linkage": 216,
        "render_table": 1,
        "all": 1,
    }


def test_table_target_builds_only_that_table(tmp_path):
    config = write_config(tmp_path, "tiny.yaml")
    by_name = job_counts(snakemake(tmp_path, config, "-n", "table1"))
    by_file = job_counts(snakemake(tmp_path, config, "-n", "results/tables/table1.md"))
    assert by_name["render_table"] == 1 and by_name["table1"] == 1
    assert by_file["render_table"] == 1 and "table1" not in by_file
    assert by_name["train_linkage"] == by_file["train_linkage"] == 12


def test_lint_is_clean(tmp_path):
    config = write_config(tmp_path, "config.yaml")
    out = snakemake(tmp_path, config, "--lint")
    assert "Congratulations, your workflow is in a good condition!" in out, out
