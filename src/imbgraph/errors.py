"""Error types shared by every layer (a leaf module: it imports nothing of imbgraph).

Every error names what is wrong where: the config key, or the file (and line), the value
found and what was expected, so a user can fix the input without reading the code.
"""

from __future__ import annotations


class ConfigError(ValueError):
    """A config value is missing, out of range or inconsistent; the message names the key."""


class InputError(ValueError):
    """An input file is missing, truncated or malformed; the message names the file (and the
    line or key inside it) and what was expected."""


class NotWritableError(ConfigError):
    """An output directory or file cannot be written; the message names it and why."""
