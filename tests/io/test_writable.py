"""Tests of imbgraph.io.writable: the results directory is checked before any job runs."""

from __future__ import annotations

import os

import pytest

from imbgraph.io.writable import NotWritableError, check_writable_dir


def test_existing_and_creatable_directories_pass_and_nothing_is_created(tmp_path):
    check_writable_dir(tmp_path)
    check_writable_dir(tmp_path / "a" / "b")
    assert list(tmp_path.iterdir()) == []


def test_a_file_or_a_broken_link_is_refused(tmp_path):
    (tmp_path / "results").write_text("x")
    with pytest.raises(NotWritableError, match="is a file, not a directory"):
        check_writable_dir(tmp_path / "results")
    os.symlink(tmp_path / "nowhere", tmp_path / "link")
    with pytest.raises(NotWritableError, match="broken symbolic link"):
        check_writable_dir(tmp_path / "link")
    with pytest.raises(NotWritableError, match="is not a directory"):
        check_writable_dir(tmp_path / "results" / "sub")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_a_read_only_directory_is_refused(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(NotWritableError, match="permission denied"):
            check_writable_dir(tmp_path)
    finally:
        tmp_path.chmod(0o700)
