"""Fixtures for running azure-identity and msal-extensions on top of this msal."""

import os

import pytest

from support.browser import ScriptedBrowser, registered


@pytest.fixture
def alice(emu):
    return emu.user("alice@" + emu.tenant_domain)


@pytest.fixture
def browser_emulator(emu):
    """The emulator whose pages the browser's user signs in on (a module may override it)."""
    return emu


@pytest.fixture
def user_at_the_browser(browser_emulator, alice):
    """Register, for this test only, a system browser where alice signs in."""
    sign_in = lambda url: browser_emulator.sign_in(url, alice["username"], alice["password"])
    with registered(ScriptedBrowser(sign_in)) as browser:
        yield browser


@pytest.fixture
def shared_cache_path(tmp_path, monkeypatch):
    """A fresh home directory; returns where azure-identity keeps its shared cache on Linux
    (msal-extensions' plain-file persistence, as no keyring is reachable here)."""
    monkeypatch.setenv("HOME", str(tmp_path))
    return os.path.join(str(tmp_path), ".IdentityService", "msal.cache.nocae")
