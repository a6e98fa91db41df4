"""Fixtures for running azure-identity and msal-extensions on top of this msal."""

import os
import webbrowser

import pytest

from ecosystem_helpers import UserAtTheBrowser


@pytest.fixture
def alice(emu):
    return emu.user("alice@" + emu.tenant_domain)


@pytest.fixture
def browser_emulator(emu):
    """The emulator whose pages the browser's user signs in on (a module may override it)."""
    return emu


@pytest.fixture
def user_at_the_browser(browser_emulator, alice, monkeypatch):
    """Register, for this test only, a system browser where alice signs in."""
    monkeypatch.setattr(webbrowser, "_tryorder", [])
    monkeypatch.setattr(webbrowser, "_browsers", {})
    browser = UserAtTheBrowser(browser_emulator, alice["username"], alice["password"])
    webbrowser.register("scripted", None, browser, preferred=True)
    yield browser
    browser.join()


@pytest.fixture
def shared_cache_path(tmp_path, monkeypatch):
    """A fresh home directory; returns where azure-identity keeps its shared cache on Linux
    (msal-extensions' plain-file persistence, as no keyring is reachable here)."""
    monkeypatch.setenv("HOME", str(tmp_path))
    return os.path.join(str(tmp_path), ".IdentityService", "msal.cache.nocae")
