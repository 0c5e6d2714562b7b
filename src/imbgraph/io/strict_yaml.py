"""YAML reading that refuses duplicate mapping keys.

PyYAML (and so Snakemake's ``--configfile``) silently keeps the last of two equal keys, so a
config declaring ``methods: {RIWS: ..., RIWS: ...}`` loses the first method without a word.
:func:`check_unique_keys` walks the parsed node tree of a file and raises
:class:`DuplicateKeyError` naming the file, the line and the key path (``methods.RIWS``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from imbgraph.errors import ConfigError

_MERGE_TAG = "tag:yaml.org,2002:merge"


class DuplicateKeyError(ConfigError):
    """A YAML mapping declares the same key twice; the message names file, line and key."""


def _key_path(parts: list) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "<top level>"


def _hashable(key: Any) -> Any:
    try:
        hash(key)
    except TypeError:
        return repr(key)
    return key


def find_duplicate_key(text: str) -> tuple[str, int, int] | None:
    """The first duplicate key of ``text``: (key path, line, line of the first occurrence),
    lines 1-based; None when every mapping's keys are unique.

    Merge keys (``<<: *anchor``) are not duplicates: YAML defines them as defaults that the
    mapping's own keys override. YTE templates (``__use_yte__: true``, which Snakemake
    renders before use) are not checked.
    """
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        if isinstance(root, yaml.MappingNode) and any(
            getattr(k, "value", None) == "__use_yte__" for k, _ in root.value
        ):
            return None  # a YTE template: its `?if` / `?else` keys may legitimately repeat
        seen_nodes: set[int] = set()
        stack: list[tuple[yaml.Node, list]] = [(root, [])]
        while stack:
            node, path = stack.pop()
            if id(node) in seen_nodes:  # an alias of an anchor already walked
                continue
            seen_nodes.add(id(node))
            if isinstance(node, yaml.MappingNode):
                first: dict[Any, int] = {}
                children = []
                for key_node, value_node in node.value:
                    if key_node.tag == _MERGE_TAG:
                        children.append((value_node, path))
                        continue
                    key = loader.construct_object(key_node, deep=True)
                    line = key_node.start_mark.line + 1
                    h = _hashable(key)
                    if h in first:
                        return _key_path([*path, key]), line, first[h]
                    first[h] = line
                    children.append((value_node, [*path, key]))
                stack.extend(reversed(children))
            elif isinstance(node, yaml.SequenceNode):
                items = list(enumerate(node.value))
                stack.extend((item, [*path, i]) for i, item in reversed(items))
        return None
    finally:
        loader.dispose()


def check_unique_keys(path: str | os.PathLike) -> None:
    """Raise :class:`DuplicateKeyError` when the YAML (or JSON) file ``path`` repeats a key.

    A file PyYAML cannot parse is left alone (whoever loads it reports that).
    """
    text = Path(path).read_text(encoding="utf-8")
    try:
        dup = find_duplicate_key(text)
    except yaml.YAMLError:
        return
    if dup is not None:
        key, line, first = dup
        raise DuplicateKeyError(
            f"{path}:{line}: duplicate key {key} (first declared on line {first}); YAML "
            "keeps only the last of equal keys, so every key must appear once in its "
            "mapping - rename or remove one of them"
        )


def check_config_file(path: str | os.PathLike) -> None:
    """Raise :class:`ConfigError` naming ``path`` unless it holds a non-empty mapping of
    config keys, and :class:`DuplicateKeyError` when it repeats a key.

    Without this an empty mapping (``{}``) would only fail the schema with no file named,
    and a file of nothing but comments would stop Snakemake with "Config file must be given
    as JSON or YAML with keys at top level" (Snakemake reads ``--configfile`` itself, before
    the workflow starts, so ``make run CONFIG=...`` checks the file first).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    check_unique_keys(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from None
    expected = ("expected a mapping of config keys with at least `seeds`, `tables` and a "
                "family section (see config/config.yaml)")
    if data is None or data == {}:
        raise ConfigError(f"{path}: the config file is empty; {expected}")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the config file holds a {type(data).__name__}, not a "
                          f"mapping; {expected}")


def load(path: str | os.PathLike) -> Any:
    """``yaml.safe_load`` of ``path`` after :func:`check_unique_keys`."""
    check_unique_keys(path)
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
