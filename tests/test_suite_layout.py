"""How the suite is laid out: unit tests in a package tree mirroring msal/, shared code in the
support package, both imported from tests/ (never the repository root) in the source tree and
against the installed wheel alike; and what the markers promise (tests/suite_markers.py)."""

import ast
import importlib
import os
import subprocess
import sys

import pytest

import support
import unit

pytest_plugins = ["pytester"]

TESTS = os.path.dirname(os.path.abspath(__file__))
REPOSITORY = os.path.dirname(TESTS)
UNIT = os.path.join(TESTS, "unit")
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


def collected(*args):
    """The node ids the suite's own configuration collects with these arguments (bin/pytest, as
    ./dev runs it: ``python -m pytest`` would put the source tree first on the import path)."""
    if os.environ.get("MSAL_TEST_INSTALLED"):
        args = ("-o", "pythonpath=", *args)
    pytest_command = os.path.join(os.path.dirname(sys.executable), "pytest")
    done = subprocess.run(
        [pytest_command, "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode in (0, 5), done.stdout[-3000:] + done.stderr[-3000:]  # 5: none collected
    return [line for line in done.stdout.splitlines() if "::" in line]


@pytest.mark.system  # a pytest of its own collects the suite
def test_the_unit_folder_holds_unit_tests_only():
    assert collected("-m", "not unit", UNIT) == []


# Tests of a session with the markers plugin: what collection sees (direct calls) gets its
# marker; what it cannot see (getattr) stays unit, and the guard fails the test while it runs.
GUARDED_TESTS = """
import socket
import subprocess
import sys

import pytest


def start_a_process():
    subprocess.run([sys.executable, "-c", "pass"], check=True)


def test_calls_a_function_that_starts_a_process():
    start_a_process()


def test_starts_a_process_unseen():
    getattr(subprocess, "run")([sys.executable, "-c", "pass"], check=True)


def test_listens_unseen():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        getattr(server, "listen")()


@pytest.fixture
def unseen_server():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        getattr(server, "listen")()
        yield server


def test_uses_a_fixture_that_listens_unseen(unseen_server):
    pass


def test_binds_to_find_a_free_port_and_starts_nothing():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))


# Listening before any test runs, as a server an earlier test or the session started does
EARLIER_SERVER = socket.socket()
EARLIER_SERVER.bind(("127.0.0.1", 0))
getattr(EARLIER_SERVER, "listen")()


def test_reaches_a_server_started_before_it():
    with socket.create_connection(EARLIER_SERVER.getsockname(), timeout=5):
        pass


def test_tries_a_port_nobody_listens_on_and_reaches_nothing():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=5)


@pytest.mark.unit
def test_only_refers_to_subprocess():
    assert subprocess.TimeoutExpired


@pytest.mark.system
def test_says_it_starts_a_process():
    getattr(subprocess, "run")([sys.executable, "-c", "pass"], check=True)
"""


@pytest.mark.system  # a pytest of its own runs the sample tests
def test_a_unit_test_that_starts_a_process_listens_or_connects_fails(pytester):
    pytester.makeconftest("import sys\nsys.path.insert(0, %r)\npytest_plugins = ['suite_markers']\n" % TESTS)
    pytester.makepyfile(test_sample=GUARDED_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-m", "unit", "-rA")
    result.assert_outcomes(passed=3, failed=3, errors=1, deselected=2)
    result.stdout.fnmatch_lines_random(
        [
            "PASSED test_sample.py::test_binds_to_find_a_free_port_and_starts_nothing",
            "PASSED test_sample.py::test_only_refers_to_subprocess",
            "PASSED test_sample.py::test_tries_a_port_nobody_listens_on_and_reaches_nothing",
            "FAILED test_sample.py::test_starts_a_process_unseen*",
            "FAILED test_sample.py::test_listens_unseen*",
            "FAILED test_sample.py::test_reaches_a_server_started_before_it*",
            "ERROR test_sample.py::test_uses_a_fixture_that_listens_unseen*",
            "this test is marked unit (nothing started) but it started or reached:",
            "  a process (subprocess.Popen: *",
            "  a listening socket on ('127.0.0.1', *)",
            "  a connection to ('127.0.0.1', *)",
        ]
    )
    assert pytester.runpytest_subprocess("-p", "no:cacheprovider", "-m", "system").ret == 0


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
