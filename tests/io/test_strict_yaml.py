"""Tests of imbgraph.io.strict_yaml: duplicate keys are named with their lines."""

from __future__ import annotations

import pytest

from imbgraph.io.strict_yaml import DuplicateKeyError, check_unique_keys, find_duplicate_key, load


def test_finds_a_nested_duplicate_with_both_lines():
    text = "a: 1\nmethods:\n  RIWS: {x: 1}\n  RS: {x: 2}\n  RIWS: {x: 3}\n"
    assert find_duplicate_key(text) == ("methods.RIWS", 5, 3)


def test_sequences_merge_keys_and_unique_files_pass():
    assert find_duplicate_key("a: [1, 1]\nb:\n  - {x: 1}\n  - {x: 1}\n") is None
    merged = "base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  x: 5\n"
    assert find_duplicate_key(merged) is None
    assert find_duplicate_key("") is None
    assert find_duplicate_key("l:\n  - {a: 1, a: 2}\n") == ("l[0].a", 2, 2)


def test_check_and_load_name_the_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("seeds: [0]\nseeds: [1]\n")
    with pytest.raises(DuplicateKeyError, match=rf"{path}:2: duplicate key seeds \(first "
                                               r"declared on line 1\)"):
        check_unique_keys(path)
    with pytest.raises(DuplicateKeyError):
        load(path)
    path.write_text("seeds: [0]\n")
    assert load(path) == {"seeds": [0]}


@pytest.mark.parametrize("text, why", [
    ("", "the config file is empty"),
    ("# only a comment\n", "the config file is empty"),
    ("{}\n", "the config file is empty"),
    ("- a\n- b\n", "the config file holds a list, not a mapping"),
    ("a: [1\n", "not valid YAML"),
])
def test_check_config_file_names_the_file(tmp_path, text, why):
    from imbgraph.errors import ConfigError
    from imbgraph.io.strict_yaml import check_config_file

    path = tmp_path / "my.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=rf"{path}: {why}"):
        check_config_file(path)
    path.write_text("seeds: [0]\n")
    check_config_file(path)
    with pytest.raises(ConfigError, match="config file not found"):
        check_config_file(tmp_path / "absent.yaml")
