"""Fixtures for the emulator's own tests (the `emulator` fixture comes from its pytest plugin)."""

import pytest

from emu_helpers import Http


@pytest.fixture
def http(emulator):
    """HTTPS calls that trust the emulator's CA."""
    return Http(emulator)


@pytest.fixture
def clock(emulator):
    """The emulator's clock, reset after the test."""
    yield emulator.clock
    emulator.clock.reset()
