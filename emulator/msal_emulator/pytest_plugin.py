"""pytest fixtures: a session-wide running emulator, and a per-test view with a clean log.

Every test also fails when an emulator recorded an internal error (a handler raised, the client
got `server_error`) while it ran: a client test that accepts `server_error` must not hide a bug
of the emulator. That covers the emulators of this process and those of the processes the
tests start (they inherit the session's directory in ``MSAL_EMULATOR_ERRORS_DIR`` and report
there, see internal_errors.py). A test that provokes one on purpose says so with
``@pytest.mark.emulator_internal_errors``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from typing import Iterator, List, Optional, Tuple

import pytest

from . import internal_errors
from .server import Emulator, live_emulators

ALLOW_MARKER = "emulator_internal_errors"
# The session's directory for the internal errors of other processes, and the value it replaced.
ERRORS_DIR = pytest.StashKey[Tuple[str, Optional[str]]]()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", ALLOW_MARKER + ": the test provokes internal errors of the emulator on purpose"
    )
    directory = tempfile.mkdtemp(prefix="msal-emulator-errors-")
    config.stash[ERRORS_DIR] = (directory, os.environ.get(internal_errors.ENVIRONMENT_VARIABLE))
    os.environ[internal_errors.ENVIRONMENT_VARIABLE] = directory


def pytest_unconfigure(config: pytest.Config) -> None:
    directory, replaced = config.stash[ERRORS_DIR]
    if replaced is None:
        os.environ.pop(internal_errors.ENVIRONMENT_VARIABLE, None)
    else:  # a session run inside another (pytester): the outer one's again
        os.environ[internal_errors.ENVIRONMENT_VARIABLE] = replaced
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """One emulator (default config) for the whole test session; certificates are costly."""
    emu = Emulator()
    emu.start()
    try:
        yield emu
    finally:
        emu.close()


@pytest.fixture
def emulator_requests(emulator: Emulator) -> Iterator[Emulator]:
    """The session emulator with its request log cleared, for tests that inspect requests.

    Test controls (faults, a replaced MEX document, device code timing) are undone before
    and after the test, so no test leaks them into another.
    """
    emulator.clear_requests()
    emulator.reset_overrides()
    yield emulator
    emulator.reset_overrides()


@pytest.fixture
def emulator_clean(emulator_requests: Emulator) -> Emulator:
    """Another name for `emulator_requests`: the emulator free of the last test's controls."""
    return emulator_requests


@pytest.fixture(autouse=True)
def emulator_internal_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail the test when an emulator, of this process or another, recorded an internal error
    during it (tracebacks shown)."""
    directory = request.config.stash[ERRORS_DIR][0]
    seen: "weakref.WeakKeyDictionary[Emulator, int]" = weakref.WeakKeyDictionary(
        (emu, len(emu.errors)) for emu in live_emulators()
    )
    sizes = internal_errors.other_processes_files(directory)
    yield
    elsewhere = internal_errors.reported_since(directory, sizes)
    if request.node.get_closest_marker(ALLOW_MARKER):
        return
    found: List[str] = []
    for emu in live_emulators():
        found += emu.errors[seen.get(emu, 0) :]
    found += elsewhere
    if found:
        pytest.fail(
            "the emulator failed internally %d time(s) during this test (the client got "
            "server_error, or no answer):\n\n%s" % (len(found), "\n".join(found)),
            pytrace=False,
        )
