"""Tests of imbgraph.plugins: a registry's lookups name the key and list the choices, a spec
fills in its defaults (UNSET left out) and says its cached inputs, and a user's
``module:attr`` is found, loaded and traced, each failure naming the config key."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest

from imbgraph.errors import ConfigError
from imbgraph.plugins import (
    UNSET,
    MethodSpec,
    Registry,
    find_callable,
    load_callable,
    provenance,
    split_ref,
)

KEY = "fam.methods.M.balancing.callable"


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch):
    pkg = tmp_path / "myplugins"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "good.py").write_text("VALUE = 3\n\ndef build(x):\n    return x + 1\n")
    (pkg / "broken.py").write_text("raise RuntimeError('boom at import')\n")
    (pkg / "needs_missing.py").write_text("import not_a_module_anywhere\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith("myplugins")]:
        monkeypatch.delitem(sys.modules, name)
    return pkg


def test_registry_lookup_and_errors():
    reg = Registry("fam.methods.<m>.name", [MethodSpec("a", "x:y"), MethodSpec("b", None)])
    assert list(reg) == ["a", "b"] and len(reg) == 2 and reg["a"].impl == "x:y"
    with pytest.raises(ConfigError, match=r"fam\.methods\.<m>\.name = 'c'; expected one of "
                                          r"\['a', 'b'\]"):
        reg["c"]
    with pytest.raises(ConfigError, match=r"^fam\.methods\.Z\.name = 'c'"):
        reg.get_spec("c", key="fam.methods.Z.name")
    with pytest.raises(ValueError, match="registered twice"):
        reg.add(MethodSpec("a", "x:z"))


def test_spec_settings_needs_and_ref():
    spec = MethodSpec("m", "pkg.mod:build", {"k": UNSET, "p": 2, "q": "x"},
                      needs=lambda s: ("clusters",) if s.get("k") else ())
    assert spec.defaults() == {"p": 2, "q": "x"}
    assert spec.settings({"name": "m", "p": 5}) == {"p": 5, "q": "x", "name": "m"}
    assert spec.needs_of({"k": 3}) == ("clusters",) and spec.needs_of({}) == ()
    assert MethodSpec("s", "a:b", needs=("clusters",)).needs_of({}) == ("clusters",)
    assert spec.ref({}) == "pkg.mod:build"
    assert MethodSpec("plugin", None).ref({"callable": "u:v"}) == "u:v"
    assert repr(UNSET) == "UNSET"


def test_check_runs_with_the_key():
    def check(settings, key):
        if settings["p"] < 0:
            raise ConfigError(f"{key}.p = {settings['p']}; expected >= 0")

    spec = MethodSpec("m", "a:b", {"p": 1}, check=check)
    spec.validate(spec.settings({}), "fam.methods.M")
    with pytest.raises(ConfigError, match=r"fam\.methods\.M\.p = -1"):
        spec.validate(spec.settings({"p": -1}), "fam.methods.M")


@pytest.mark.parametrize("ref", ["nocolon", "a:b:c", "a.:b", "a:1b", 3, None, "a b:c"])
def test_split_ref_rejects_malformed(ref):
    with pytest.raises(ConfigError, match=rf"^{KEY} = .*expected 'package\.module:attribute'"):
        split_ref(ref, key=KEY)


def test_split_ref():
    assert split_ref("a.b:c.d", key=KEY) == ("a.b", "c.d")


def test_find_and_load(plugin_dir):
    path = find_callable("myplugins.good:build", key=KEY)
    assert path == plugin_dir / "good.py"
    assert "myplugins.good" not in sys.modules  # found without running it
    assert load_callable("myplugins.good:build", key=KEY)(1) == 2
    assert find_callable("json:dumps", key=KEY).name == "__init__.py"


def test_find_names_a_missing_module(plugin_dir):
    for ref in ("nothere:build", "myplugins.nothere:build", "nothere.sub:build"):
        with pytest.raises(ConfigError, match=rf"^{KEY} = '{ref}': no module named "):
            find_callable(ref, key=KEY)


def test_load_errors_name_the_key(plugin_dir):
    with pytest.raises(ConfigError, match=rf"{KEY} = 'myplugins.nothere:build': no module "
                                          r"named 'myplugins.nothere'"):
        load_callable("myplugins.nothere:build", key=KEY)
    with pytest.raises(ConfigError, match=r"importing 'myplugins.broken' failed: "
                                          r"RuntimeError: boom at import"):
        load_callable("myplugins.broken:build", key=KEY)
    with pytest.raises(ConfigError, match=r"importing 'myplugins.needs_missing' failed: "
                                          r"No module named 'not_a_module_anywhere'"):
        load_callable("myplugins.needs_missing:build", key=KEY)
    with pytest.raises(ConfigError, match=r"has no attribute 'buidl' \(it defines "
                                          r"\['VALUE', 'build'\]\)"):
        load_callable("myplugins.good:buidl", key=KEY)
    with pytest.raises(ConfigError, match=r"'myplugins.good:VALUE' is a int, not a callable"):
        load_callable("myplugins.good:VALUE", key=KEY)


def test_provenance(plugin_dir):
    p = provenance("myplugins.good:build")
    body = (plugin_dir / "good.py").read_bytes()
    assert p == {"callable": "myplugins.good:build", "module": "myplugins.good",
                 "file": str(plugin_dir / "good.py"),
                 "sha256": hashlib.sha256(body).hexdigest(), "version": None}
    assert provenance("yaml:safe_load")["version"]  # an installed distribution's version


def test_imports_nothing_heavy():
    code = ("import imbgraph.plugins, sys; "
            "assert not {'torch', 'numpy', 'polars'} & set(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)
