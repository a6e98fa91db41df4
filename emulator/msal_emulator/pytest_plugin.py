"""pytest fixtures: a session-wide running emulator, and a per-test view with a clean log."""

from __future__ import annotations

from typing import Iterator

import pytest

from .server import Emulator


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
