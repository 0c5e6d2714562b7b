"""Tests of imbgraph.errors: every error is a ValueError, so a caller can catch the family."""

from __future__ import annotations

from imbgraph.errors import ConfigError, InputError, NotWritableError
from imbgraph.io.strict_yaml import DuplicateKeyError


def test_hierarchy():
    assert issubclass(ConfigError, ValueError) and issubclass(InputError, ValueError)
    assert issubclass(NotWritableError, ConfigError)
    assert issubclass(DuplicateKeyError, ConfigError)
    assert not issubclass(InputError, ConfigError)
