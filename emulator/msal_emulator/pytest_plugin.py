"""pytest fixtures: a session-wide running emulator, and a per-test view with a clean log.

Every test also fails when an emulator of the process recorded an internal error (a handler
raised, the client got `server_error`) while it ran: a client test that accepts
`server_error` must not hide a bug of the emulator. A test that provokes one on purpose says
so with ``@pytest.mark.emulator_internal_errors``.
"""

from __future__ import annotations

import weakref
from typing import Iterator, List

import pytest

from .server import Emulator, live_emulators

ALLOW_MARKER = "emulator_internal_errors"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", ALLOW_MARKER + ": the test provokes internal errors of the emulator on purpose"
    )


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
    """Fail the test when an emulator recorded an internal error during it (tracebacks shown)."""
    seen: "weakref.WeakKeyDictionary[Emulator, int]" = weakref.WeakKeyDictionary(
        (emu, len(emu.errors)) for emu in live_emulators()
    )
    yield
    if request.node.get_closest_marker(ALLOW_MARKER):
        return
    found: List[str] = []
    for emu in live_emulators():
        found += emu.errors[seen.get(emu, 0) :]
    if found:
        pytest.fail(
            "the emulator failed internally %d time(s) during this test (the client got "
            "server_error, or no answer):\n\n%s" % (len(found), "\n".join(found)),
            pytrace=False,
        )
