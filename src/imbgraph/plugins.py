"""Methods by name, for every task family, and methods from outside the package.

A family keeps its methods in a :class:`Registry` of :class:`MethodSpec` entries: the
config name, the implementation as a ``"module:attr"`` reference (imported by the job that
runs it, so a registry is cheap to import: Snakemake reads it at every start), every
setting the method takes with its default (declared once: config resolution fills them in,
and a test keeps the family's schema equal to them), and the cached inputs its job reads.
Families subclass :class:`MethodSpec` for what only they need (the node family: whether a
method adds synthetic nodes).

A user's own method is the same thing named by the config instead of the registry:
:func:`load_callable` imports ``"pkg.module:attr"`` with errors that name the config entry,
:func:`find_callable` checks at start-up, without importing it, that the module exists, and
:func:`provenance` records which code ran (module, file, SHA-256, distribution version).

Nothing here imports a family or a numerical library.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from imbgraph.errors import ConfigError

__all__ = ["MethodSpec", "Registry", "UNSET", "file_sha256", "find_callable", "load_callable",
           "provenance", "split_ref"]


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


#: a declared setting without a default: absent from a resolved entry unless the config
#: (or the family's resolution, e.g. a split's over-sampling scale) gives it
UNSET: Any = _Unset()


@dataclass(frozen=True)
class MethodSpec:
    """One method of a family's registry.

    name : the config name
    impl : ``"module:attr"`` of the implementation (its signature is the family's); None:
        the entry names it itself (``callable:``, a user's method)
    params : every setting the method takes -> its default (:data:`UNSET`: none)
    needs : the cached inputs its job reads (family words, e.g. ``"clusters"``), or a
        function of the resolved settings giving them
    check : ``(settings, key)``: ConfigError naming ``key`` when settings (defaults filled in)
        contradict each other; None: nothing beyond the schema
    doc : one line for listings and errors
    """

    name: str
    impl: str | None
    params: Mapping[str, Any] = field(default_factory=dict)
    needs: tuple[str, ...] | Callable[[dict], tuple[str, ...]] = ()
    check: Callable[[dict, str], None] | None = None
    doc: str = ""

    def defaults(self) -> dict[str, Any]:
        """The declared defaults (settings declared :data:`UNSET` left out)."""
        return {k: v for k, v in self.params.items() if v is not UNSET}

    def settings(self, entry: Mapping[str, Any]) -> dict[str, Any]:
        """``entry`` (a config block) with every default filled in; what it sets wins."""
        return {**self.defaults(), **entry}

    def needs_of(self, settings: Mapping[str, Any]) -> tuple[str, ...]:
        """The cached inputs a run with ``settings`` reads."""
        return tuple(self.needs(dict(settings)) if callable(self.needs) else self.needs)

    def validate(self, settings: Mapping[str, Any], key: str) -> None:
        """The method's cross-key check (:attr:`check`) of resolved ``settings``."""
        if self.check is not None:
            self.check(dict(settings), key)

    def ref(self, settings: Mapping[str, Any]) -> str:
        """The implementation's ``"module:attr"``: the registry's, or the entry's
        ``callable`` for a method declared by the config."""
        return self.impl if self.impl is not None else str(settings["callable"])


class Registry(Mapping[str, MethodSpec]):
    """Name -> :class:`MethodSpec`, in registration order; a failed lookup names the config
    key and lists the choices.

    Args:
        key: what a method name is in the config, for errors (``"nodecls.methods.<m>.
            balancing.name"``).
        specs: the entries (a family's explicit table).
    """

    def __init__(self, key: str, specs: tuple[MethodSpec, ...] | list[MethodSpec] = ()) -> None:
        self.key = key
        self._specs: dict[str, MethodSpec] = {}
        for spec in specs:
            self.add(spec)

    def add(self, spec: MethodSpec) -> MethodSpec:
        if spec.name in self._specs:
            raise ValueError(f"{self.key}: method {spec.name!r} is registered twice")
        self._specs[spec.name] = spec
        return spec

    def get_spec(self, name: str, key: str | None = None) -> MethodSpec:
        """The spec of ``name``; ConfigError naming ``key`` (default: the registry's)."""
        if name not in self._specs:
            raise ConfigError(f"{key or self.key} = {name!r}; expected one of "
                              f"{sorted(self._specs)}")
        return self._specs[name]

    def __getitem__(self, name: str) -> MethodSpec:
        return self.get_spec(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def __repr__(self) -> str:
        return f"Registry({self.key!r}, {list(self._specs)})"


# --- a user's own callable --------------------------------------------------------------------
def split_ref(ref: object, *, key: str) -> tuple[str, str]:
    """``"pkg.module:attr"`` -> (``"pkg.module"``, ``"attr"``); ConfigError naming ``key``
    for anything else."""
    if not isinstance(ref, str) or ref.count(":") != 1:
        raise ConfigError(f"{key} = {ref!r}; expected 'package.module:attribute' (e.g. "
                          "'mylosses:build')")
    module, attr = ref.split(":")
    names = [*module.split("."), *attr.split(".")]
    if not all(n.isidentifier() for n in names):
        raise ConfigError(f"{key} = {ref!r}; expected 'package.module:attribute' with Python "
                          "names on both sides of the colon")
    return module, attr


def _missing_module(module: str, key: str, ref: str) -> ConfigError:
    return ConfigError(f"{key} = {ref!r}: no module named {module!r} on the Python path "
                       f"(install it, or put its folder on PYTHONPATH; sys.path = "
                       f"{[p for p in sys.path if p][:4]}...)")


def find_callable(ref: object, *, key: str) -> Path | None:
    """Check, without running the module, that ``ref``'s module can be imported; its file
    (None for a namespace or built-in module). ConfigError naming ``key`` otherwise.
    (Parent packages of a dotted module are imported: Python finds submodules that way.)"""
    module, _ = split_ref(ref, key=key)
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError) as err:
        raise _missing_module(module, key, str(ref)) from err
    if spec is None:
        raise _missing_module(module, key, str(ref))
    origin = spec.origin
    return Path(origin) if origin and Path(origin).is_file() else None


def load_callable(ref: object, *, key: str) -> Callable[..., Any]:
    """Import ``"pkg.module:attr"`` and return the attribute (dotted attributes follow
    ``getattr``); ConfigError naming ``key`` when the module is missing, fails to import, or
    lacks the attribute, or the attribute is not callable."""
    module, attr = split_ref(ref, key=key)
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as err:
        if err.name is not None and (module == err.name or module.startswith(err.name + ".")):
            raise _missing_module(module, key, str(ref)) from err
        raise ConfigError(f"{key} = {ref!r}: importing {module!r} failed: {err}") from err
    except Exception as err:  # the user's module raised while importing: say where
        raise ConfigError(f"{key} = {ref!r}: importing {module!r} failed: "
                          f"{type(err).__name__}: {err}") from err
    obj: Any = mod
    for part in attr.split("."):
        if not hasattr(obj, part):
            public = sorted(n for n in vars(mod) if not n.startswith("_"))
            raise ConfigError(f"{key} = {ref!r}: module {module!r} ({mod.__file__}) has no "
                              f"attribute {attr!r} (it defines {public[:12]})")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ConfigError(f"{key} = {ref!r} is a {type(obj).__name__}, not a callable")
    return obj


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _distribution_version(module: str) -> str | None:
    top = module.split(".")[0]
    for dist in metadata.packages_distributions().get(top, []):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return None


def provenance(ref: str, *, key: str = "callable") -> dict[str, Any]:
    """Which code ``ref`` is: ``{callable, module, file, sha256, version}``; ``version`` is
    the installed distribution's (None for a module that is only on the path), ``sha256``
    the module file's (None without one). Imports the module."""
    module, _ = split_ref(ref, key=key)
    mod = importlib.import_module(module)
    path = getattr(mod, "__file__", None)
    return {"callable": ref, "module": module, "file": path,
            "sha256": file_sha256(path) if path and Path(path).is_file() else None,
            "version": _distribution_version(module)}
