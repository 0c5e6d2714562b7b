"""Tests of imbgraph.io.atomic: atomic writes (nothing half-written, no temporaries left),
the umask honoured, a full device named, and JSON that is stable and finite."""

from __future__ import annotations

import errno
import json
import math
import os
import stat

import numpy as np
import pytest

from imbgraph.io import atomic
from imbgraph.io.atomic import DiskFullError, atomic_path, read_json, write_json, write_text


def test_atomic_path_success_replaces_target(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp != target
        tmp.write_text("new")
        assert target.read_text() == "old"  # not visible before the body finishes
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


@pytest.mark.parametrize("existing", [True, False])
def test_atomic_path_failure_leaves_target_and_no_temp(tmp_path, existing):
    target = tmp_path / "out.txt"
    if existing:
        target.write_text("old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_path(target) as tmp:
            tmp.write_text("half-written")
            raise RuntimeError("boom")
    if existing:
        assert target.read_text() == "old"
        assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    else:
        assert list(tmp_path.iterdir()) == []


def test_atomic_path_suffix_kept_for_np_save(tmp_path):
    target = tmp_path / "x.npy"
    with atomic_path(target, suffix=".npy") as tmp:
        assert tmp.name.endswith(".npy")
        np.save(tmp, np.arange(3))
    np.testing.assert_array_equal(np.load(target), np.arange(3))
    assert [p.name for p in tmp_path.iterdir()] == ["x.npy"]


def test_write_json_null_for_non_finite_and_sorted_keys(tmp_path):
    path = tmp_path / "m.json"
    obj = {"b": math.nan, "a": [1.5, math.inf, {"z": -math.inf, "y": 2}], "c": (math.nan, "s")}
    write_json(obj, path)
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert text.endswith("\n")
    assert json.loads(text) == {"a": [1.5, None, {"y": 2, "z": None}], "b": None, "c": [None, "s"]}
    assert read_json(path) == json.loads(text)
    # keys sorted at every level
    assert text.index('"a"') < text.index('"b"') < text.index('"c"')
    assert text.index('"y"') < text.index('"z"')
    # same content in a different insertion order gives the same bytes
    write_json({"c": (math.nan, "s"), "a": [1.5, math.inf, {"y": 2, "z": -math.inf}], "b": 0.0 * math.nan}, tmp_path / "n.json")
    assert (tmp_path / "n.json").read_bytes() == path.read_bytes()


@pytest.mark.parametrize("mask", [0o022, 0o002, 0o077])
def test_written_files_honour_the_umask(tmp_path, mask):
    old = os.umask(mask)
    try:
        write_text("x", tmp_path / "out.txt")
        with atomic_path(tmp_path / "data.npy", suffix=".npy") as tmp:
            np.save(tmp, np.zeros(2))
    finally:
        os.umask(old)
    for name in ("out.txt", "data.npy"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o666 & ~mask, (name, oct(mode))


def test_a_full_device_is_named_with_the_file(tmp_path):
    # Writing to /dev/full fails with ENOSPC, as a full disk does.
    target = tmp_path / "metrics.json"
    with pytest.raises(DiskFullError) as info:
        with atomic_path(target) as tmp:
            with open("/dev/full", "w") as fh:
                tmp.write_text("partial")
                fh.write("x" * 10)
                fh.flush()
    msg = str(info.value)
    assert str(target) in msg and "no space left on the device" in msg
    assert info.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []  # neither the target nor a temporary


def test_a_writer_library_error_on_a_full_device_names_the_file(tmp_path, monkeypatch):
    # torch reports a full disk as "basic_ios::clear: iostream error"; the device check
    # turns that into an error naming the file.
    monkeypatch.setattr(atomic, "_device_full", lambda directory: True)
    target = tmp_path / "model.pt"
    with pytest.raises(DiskFullError, match=rf"{target}: could not be written: no space left"):
        with atomic_path(target):
            raise RuntimeError("basic_ios::clear: iostream error")
    # Other errors on a device with room pass through unchanged.
    monkeypatch.setattr(atomic, "_device_full", lambda directory: False)
    with pytest.raises(RuntimeError, match="iostream error"):
        with atomic_path(target):
            raise RuntimeError("basic_ios::clear: iostream error")
    assert list(tmp_path.iterdir()) == []
