"""Shared workflow fixtures: one uninterrupted run of config/tiny.yaml per test session,
used by the end-to-end checks and as the reference of the determinism and resume tests; and
the SLURM test's runs started in the background as soon as the session has collected
(test_slurm.py, slurm_cluster.Background)."""

from __future__ import annotations

import os

import pytest
from slurm_cluster import SLURM_RUNS
from snakemake_helpers import snakemake, write_config


def pytest_collection_finish(session):
    # The SLURM runs mostly wait (status checks); run them beside the rest of the suite
    # when the session will run their tests (not under -m "not slurm" or a -k that skips
    # them). Under pytest-xdist every worker collects everything: there the worker that is
    # given the SLURM file runs it first instead (tests/conftest.py).
    if os.environ.get("PYTEST_XDIST_WORKER") or session.config.option.collectonly:
        return
    if any(item.get_closest_marker("slurm") for item in session.items):
        SLURM_RUNS.start()


def pytest_sessionfinish(session):
    SLURM_RUNS.close()  # the cluster's daemons and directory, whatever the tests did


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("tiny")
    config = write_config(workdir, "tiny.yaml")
    snakemake(workdir, config, "--cores", "2", "all")
    return workdir, config
