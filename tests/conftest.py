"""Shared helpers: applications wired to the local identity emulator over real HTTPS.

The ``emulator`` fixture (session-scoped) and ``emulator_requests`` (clears the request log)
come from the msal-emulator pytest plugin.
"""

import os

import pytest

from support.apps import build_app, sign_in
from msal._entra.discovery import SHARED

pytest_plugins = ["leak_guard", "suite_markers"]


def pytest_configure(config):
    """Under ``./dev wheel-test`` the suite must import the installed wheel, not the source tree."""
    if os.environ.get("MSAL_TEST_INSTALLED"):
        import msal

        source_package = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "msal")
        if os.path.abspath(msal.__file__).startswith(source_package + os.sep):
            raise pytest.UsageError(
                "msal was imported from the source tree, not the installed wheel: " + msal.__file__
            )


@pytest.fixture(autouse=True)
def fresh_discovery_memo():
    """Each test starts as a new process would: no authority discovered yet (the emulator and
    its faults change from test to test, the process-wide memo would carry answers over)."""
    SHARED.clear()
    yield
    SHARED.clear()


@pytest.fixture
def emu(emulator_requests):
    """The running emulator, its request log cleared and its refresh tokens valid again."""
    return emulator_requests


@pytest.fixture
def make_app(emu):
    """Build an application for one of the emulator's registered apps."""
    return lambda name, cls=None, **kwargs: build_app(emu, name, cls, **kwargs)


@pytest.fixture
def signed_in(emu):
    """A web app with alice signed in through the auth code flow; returns (app, result)."""

    def signed_in_app(name="web-app", scopes=("User.Read",), username=None, **kwargs):
        app, result = sign_in(emu, name, scopes, username, **kwargs)
        assert "access_token" in result, result
        return app, result

    return signed_in_app
