"""Bad graph-classification input through the real CLI: Snakemake stops naming the file, line
or key and what was expected, and leaves no output that looks finished. Most cases are unit
tests of the readers, splits and config checks (tests/io/test_tu.py, test_gin_text.py,
tests/graphcls/test_splits.py, test_config.py); here one of each kind goes end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from snakemake_helpers import (
    fails_in_job,
    run_workflow,
    write_config,
)

from imbgraph.graphcls.synthetic import ClassSpec, SyntheticSpec, synthesize_graphs
from imbgraph.io.gin_text import write_gin_text
from imbgraph.io.tu import write_tu_raw

pytestmark = pytest.mark.workflow

COLLECTION = "results/graphcls/data/toy/collection.npz"




def file_config(workdir: Path, source: str, classes=(30, 20), **entry) -> Path:
    """The tiny config with its dataset read from raw files written under workdir/data."""
    arrays = synthesize_graphs(SyntheticSpec(classes=(
        ClassSpec(classes[0], 8, 0.3, 2.2, {"star6": 1.0}, 6),
        ClassSpec(classes[1], 10, 0.3, 3.0, {"clique5": 1.0}, 6)), n_tags=3, seed=0))
    root = workdir / "data"
    if source == "tu":
        write_tu_raw(arrays, root / "tu", "TOY")
    else:
        (root / "gin").mkdir(parents=True)
        write_gin_text(arrays, root / "gin" / "TOY.txt")
    dataset = {"source": source, "name": "TOY", "pe_dim": 3,
               "splits": {"class": {"train": 20, "val": 10}}, **entry}
    return write_config(workdir, "tiny_graphcls.yaml",
                        graphcls={"data_root": str(root), "datasets": {"toy": dataset}})




def test_truncated_tu_file_stops_the_collection_job(tmp_path):
    config = file_config(tmp_path, "tu")
    labels = tmp_path / "data/tu/TOY/raw/TOY_graph_labels.txt"
    labels.write_text("".join(labels.read_text().splitlines(keepends=True)[:-3]))
    fails_in_job(tmp_path, config, "import_graphs", COLLECTION,
                 f"{labels} has 47 lines but TOY_graph_indicator.txt names 50 graphs")
    assert not (tmp_path / "data/tu/TOY/processed").exists()  # the data root is only read


def test_malformed_gin_text_stops_the_collection_job_naming_the_line(tmp_path):
    config = file_config(tmp_path, "gin_text")
    path = tmp_path / "data/gin/TOY.txt"
    lines = path.read_text().splitlines()
    lines[2] = lines[2].split()[0] + " 5 1"  # a node line declaring 5 neighbours, holding 1
    path.write_text("\n".join(lines) + "\n")
    fails_in_job(tmp_path, config, "import_graphs", COLLECTION,
                 f"{path}:3: node line declares m = 5 neighbours but holds 1")


def test_out_of_range_node_label_stops_the_collection_job_naming_the_line(tmp_path):
    """A node label of 100000 would build a 100,001-wide one-hot (1.35 GB for PROTEINS)."""
    config = file_config(tmp_path, "tu")
    path = tmp_path / "data/tu/TOY/raw/TOY_node_labels.txt"
    lines = path.read_text().splitlines()
    lines[4] = "100000"
    path.write_text("\n".join(lines) + "\n")
    fails_in_job(tmp_path, config, "import_graphs", COLLECTION,
                 f"{path}:5: node label 100000 is out of range")


def test_dataset_too_small_for_its_split_stops_the_split_job(tmp_path):
    # Class sizes of raw files are known only once read: the split job is the first to know
    # that 2 minority graphs cannot give 2 for training, 1 for validation and one to test.
    config = file_config(tmp_path, "tu", classes=(30, 2))
    fails_in_job(tmp_path, config, "split_graphs", "results/graphcls/splits/toy/class/seed0.json",
                 "graphcls.datasets.toy.splits.class: class 1 has 2 graphs but the split needs "
                 "4 (training + validation + at least one test graph)")
    assert (tmp_path / COLLECTION).exists()  # the collection before it stays valid


@pytest.mark.parametrize("change, expected", [
    (lambda c: c["graphcls"]["datasets"]["toy"].update(source="tu", name="PROTEINZ"),
     "graphcls.datasets.toy.source = 'tu' needs data_root"),
    (lambda c: c["graphcls"].update(data_root="nowhere") or
     c["graphcls"]["datasets"]["toy"].update(source="tu", name="PROTEINZ"),
     "graphcls.datasets.toy: TU raw folder 'nowhere/tu/PROTEINZ/raw' not found"),
    (lambda c: c["tables"]["uniimb_table2"]["rows"].append("ImbGNN"),
     "tables.uniimb_table2.rows: 'ImbGNN' is not a method"),
    (lambda c: c["tables"]["uniimb_table3"]["columns"].append({"dataset": "PROTEINS"}),
     "tables.uniimb_table3.rows: dataset 'PROTEINS' is not declared"),
    (lambda c: c["tables"]["uniimb_table3"].update(metric="f1"),
     "tables.uniimb_table3.metric: 'f1' is not a graphcls metric"),
    (lambda c: c["graphcls"]["datasets"]["toy"]["splits"]["class"].update(train=90),
     "graphcls.datasets.toy.splits.class: class 0 has 60 graphs but the split needs 99"),
    # a ratio that leaves no minority graph in training would train on one class
    (lambda c: c["graphcls"]["splits"]["class"].update(ratio=0.01),
     "graphcls.splits.class.ratio = 0.01 leaves no minority graph in train"),
    (lambda c: c["graphcls"]["datasets"]["toy"].update(method_params={"GIN": {"top_k2": 2}}),
     "graphcls.datasets.toy.method_params.GIN: ['top_k2'] are not params of kind "
     "'supervised'"),
])
def test_bad_names_stop_before_any_job(tmp_path, change, expected):
    cfg = yaml.safe_load(write_config(tmp_path, "tiny_graphcls.yaml").read_text())
    change(cfg)
    config = tmp_path / "bad.yaml"
    config.write_text(yaml.safe_dump(cfg, sort_keys=False))
    code, out = run_workflow(tmp_path, config, "-n")
    assert code != 0, out[-3000:]
    assert expected in out, out[-3000:]
    assert "Building DAG of jobs" not in out and not (tmp_path / "results").exists()
