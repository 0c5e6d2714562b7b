"""Shared workflow fixtures: one uninterrupted run of config/tiny.yaml per test session,
used by the end-to-end checks and as the reference of the determinism and resume tests."""

from __future__ import annotations

import pytest
from snakemake_helpers import snakemake, write_config


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("tiny")
    config = write_config(workdir, "tiny.yaml")
    snakemake(workdir, config, "--cores", "2", "all")
    return workdir, config
