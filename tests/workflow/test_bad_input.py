"""Bad input, one test per case, through the real CLI: Snakemake exits non-zero with a message
naming the file or key and what was expected, and leaves no output that looks finished.

Start-up cases (config keys, file sizes, duplicate keys, the results directory) stop before
any job runs, so no ``results/`` appears at all; data cases stop the first job that reads the
bad values, which leaves its log but neither its outputs nor temporary files. The cases of
tests/workflow/test_bad_config.py (unknown loss, RIWS gamma 1, missing file, oversized .bin,
NaN features) are not repeated here.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import yaml
from snakemake_helpers import (
    REPO,
    assert_no_temporaries,
    fails_at_startup,
    fails_in_job,
    run_workflow,
    write_config,
)

pytestmark = pytest.mark.workflow

TINY = yaml.safe_load((REPO / "config" / "tiny.yaml").read_text())
DIM = 4


# --- helpers ---------------------------------------------------------------------------------










def feature_rows(n: int, *, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, DIM)).astype("<f4")


def write_pair(directory: Path, name: str, feats: np.ndarray, meta: str) -> dict:
    fpath, lpath = directory / f"{name}.bin", directory / f"{name}.meta"
    fpath.write_bytes(np.ascontiguousarray(feats, dtype="<f4").tobytes())
    lpath.write_text(meta)
    return {"features": str(fpath), "labels": str(lpath)}


def meta_lines(labels) -> str:
    return "".join(f"{y}\n" for y in labels)


def good_pair(directory: Path, name: str, n: int = 12, *, seed: int = 0) -> dict:
    labels = meta_lines(i // 3 for i in range(n))
    return write_pair(directory, name, feature_rows(n, seed=seed), labels)


def l2c_config(workdir: Path, train: dict, test: dict | None = None, *,
               subsets: dict | None = None, **overrides) -> Path:
    """tiny.yaml with one learn-to-cluster dataset ``faces`` and no tables, figures or
    clusterers (tests name their targets)."""
    dataset = {
        "source": "learn_to_cluster", "dim": DIM, "train": train,
        "test": test or good_pair(workdir, "test", seed=1),
        "subsets": subsets or {"heads": [1], "tails": [2], "seed": 0},
    }
    linkage = {"datasets": {"faces": dataset}, "clusterers": {}, **overrides.pop("linkage", {})}
    return write_config(workdir, "tiny.yaml", linkage=linkage, tables={}, figures={},
                        **overrides)


IMPORT_TRAIN = "results/linkage/data/faces/train/features.npy"
IMPORT_LOG = "results/logs/import_learn_to_cluster/faces/train.log"


def fails_importing(workdir: Path, config: Path, *expected: str) -> str:
    out = fails_in_job(workdir, config, "import_learn_to_cluster", IMPORT_TRAIN, *expected,
                       log=IMPORT_LOG)
    assert not (workdir / "results/linkage/data/faces/train/labels.parquet").exists()
    return out


# --- .bin / .meta files ----------------------------------------------------------------------


def test_truncated_bin(tmp_path):
    train = good_pair(tmp_path, "train")
    Path(train["features"]).write_bytes(Path(train["features"]).read_bytes()[:-3])
    fails_at_startup(tmp_path, l2c_config(tmp_path, train),
                     "linkage: datasets.faces.train.features", train["features"],
                     "is 189 bytes; expected N x D x 4 = 12 x 4 x 4 = 192", train["labels"])


def test_meta_missing_a_line(tmp_path):
    # One label short: the .meta line count N no longer matches the .bin's rows.
    train = write_pair(tmp_path, "train", feature_rows(12), meta_lines(range(11)))
    fails_at_startup(tmp_path, l2c_config(tmp_path, train),
                     "datasets.faces.train.features", train["features"],
                     "expected N x D x 4 = 11 x 4 x 4 = 176", train["labels"])


@pytest.mark.parametrize(
    "line, text, got",
    [(4, "1.5", "got '1.5'"), (6, "", "got an empty line")],
    ids=["non-integer", "empty"],
)
def test_meta_bad_line(tmp_path, line, text, got):
    labels = [str(i // 3) for i in range(12)]
    labels[line] = text
    train = write_pair(tmp_path, "train", feature_rows(12), meta_lines(labels))
    fails_importing(tmp_path, l2c_config(tmp_path, train),
                    f"{train['labels']}:{line + 1}: expected one integer label per line, {got}")


@pytest.mark.parametrize("bad", [np.inf, -np.inf], ids=["inf", "-inf"])
def test_infinite_features(tmp_path, bad):
    feats = feature_rows(12)
    feats[7, 2] = bad
    train = write_pair(tmp_path, "train", feats, meta_lines(i // 3 for i in range(12)))
    fails_importing(tmp_path, l2c_config(tmp_path, train),
                    f"{train['features']}: 1 feature rows contain NaN or inf (first row 7); "
                    "expected finite float32 values")


def test_zero_norm_feature_rows(tmp_path):
    feats = feature_rows(12)
    feats[[3, 9]] = 0.0
    train = write_pair(tmp_path, "train", feats, meta_lines(i // 3 for i in range(12)))
    fails_importing(tmp_path, l2c_config(tmp_path, train),
                    f"{train['features']}: 2 feature rows have zero norm (first row 3)",
                    "cannot be L2-normalised")


# --- sizes the data cannot meet ----------------------------------------------------------------


def test_knn_k_larger_than_the_split(tmp_path):
    # Training subgraphs need ceil(k1 * max_gamma) = ceil(5 * 2.0) = 10 neighbours; 8 rows
    # have 7 each.
    train = good_pair(tmp_path, "train", n=8)
    out = fails_in_job(
        tmp_path, l2c_config(tmp_path, train), "knn_search",
        "results/linkage/knn/faces/train.parquet",
        "results/linkage/data/faces/train/features.npy (k = max(ceil(k1 * gamma), k2, u) of "
        "linkage.subgraphs): knn k = 10 must be in [1, 7] for 8 rows",
        "only 8 rows", log="results/logs/knn_search/faces/train.log",
    )
    assert "split=train" in out, out[-3000:]


def test_subset_head_count_above_identity_count(tmp_path):
    train = good_pair(tmp_path, "train")  # 12 rows, 4 identities
    config = l2c_config(tmp_path, train, subsets={"heads": [5], "tails": [2], "seed": 0})
    out = fails_in_job(
        tmp_path, config, "make_subset", "results/linkage/data/faces/H5_S2/features.npy",
        "subset (H5, S2): head count H5 exceeds the 4 identities of the split; expected at "
        "most 4 (lower subsets.heads)", log="results/logs/make_subset/faces/H5_S2.log",
    )
    assert "subset=H5_S2" in out, out[-3000:]
    assert not (tmp_path / "results/linkage/data/faces/H5_S2/labels.parquet").exists()


def test_subset_with_fewer_than_two_identities(tmp_path):
    train = write_pair(tmp_path, "train", feature_rows(12), meta_lines([4] * 12))
    out = fails_in_job(
        tmp_path, l2c_config(tmp_path, train), "make_subset",
        "results/linkage/data/faces/H1_S2/features.npy",
        "subset (H1, S2) holds 1 identity; at least 2 are needed",
        log="results/logs/make_subset/faces/H1_S2.log",
    )
    assert "subset=H1_S2" in out, out[-3000:]
    assert not (tmp_path / "results/linkage/data/faces/H1_S2/labels.parquet").exists()


# --- names -------------------------------------------------------------------------------------


LINKAGE = TINY["linkage"]


def _method(name: str, **changes) -> dict:
    return {"linkage": {"methods": {**LINKAGE["methods"],
                                    name: {**LINKAGE["methods"][name], **changes}}}}


UNKNOWN_NAMES = {
    "sampler": (
        _method("RIWS", sampler={"name": "balanced"}),
        ["'balanced' is not one of ['knn', 'rs', 'riws']",
         "linkage.methods.RIWS.sampler.name"],
    ),
    "model-name": (
        {"linkage": {"models": {**LINKAGE["models"],
                                "lgcn": {"name": "gat", "hidden": [16], "head": 8}}}},
        ["'gat' is not one of ['lgcn', 'rgcn']", "linkage.models.lgcn.name"],
    ),
    "model-entry": (
        _method("RIWS", model="gat16"),
        ["linkage: methods.RIWS.model = 'gat16' is not declared under models",
         "(declared: ['lgcn', 'rgcn16'])"],
    ),
    "grid-table-row": (
        {"tables": {**TINY["tables"], "table1": {**TINY["tables"]["table1"],
                                                  "rows": ["L-GCN", "RIWS-2"]}}},
        ["tables.table1.rows: 'RIWS-2' is not a method (declared: "],
    ),
    "rows-table-method": (
        {"tables": {**TINY["tables"], "table3": {**TINY["tables"]["table3"], "rows": [
            {"dataset": "faces", "split": "train", "method": "GCN-V"}]}}},
        ["tables.table3.rows[0]: 'GCN-V' is not a method (declared: "],
    ),
}


@pytest.mark.parametrize("case", list(UNKNOWN_NAMES))
def test_unknown_name(tmp_path, case):
    overrides, expected = UNKNOWN_NAMES[case]
    config = write_config(tmp_path, "tiny.yaml", **overrides)
    fails_at_startup(tmp_path, config, *expected)


def test_duplicate_method_name(tmp_path):
    config = write_config(tmp_path, "tiny.yaml")
    text = config.read_text()
    lines = text.splitlines(keepends=True)
    at = lines.index("  methods:\n")
    # A second RIWS entry after the first: valid on its own, and YAML would keep only it.
    first = next(i for i in range(at, len(lines)) if lines[i] == "    RIWS:\n")
    end = next(i for i in range(at + 1, len(lines)) if not lines[i].startswith("   "))
    dup = ("    RIWS: {label: RIWS-bis, model: lgcn, sampler: {name: rs, ratio: 1.2}, "
           "loss: {name: ce}}\n")
    lines.insert(end, dup)
    config.write_text("".join(lines))
    assert yaml.safe_load(config.read_text())["linkage"]["methods"]["RIWS"]["label"] == "RIWS-bis"
    fails_at_startup(tmp_path, config,
                     f"{config}:{end + 1}: duplicate key linkage.methods.RIWS "
                     f"(first declared on line {first + 1})",
                     "every key must appear once")


def test_duplicate_method_label(tmp_path):
    config = write_config(tmp_path, "tiny.yaml", **_method("FL-RS", label="RIWS"))
    fails_at_startup(tmp_path, config, "linkage: methods: duplicate labels ['RIWS']")


# --- the results directory ---------------------------------------------------------------------


def test_results_is_a_file(tmp_path):
    (tmp_path / "results").write_text("not a directory\n")
    code, out = run_workflow(tmp_path, write_config(tmp_path, "tiny.yaml"))
    assert code != 0, out[-3000:]
    assert "expected a writable directory" in out, out[-3000:]
    shown = f"results directory 'results' ({tmp_path / 'results'}) is a file, not a directory"
    assert shown in out, out[-3000:]
    assert "Building DAG of jobs" not in out, out[-3000:]
    assert (tmp_path / "results").read_text() == "not a directory\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through directory permissions")
def test_results_directory_read_only(tmp_path):
    results = tmp_path / "results"
    results.mkdir()
    results.chmod(0o555)
    try:
        code, out = run_workflow(tmp_path, write_config(tmp_path, "tiny.yaml"))
    finally:
        results.chmod(0o755)
    assert code != 0, out[-3000:]
    assert f"({results}): cannot create files in it" in out, out[-3000:]
    assert "expected a writable directory" in out, out[-3000:]
    assert list(results.iterdir()) == []


# --- model files -------------------------------------------------------------------------------


class Trap:
    """Unpickling this runs os.mkdir(marker): exactly what weights_only=True must refuse."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return os.mkdir, (self.marker,)


