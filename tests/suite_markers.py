"""pytest plugin: mark each test by what it runs against, and hold ``unit`` tests to starting
nothing.

The markers, chosen with ``-m``:

* ``e2e``: the emulator (the session's, or one the test starts itself);
* ``interop``: another library or identity provider (the original msal, azure-identity,
  node-oidc-provider, ...);
* ``browser``: headless Chromium;
* ``system``: processes or servers of the test's own that none of those names: other
  interpreters running this msal or the project's tools (mypy, sphinx, pip), a redis-server,
  the loopback redirect listener, HTTP servers on loopback;
* ``unit``: none of these: nothing is started, everything runs in this process.

A test gets a marker from its path (the interop and browser folders), from what it calls, and
from what the fixtures it uses call (``STARTERS``: the emulator, the helpers that run the
original msal, ``subprocess``, servers and listeners), followed through the suite's own
functions, classes and fixtures. A test that starts something in a way this cannot see (through
an object's method) says so with the marker itself, and so does a test that only refers to
something that could start (``@pytest.mark.unit``).

Collection cannot see everything, so a ``unit`` test that starts a process, listens on a
socket or reaches a server (one an earlier test started, say) while it runs (setup and
teardown included) fails, naming what it started or reached.

Registered in tests/conftest.py with ``pytest_plugins = ["suite_markers"]``.
"""

from __future__ import annotations

import concurrent.futures
import http.server
import inspect
import multiprocessing
import os
import site
import socket
import socketserver
import subprocess
import sys
import types
from typing import Any, Callable, Dict, Iterator, List, Optional, Set

import pytest
import msal_emulator
from msal_emulator import Emulator
from msal_emulator import pytest_plugin as emulator_plugin

import msal
from msal.oauth2cli.authcode import LoopbackListener
from support import node, original

# Not followed to what it calls: the interpreter's and installed libraries, and the library and
# emulator under test (the emulator's fixtures are).
NOT_FOLLOWED = tuple(
    os.path.realpath(path) + os.sep
    for path in {sys.prefix, sys.base_prefix, *site.getsitepackages(), site.getusersitepackages()}
) + tuple(os.path.dirname(os.path.realpath(package.__file__)) + os.sep for package in (msal, msal_emulator))

INTEROP_PATHS = (
    "tests/oracle/",
    "tests/ecosystem",
    "tests/oidc_provider/",
    "tests/unmodified_apps/",
    "_original",
    "tests/test_cache_interop_original.py",
    "tests/test_token_cache_compat.py",
)
BROWSER_PATHS = ("tests/test_interactive_chromium.py", "tests/samples/")
# What starts something, and the marker a test that calls it gets.
STARTERS: Dict[Any, str] = {
    Emulator: "e2e",
    original.run: "interop",
    original.run_json: "interop",
    original.Conversation: "interop",
    node.npm_ci: "interop",
    LoopbackListener: "system",
    subprocess.Popen: "system",
    subprocess.run: "system",
    subprocess.call: "system",
    subprocess.check_call: "system",
    subprocess.check_output: "system",
    os.system: "system",
    multiprocessing.Process: "system",
    multiprocessing.Pool: "system",
    concurrent.futures.ProcessPoolExecutor: "system",
    socketserver.TCPServer: "system",
    http.server.HTTPServer: "system",
    socket.create_server: "system",
}
# A method called on any object: a socket (or server) that listens.
STARTING_METHODS = {"listen": "system", "serve_forever": "system"}
# system is what remains: a test marked e2e, interop or browser may start processes for them.
NAMED = ("e2e", "interop", "browser")


MARKERS = {
    "unit": "starts nothing: no process, no listening socket, no connection made (checked while it runs)",
    "e2e": "talks HTTPS to the emulator",
    "interop": "runs against another library or identity provider",
    "browser": "drives headless Chromium",
    "system": "starts processes or servers of its own that e2e, interop and browser do not name "
    "(other interpreters running this msal, mypy, sphinx, pip, a redis-server, the loopback "
    "redirect listener, HTTP servers on loopback): it needs nothing but this machine, yet is no "
    "unit test",
}


def pytest_configure(config: pytest.Config) -> None:
    registered = {line.split(":")[0].split("(")[0].strip() for line in config.getini("markers")}
    for name, description in MARKERS.items():
        if name not in registered:  # pyproject.toml describes the first four
            config.addinivalue_line("markers", "{}: {}".format(name, description))
    sys.addaudithook(_audit)


def code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    """A function's code and the code of the functions, lambdas and classes nested in it."""
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from code_objects(const)


def followed(obj: Any) -> bool:
    """Code of the suite (tests, their support, the benchmarks' helpers), or the emulator's
    fixtures."""
    code = getattr(obj, "__code__", None)
    if code is None:
        return False
    path = os.path.realpath(code.co_filename)
    if path == os.path.realpath(emulator_plugin.__file__):
        return True
    return os.path.isfile(path) and not path.startswith(NOT_FOLLOWED)


