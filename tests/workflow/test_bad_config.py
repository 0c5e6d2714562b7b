"""Bad configs stop the real CLI at start-up (schema, cross-key and file-size checks) with a
message naming the key or file; bad values inside a well-sized .bin stop the import job."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from snakemake_helpers import REPO, snakemake, write_config

pytestmark = pytest.mark.workflow

TINY = yaml.safe_load((REPO / "config" / "tiny.yaml").read_text())
DIM = 4


def write_pair(directory: Path, name: str, n: int, *, extra_bytes: int = 0, nan_row=None):
    feats = np.random.default_rng(0).normal(size=(n, DIM)).astype("<f4")
    if nan_row is not None:
        feats[nan_row, 1] = np.nan
    fpath, lpath = directory / f"{name}.bin", directory / f"{name}.meta"
    fpath.write_bytes(feats.tobytes() + b"\0" * extra_bytes)
    lpath.write_text("".join(f"{i // 3}\n" for i in range(n)))
    return {"features": str(fpath), "labels": str(lpath)}


def l2c_config(tmp_path: Path, train: dict, test: dict) -> Path:
    datasets = {  # faces from files; the tiny fashion domain stays synthetic
        **TINY["linkage"]["datasets"],
        "faces": {
            "source": "learn_to_cluster",
            "dim": DIM,
            "train": train,
            "test": test,
            "subsets": TINY["linkage"]["datasets"]["faces"]["subsets"],
        }
    }
    return write_config(tmp_path, "tiny.yaml", linkage={"datasets": datasets})


def failing_dry_run(tmp_path: Path, config: Path) -> str:
    """Dry-run and return the output; the helper raises (with the output's tail) exactly
    when Snakemake exits non-zero."""
    with pytest.raises(AssertionError, match=r"snakemake -n failed \(\d+\)") as info:
        snakemake(tmp_path, config, "-n")
    return str(info.value)


def test_unknown_loss_name(tmp_path):
    methods = TINY["linkage"]["methods"]
    methods = {**methods, "RIWS": {**methods["RIWS"], "loss": {"name": "hinge"}}}
    out = failing_dry_run(tmp_path, write_config(tmp_path, "tiny.yaml",
                                                 linkage={"methods": methods}))
    assert "'hinge' is not one of" in out, out[-3000:]
    # the config file, the key and the schema are named (imbgraph.config.schema_error)
    assert "config.yaml: linkage.methods.RIWS.loss.name: 'hinge'" in out, out[-3000:]
    assert "(checked against workflow/schemas/linkage.schema.yaml)" in out, out[-3000:]


def test_riws_gamma_one(tmp_path):
    riws = {**TINY["linkage"]["methods"]["RIWS"], "sampler": {"name": "riws", "gamma": 1.0}}
    methods = {**TINY["linkage"]["methods"], "RIWS": riws}
    out = failing_dry_run(tmp_path, write_config(tmp_path, "tiny.yaml",
                                                 linkage={"methods": methods}))
    assert "linkage.methods.RIWS.sampler.gamma" in out, out[-3000:]
    assert "1.0 is less than or equal to the minimum of 1" in out, out[-3000:]


def test_missing_learn_to_cluster_file(tmp_path):
    train = write_pair(tmp_path, "train", 12)
    test = {"features": str(tmp_path / "absent.bin"), "labels": str(tmp_path / "absent.meta")}
    out = failing_dry_run(tmp_path, l2c_config(tmp_path, train, test))
    assert "linkage: datasets.faces.test.features" in out, out[-3000:]
    assert str(tmp_path / "absent.bin") in out and "file not found" in out, out[-3000:]


def test_wrong_bin_size(tmp_path):
    train = write_pair(tmp_path, "train", 12, extra_bytes=8)
    test = write_pair(tmp_path, "test", 9)
    out = failing_dry_run(tmp_path, l2c_config(tmp_path, train, test))
    assert "linkage: datasets.faces.train.features" in out, out[-3000:]
    assert train["features"] in out and "12 x 4 x 4 = 192" in out, out[-3000:]


def test_nan_features_stop_the_import_job(tmp_path):
    train = write_pair(tmp_path, "train", 12, nan_row=5)
    test = write_pair(tmp_path, "test", 9)
    config = l2c_config(tmp_path, train, test)
    target = "results/linkage/data/faces/train/features.npy"
    out = snakemake(tmp_path, config, "--cores", "1", "--show-failed-logs", target, check=False)
    assert "Error in rule import_learn_to_cluster" in out, out[-3000:]
    assert "Exiting because a job execution failed" in out, out[-3000:]
    message = f"{train['features']}: 1 feature rows contain NaN or inf (first row 5)"
    assert message in out, out[-3000:]  # via --show-failed-logs
    log = tmp_path / "results/logs/import_learn_to_cluster/faces/train.log"
    assert message in log.read_text()
    assert not (tmp_path / target).exists()
    assert not (tmp_path / "results/linkage/data/faces/train/labels.parquet").exists()
