"""How the suite is laid out: unit tests in a package tree mirroring msal/, shared code in the
support package, both imported from tests/ (never the repository root) in the source tree and
against the installed wheel alike."""

import ast
import importlib
import os
import sys

import pytest

import support
import unit

TESTS = os.path.dirname(os.path.abspath(__file__))
REPOSITORY = os.path.dirname(TESTS)
UNIT = os.path.join(TESTS, "unit")
# Fixtures that start something (the emulator, another identity provider)
STARTING_FIXTURES = {
    "emu",
    "emulator",
    "emulator_requests",
    "make_app",
    "signed_in",
    "oidc_provider",
    "op_app",
}
# Used by interpreters that run the original msal too (tests/ecosystem_latest/child.py)
STANDALONE_SUPPORT = ("browser.py", "original.py", "tokens.py", "wire.py")


def unit_test_files():
    for folder, _, files in os.walk(UNIT):
        for name in files:
            if name.startswith("test_") and name.endswith(".py"):
                yield os.path.join(folder, name)


def imported_modules(path):
    with open(path) as f:
        tree = ast.parse(f.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_unit_folders_are_packages_so_base_names_may_repeat():
    folders = {os.path.dirname(path) for path in unit_test_files()}
    assert folders and all(os.path.exists(os.path.join(f, "__init__.py")) for f in folders | {UNIT})


def test_unit_tests_mirror_msal():
    for path in unit_test_files():
        folder = os.path.relpath(os.path.dirname(path), UNIT)
        assert folder == "." or os.path.isdir(os.path.join(REPOSITORY, "msal", folder)), path


@pytest.mark.parametrize("path", sorted(unit_test_files()), ids=lambda p: os.path.relpath(p, UNIT))
def test_unit_tests_start_nothing(path):
    with open(path) as f:
        tree = ast.parse(f.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            assert not STARTING_FIXTURES & {a.arg for a in node.args.args}, node.name


def test_support_and_unit_are_imported_from_tests():
    assert os.path.dirname(os.path.abspath(support.__file__)) == os.path.join(TESTS, "support")
    assert os.path.dirname(os.path.abspath(unit.__file__)) == UNIT
    named_after_its_folders = importlib.import_module("unit.oauth2cli.test_authcode")
    assert named_after_its_folders.__file__ == os.path.join(UNIT, "oauth2cli", "test_authcode.py")


def test_against_the_wheel_the_repository_root_is_not_on_the_import_path():
    if not os.environ.get("MSAL_TEST_INSTALLED"):
        pytest.skip("only under ./dev wheel-test (the source tree's run has the root on its path)")
    assert REPOSITORY not in {os.path.abspath(p or os.curdir) for p in sys.path}


@pytest.mark.parametrize("name", STANDALONE_SUPPORT)
def test_support_for_other_interpreters_needs_no_msal(name):
    modules = set(imported_modules(os.path.join(TESTS, "support", name)))
    assert not {m for m in modules if m.split(".")[0] in ("msal", "msal_emulator")}, modules