def test_model_file_that_is_not_a_state_dict(tmp_path):
    """Each seed's model file is bad in its own way (one job per seed, `seeds_per_job: 1`);
    the upstream jobs run once. (A dict that is no state dict or does not fit the model:
    tests/linkage/test_methods.py.)"""
    torch = pytest.importorskip("torch")
    seeds = [0, 1]
    config = l2c_config(tmp_path, good_pair(tmp_path, "train"), seeds=seeds,
                        linkage={"partition": {"shards": 1, "seed": 0}, "seeds_per_job": 1})
    models = tmp_path / "results/linkage/models/faces/train/L-GCN"
    models.mkdir(parents=True)
    marker = tmp_path / "unpickled"
    torch.save(Trap(marker), models / "seed0.pt")  # an arbitrary pickled object
    torch.save([1, 2, 3], models / "seed1.pt")  # loads, but is no model file
    for s in seeds:
        (models / f"seed{s}.json").write_text('{"pivots": 12}\n')
    targets = [f"results/linkage/runs/faces/train/L-GCN/seed{s}/metrics.json" for s in seeds]
    # Training is not allowed: the model files above are the inputs under test.
    allowed = ["import_learn_to_cluster", "knn_search", "metis_partition", "build_subgraphs",
               "evaluate_linkage"]
    code, out = run_workflow(tmp_path, config, *targets, "--keep-going", "--allowed-rules", *allowed)
    assert code != 0, out[-3000:]
    assert out.count("Error in rule evaluate_linkage") == len(seeds), out[-3000:]
    assert not marker.exists(), "the pickled object was executed"
    logs = tmp_path / "results/logs/evaluate_linkage/faces/train/L-GCN"
    rel = "results/linkage/models/faces/train/L-GCN"  # as the job names its input
    expected = {
        0: [f"{rel}/seed0.pt: not a torch file of tensors and plain containers",
            "Weights only load failed", "mkdir"],  # torch names the refused global
        1: [f"{rel}/seed1.pt: not an imbgraph model file (a list; expected a dict "
            "with a 'model' state dict and 'in_channels'"],
    }
    for s, texts in expected.items():
        log = (logs / f"seed{s}.log").read_text()
        for t in texts:
            assert t in log, f"{t!r} not in seed{s}.log:\n{log[-3000:]}"
    # The failing job names the model file it read.
    assert f"{rel}/seed0.pt" in out, out[-3000:]
    for target in targets:
        assert not (tmp_path / target).exists()
        assert not any((tmp_path / target).parent.glob("*.parquet"))
    assert_no_temporaries(tmp_path)
