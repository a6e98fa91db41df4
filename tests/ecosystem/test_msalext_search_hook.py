"""msal-extensions 1.3.1, whose PersistedTokenCache hooks search() (not find()) to reload its
file before each read, under this msal's applications. The suite's environment holds an older
msal-extensions, so this module installs 1.3.1 (without dependencies) beside it for its tests."""

import json
import subprocess
import sys

import pytest

import msal
from ecosystem_helpers import sign_in

VERSION = "1.3.1"


@pytest.fixture(scope="module")
def msal_extensions(tmp_path_factory):
    """msal_extensions 1.3.1 imported in place of the installed one, for this module only."""
    target = str(tmp_path_factory.mktemp("msal-extensions-" + VERSION))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "--no-deps",
            "--target",
            target,
            "msal-extensions==" + VERSION,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if proc.returncode != 0:
        pytest.skip("msal-extensions %s could not be installed: %s" % (VERSION, proc.stderr[-300:]))
    saved = {name: module for name, module in sys.modules.items() if name.split(".")[0] == "msal_extensions"}
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, target)
    try:
        import msal_extensions as module

        yield module
    finally:
        sys.path.remove(target)
        for name in [n for n in sys.modules if n.split(".")[0] == "msal_extensions"]:
            del sys.modules[name]
        sys.modules.update(saved)


@pytest.fixture
def app_on_file(msal_extensions, make_app, tmp_path):
    """Each call: a new application on a new msal-extensions cache over the same file."""
    path = str(tmp_path / "msal.cache.json")

    def make():
        persistence = msal_extensions.FilePersistence(path)
        return make_app("public", token_cache=msal_extensions.PersistedTokenCache(persistence))

    make.path = path
    return make


def test_it_is_the_version_that_hooks_search(msal_extensions, tmp_path):
    cache = msal_extensions.PersistedTokenCache(msal_extensions.FilePersistence(str(tmp_path / "c.json")))
    assert "search" in vars(type(cache)) and "find" not in vars(type(cache))
    assert cache._read_hook == "search"


def test_another_instance_sees_a_sign_in_and_serves_it_silently(emu, app_on_file, alice):
    reader, writer = app_on_file(), app_on_file()
    assert reader.get_accounts() == []
    result = sign_in(writer, alice)
    (account,) = reader.get_accounts()  # Only a reload through search() shows it
    assert account["username"] == alice["username"]
    silent = reader.acquire_token_silent(["User.Read"], account)
    assert silent["token_source"] == "cache"
    assert silent["access_token"] == result["access_token"]


def test_sign_out_in_one_instance_is_seen_by_another(emu, app_on_file, alice):
    first, second = app_on_file(), app_on_file()
    sign_in(first, alice)
    (account,) = second.get_accounts()
    first.remove_account(first.get_accounts()[0])
    with open(app_on_file.path) as f:
        saved = json.load(f)
    assert not saved.get("RefreshToken") and not saved.get("Account")
    assert second.get_accounts() == []
    assert second.acquire_token_silent(["User.Read"], account) is None


def test_an_expired_access_token_met_by_a_lookup_is_removed_from_the_file(emu, app_on_file, alice):
    app = app_on_file()
    sign_in(app, alice)
    cache, AT = app.token_cache, msal.TokenCache.CredentialType.ACCESS_TOKEN
    (at,) = cache.find(AT)
    cache.modify(AT, at, {"expires_on": "1000"})
    account = app.get_accounts()[0]
    assert (
        cache.find_access_token(
            client_id=at["client_id"],
            environments=[at["environment"]],
            realm=at["realm"],
            home_account_id=at["home_account_id"],
            scopes=["User.Read"],
        )
        is None
    )
    with open(app_on_file.path) as f:
        assert json.load(f)["AccessToken"] == {}  # Removed through msal-extensions' modify()
    assert app.acquire_token_silent(["User.Read"], account)["token_source"] == "identity_provider"
