"""The graph family's folder listing and README's "The house" tell the same story: every
module of src/imbgraph/graphcls is named in the README's tree of the family, in its folder,
and every file the tree names exists; no module of the family imports another family; every
torch module of the family has reset_parameters() and a Shapes section."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

from torch import nn

from imbgraph.testing.layout import family_imports, listed_modules, package_modules

REPO = Path(__file__).parents[2]
PKG = REPO / "src" / "imbgraph" / "graphcls"


def test_the_readme_tree_is_the_folder_listing():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert listed_modules(readme, "graphcls") == package_modules(PKG)


def test_no_module_imports_another_family():
    assert family_imports(PKG) == []


def test_every_module_resets_and_gives_its_shapes():
    """PyG's conventions: reset_parameters() and a Shapes section, on every nn.Module the
    family defines."""
    seen = []
    for rel in sorted(package_modules(PKG)):
        name = "imbgraph.graphcls." + rel.removesuffix(".py").removesuffix("/__init__").replace(
            "/", ".")
        for _, cls in inspect.getmembers(importlib.import_module(name), inspect.isclass):
            if issubclass(cls, nn.Module) and cls.__module__ == name:
                seen.append(cls.__name__)
                assert "reset_parameters" in {m for c in cls.__mro__ if c is not nn.Module
                                              for m in vars(c)}, cls
                assert "Shapes" in (cls.__doc__ or ""), cls
    assert {"GINEncoder", "MLPHead", "PrototypeBlock", "PersonalisedPerturbation", "UniImb",
            "G2GNN", "EmbeddingHead", "Learner", "SwiGLU", "GraphCLLoss"} <= set(seen)
