"""The node family's folder listing and README's "The house" tell the same story: every
module of src/imbgraph/nodecls is named in the README's tree of the family, in its folder,
and every file the tree names exists; no module of the family imports another family."""

from __future__ import annotations

import ast
import re
from pathlib import Path

REPO = Path(__file__).parents[2]
PKG = REPO / "src" / "imbgraph" / "nodecls"


def readme_tree() -> dict[str, set[str]]:
    """folder (relative to the package) -> the .py files the README's tree names in it."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```\nsrc/imbgraph/nodecls/\n(.*?)```", text, flags=re.S)
    out: dict[str, set[str]] = {"": set()}
    stack: list[tuple[int, str]] = []
    for line in block.splitlines():
        m = re.match(r"^( +)(\S+)", line)
        if not m:
            continue
        indent, first = len(m.group(1)), m.group(2)
        if first.endswith("/"):
            while stack and stack[-1][0] >= indent:
                stack.pop()
            folder = "/".join([*(f for _, f in stack), first.rstrip("/")])
            stack.append((indent, first.rstrip("/")))
            out.setdefault(folder, set())
        else:
            while stack and stack[-1][0] >= indent:
                stack.pop()
            folder = "/".join(f for _, f in stack)
        for name in re.findall(r"(?<![\w/])(\w+\.py)\b", line):
            out.setdefault(folder, set()).add(name)
    return out


def test_the_readme_tree_is_the_folder_listing():
    tree = readme_tree()
    listed = {f"{folder}/{name}".lstrip("/") for folder, names in tree.items() for name in names}
    actual = {p.relative_to(PKG).as_posix() for p in PKG.rglob("*.py")
              if p.name != "__init__.py" or p.parent.name == "methods"}
    assert listed == actual


def test_no_module_imports_another_family():
    for path in PKG.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                assert not re.match(r"imbgraph\.(linkage|graphcls|clustering)\b", name), (path,
                                                                                           name)
