# Shared set-up: the shared keys' validation, the results directory, and the registry
# through which each family's rules tell the table and figure rules where its runs' metrics
# files are (FAMILY_RUNS) and what its tables may name (CATALOGS).
import re

from snakemake.utils import validate

from imbgraph import config as cfg
from imbgraph.io.strict_yaml import check_config_file
from imbgraph.io.writable import check_writable_dir

# Each config file is a non-empty mapping (`{}` would otherwise fail the schema without a
# file name) without repeated keys (YAML keeps the last of two equal keys: a second `RIWS:`
# would replace the first unseen).
for _configfile in workflow.configfiles:
    check_config_file(_configfile)
CONFIG_NAME = ", ".join(map(str, workflow.configfiles)) or "config"
validate(config, schema="../schemas/config.schema.yaml")

RESULTS = "results"
check_writable_dir(RESULTS)  # fail before scheduling, not in the first job
# A GPU job asks for one `gpu` unit, so `resources: gpu=1` (profiles/local) keeps two of them
# off one card; CPU-only machines ask for none and run training jobs side by side.
GPU_PER_JOB = cfg.gpu_per_job(config)

# family -> imbgraph.config.Catalog of its section (filled by workflow/rules/<family>/common.smk)
CATALOGS = {}
# family -> {"run": f(dataset, split, method) -> metrics files (one per seed),
#            "row": f(row) -> (metrics files, label, where) for its extra row kinds}
FAMILY_RUNS = {}


def alternatives(names):
    """A wildcard pattern matching exactly ``names`` (nothing when the list is empty: an
    empty alternation would match the empty string)."""
    return "|".join(map(re.escape, names)) if names else "(?!x)x"


def job_paths(pattern, seeds, per_seed):
    """A run job's per-seed output paths: the ``{seed}`` wildcard when every seed is a job
    of its own (SLURM, paper scale), else one path per seed of the family (one job trains
    them all, paying the python and torch start-up once)."""
    if per_seed:
        return pattern
    return expand(pattern, seed=seeds, allow_missing=True)


def job_seeds(wildcards, seeds, per_seed):
    """The seeds one run job handles (see job_paths)."""
    return [int(wildcards.seed)] if per_seed else list(seeds)


def per_seed_jobs(section):
    value = section.get("seeds_per_job", "all")
    return value == 1
