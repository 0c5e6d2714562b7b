"""A family's folder against README's "The house": the tree of ``src/imbgraph/<family>/``
the README draws, and the imports of a family's modules (tests/<family>/test_layout.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

__all__ = ["family_imports", "listed_modules", "package_modules", "readme_tree"]

FAMILIES = ("linkage", "nodecls", "graphcls", "clustering")


def readme_tree(readme: str, family: str) -> dict[str, set[str]]:
    """folder (relative to the package) -> the .py files the README's tree of
    ``src/imbgraph/<family>/`` names in it (a line whose first word ends with ``/`` opens a
    folder at its indent; a line indented deeper stays in it)."""
    (block,) = re.findall(rf"```\nsrc/imbgraph/{family}/\n(.*?)```", readme, flags=re.S)
    out: dict[str, set[str]] = {"": set()}
    stack: list[tuple[int, str]] = []
    for line in block.splitlines():
        m = re.match(r"^( +)(\S+)", line)
        if not m:
            continue
        indent, first = len(m.group(1)), m.group(2)
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if first.endswith("/"):
            stack.append((indent, first.rstrip("/")))
        folder = "/".join(f for _, f in stack)
        out.setdefault(folder, set())
        for name in re.findall(r"(?<![\w/])(\w+\.py)\b", line):
            out[folder].add(name)
    return out


def listed_modules(readme: str, family: str) -> set[str]:
    """The package-relative paths of every module the README's tree names."""
    return {f"{folder}/{name}".lstrip("/") for folder, names in readme_tree(readme, family).items()
            for name in names}


def package_modules(pkg: Path) -> set[str]:
    """The package-relative paths of its modules (``__init__.py`` only of ``methods/``, where
    it holds the method table)."""
    return {p.relative_to(pkg).as_posix() for p in pkg.rglob("*.py")
            if p.name != "__init__.py" or p.parent.name == "methods"}


def family_imports(pkg: Path) -> list[tuple[Path, str]]:
    """(module, imported name) of every import in ``pkg`` of another family than its own."""
    others = "|".join(f for f in FAMILIES if f != pkg.name)
    out = []
    for path in pkg.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            out += [(path, n) for n in names if re.match(rf"imbgraph\.({others})\b", n)]
    return out