class Classifier:
    """The markers earned by what functions call, followed through the suite's own code."""

    def __init__(self) -> None:
        self.memo: Dict[Any, Set[str]] = {}

    def of(self, obj: Any) -> Set[str]:
        try:
            return self.memo[obj]
        except (KeyError, TypeError):
            pass
        try:
            marker = STARTERS.get(obj)
        except TypeError:  # unhashable
            return set()
        if marker:
            return {marker}
        if isinstance(obj, type):
            found: Set[str] = set()
            self.memo[obj] = found
            for member in vars(obj).values():
                found |= self.of(getattr(member, "__func__", member))
            return found
        func = inspect.unwrap(obj)
        if not followed(func):
            return set()
        found = set()
        self.memo[obj] = found  # recursion ends here
        for code in code_objects(func.__code__):
            found |= self.called_by(code, func.__globals__)
        return found

    def called_by(self, code: types.CodeType, namespace: Dict[str, Any]) -> Set[str]:
        found = {STARTING_METHODS[name] for name in code.co_names if name in STARTING_METHODS}
        modules = []
        for name in code.co_names:
            obj = namespace.get(name, sys.modules.get(name))
            if isinstance(obj, types.ModuleType):
                modules.append(obj)
            elif obj is not None:
                found |= self.of(obj)
        for module in modules:  # module.name, or a name imported from it in the function
            for name in code.co_names:
                found |= self.of(getattr(module, name, None))
        return found


def fixture_functions(item: pytest.Item) -> Iterator[Callable[..., Any]]:
    info = getattr(item, "_fixtureinfo", None)
    for defs in getattr(info, "name2fixturedefs", {}).values():
        for fixturedef in defs:
            yield fixturedef.func


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    """Give each test the markers of what it runs against; ``unit`` when it runs against none."""
    classifier = Classifier()
    for item in items:
        if item.get_closest_marker("unit"):  # it says it starts nothing after all; the guard checks
            continue
        path = item.nodeid.split("::")[0]
        found = {m.name for m in item.iter_markers() if m.name in (*NAMED, "system")}
        if any(part in path for part in INTEROP_PATHS):
            found.add("interop")
        if any(part in path for part in BROWSER_PATHS):
            found.add("browser")
        function = getattr(item, "function", None)
        for func in [function, *fixture_functions(item)]:
            if func is not None:
                found |= classifier.of(func)
        if found & set(NAMED):
            found.discard("system")
        for name in sorted(found) or ["unit"]:
            item.add_marker(name)


# ---------------------------------------------------------------- the guard of unit tests


# What the running unit test started (None while no unit test runs); kept on its item too.
_started: Optional[List[str]] = None
STARTED = pytest.StashKey[List[str]]()
PROCESS_EVENTS = ("subprocess.Popen", "os.system", "os.fork", "os.forkpty", "os.posix_spawn", "os.spawn")
PROCESS_EVENTS += ("os.exec", "pty.spawn")


def _audit(event: str, args: Any) -> None:
    if _started is not None and event in PROCESS_EVENTS:
        what = args[1] if event == "subprocess.Popen" else args
        _started.append("a process ({}: {!r})".format(event, what)[:300])


def _listening_listen(listen: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(self: socket.socket, *args: Any) -> Any:
        if _started is not None:
            _started.append("a listening socket on {}".format(self.getsockname()))
        return listen(self, *args)

    return guarded


def _connecting(connect: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(self: socket.socket, address: Any) -> Any:
        result = connect(self, address)  # (an attempt that fails reaches nothing)
        if _started is not None:
            _started.append("a connection to {}".format(address))
        return result

    return guarded


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: Optional[pytest.Item]) -> Iterator[None]:
    """While a ``unit`` test runs, note every process it starts, socket it listens on and
    connection it makes."""
    global _started
    if not item.get_closest_marker("unit"):
        yield
        return
    listen, connect = socket.socket.listen, socket.socket.connect
    _started = []
    item.stash[STARTED] = _started
    socket.socket.listen = _listening_listen(listen)  # type: ignore[method-assign]
    socket.socket.connect = _connecting(connect)  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.listen, socket.socket.connect = listen, connect  # type: ignore[method-assign]
        _started = None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    started = item.stash.get(STARTED, [])
    report = outcome.get_result()
    if not started or not report.passed:
        return
    report.outcome = "failed"
    report.longrepr = (
        "this test is marked unit (nothing started) but it started or reached:\n  {}\n"
        "Mark it with what it runs against (e2e, interop, browser, system), or start it through "
        "a fixture or helper that tests/suite_markers.py knows.".format("\n  ".join(started))
    )
    started.clear()
