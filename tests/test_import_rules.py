"""The package's import rules, read from the source (no module is imported).

Layers, from the top: the facade (the public application classes) -> the use cases (`_flows`,
`_managed_identity`) -> the rules, the protocol and the cache (`_entra`, `oauth2cli`,
`token_cache`, ...) -> the transport (`_http`) -> the HTTP contract (`oauth2cli.contract`, which
the transport and the protocol layer share). A module may import its own layer or a lower one.
"""

import ast
import os

import pytest

PACKAGE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "msal")

FACADE = {"msal", "msal.application", "msal.managed_identity"}
USE_CASES = ("msal._flows", "msal._managed_identity")
TRANSPORT = ("msal._http",)
# Below every layer, importing nothing of msal: the one statement of the HTTP contract, and the
# repr() that every layer's classes keep working on half-built objects.
CONTRACT = {"msal.oauth2cli.contract", "msal.oauth2cli.tolerant"}
# Where `requests` may be imported: the default HTTP client, and Service Fabric's managed identity
# source, which pins its endpoint's certificate through a requests adapter.
REQUESTS_ALLOWED = ("msal._http", "msal._managed_identity.service_fabric")


def _modules():
    for folder, _, files in os.walk(PACKAGE_DIR):
        for name in files:
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                rel = os.path.relpath(path, os.path.dirname(PACKAGE_DIR))[:-3].split(os.sep)
                if rel[-1] == "__init__":
                    rel = rel[:-1]
                yield ".".join(rel), path, name == "__init__.py"


MODULES = {name: (path, is_package) for name, path, is_package in _modules()}


def _layer(module):
    if module in CONTRACT:
        return -1
    if module in FACADE:
        return 3
    if module.startswith(USE_CASES):
        return 2
    if module.startswith(TRANSPORT):
        return 0
    return 1


def _within(module, prefixes):
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _imports(module):
    """(imported module, imported name or None) for every import statement in a module."""
    path, is_package = MODULES[module]
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read(), path)
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                submodule = target + "." + alias.name
                if submodule in MODULES:
                    yield submodule, None
                else:
                    yield target, alias.name


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_layers(module):
    upward = [
        target
        for target, name in _imports(module)
        if target in MODULES
        and _layer(target) > _layer(module)
        and not (target == "msal" and name == "__version__")
    ]  # the version constant is no layer
    assert not upward, "{} imports from a higher layer: {}".format(module, upward)


@pytest.mark.parametrize("module", sorted(CONTRACT))
def test_the_http_contract_imports_nothing_of_msal(module):
    assert module in MODULES
    assert not [target for target, _ in _imports(module) if target.split(".")[0] == "msal"]


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("msal.oauth2cli")))
def test_the_protocol_layer_knows_nothing_of_microsoft(module):
    outside = [
        target
        for target, _ in _imports(module)
        if target.startswith("msal") and not _within(target, ("msal.oauth2cli",))
    ]
    assert not outside, "{} imports {}".format(module, outside)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_reaches_into_another_modules_private_names(module):
    private = [
        "{}.{}".format(target, name)
        for target, name in _imports(module)
        if name
        and name.startswith("_")
        and not name.startswith("__")
        and target.startswith("msal")
        and target != module
    ]
    assert not private, "{} imports private names: {}".format(module, private)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_requests_and_the_emulator_stay_out(module):
    imported = {target.split(".")[0] for target, _ in _imports(module)}
    assert "msal_emulator" not in imported, module
    if not _within(module, REQUESTS_ALLOWED):
        assert "requests" not in imported, "{} imports requests".format(module)


def test_a_cold_import_leaves_what_only_requests_need_unloaded():
    """`import msal` is paid by every process that uses it; modules that only a token request
    (or a sign-in) needs are imported when it happens."""
    import subprocess
    import sys

    only_on_use = ("uuid", "platform", "requests", "hashlib", "secrets", "datetime", "dataclasses", "inspect")
    code = "import sys, msal; print(' '.join(sorted(m for m in %r if m in sys.modules)))" % (only_on_use,)
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert loaded == []
