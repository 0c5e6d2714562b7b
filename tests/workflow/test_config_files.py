"""How the Snakefile takes its config: the default config/config.yaml unless a --configfile
is given (which replaces it wholly), `--config` edits on top of the default, and a config
file that is empty or `{}` is named rather than running the default study."""

from __future__ import annotations

import re

import pytest
from snakemake_helpers import clone_layout, run_cli

pytestmark = pytest.mark.workflow



@pytest.mark.parametrize("text", ["{}\n", "# nothing but a comment\n{}\n"])
def test_a_config_file_holding_braces_is_named(tmp_path, text):
    workdir = clone_layout(tmp_path)
    (workdir / "mine.yaml").write_text(text)
    code, out = run_cli(["-n", "all", "--configfile=mine.yaml"], workdir)
    assert code != 0
    assert "mine.yaml: the config file is empty" in out
    assert "train_linkage" not in out  # the default study was not planned


def test_command_line_config_edits_the_default_config(tmp_path):
    # No --configfile: the default config loads and `--config` changes its seeds; the
    # list arrives from Snakemake as strings and is accepted as integers.
    workdir = clone_layout(tmp_path)
    code, out = run_cli(["-n", "table2", "--config", "seeds=[1]"], workdir)
    assert code == 0, out[-3000:]
    outputs = set(re.findall(r"/seed(\d+)/", out))
    assert outputs == {"1"}, outputs
    assert "train_linkage" in out  # the default config's face study
