"""The node family's folder listing and README's "The house" tell the same story: every
module of src/imbgraph/nodecls is named in the README's tree of the family, in its folder,
and every file the tree names exists; no module of the family imports another family."""

from __future__ import annotations

from pathlib import Path

from imbgraph.testing.layout import family_imports, listed_modules, package_modules

REPO = Path(__file__).parents[2]
PKG = REPO / "src" / "imbgraph" / "nodecls"


def test_the_readme_tree_is_the_folder_listing():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert listed_modules(readme, "nodecls") == package_modules(PKG)


def test_no_module_imports_another_family():
    assert family_imports(PKG) == []
