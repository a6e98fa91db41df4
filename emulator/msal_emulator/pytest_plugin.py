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
def emulator_requests(emulator: Emulator) -> Emulator:
    """The session emulator with its request log cleared, for tests that inspect requests."""
    emulator.clear_requests()
    return emulator
