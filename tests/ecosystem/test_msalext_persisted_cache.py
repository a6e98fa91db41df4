"""msal-extensions' PersistedTokenCache (a subclass of our SerializableTokenCache that hooks only
modify() and find()) under this msal's applications: every write reaches the file, every
lookup sees what another instance or process wrote."""

import json
import subprocess
import sys
import textwrap
import threading

import pytest

import msal
from ecosystem_helpers import sign_in
from support.wire import token_posts

msal_extensions = pytest.importorskip("msal_extensions")
from msal_extensions.cache_lock import CrossPlatLock  # noqa: E402

CT = msal.TokenCache.CredentialType


@pytest.fixture
def cache_path(tmp_path):
    return str(tmp_path / "cache" / "msal.cache.json")


@pytest.fixture
def app_on_file(emu, make_app, cache_path):
    """An application whose cache is a msal-extensions file cache; each call is a new instance,
    as in another process."""

    def make(name="public"):
        cache = msal_extensions.PersistedTokenCache(msal_extensions.FilePersistence(cache_path))
        return make_app(name, token_cache=cache)

    return make


def read_file(path):
    with open(path) as f:
        return json.load(f)


def test_a_sign_in_is_written_to_the_file(app_on_file, alice, cache_path):
    result = sign_in(app_on_file(), alice)
    saved = read_file(cache_path)
    assert [at["secret"] for at in saved["AccessToken"].values()] == [result["access_token"]]
    assert [rt["secret"] for rt in saved["RefreshToken"].values()] == [result["refresh_token"]]
    (account,) = saved["Account"].values()
    assert account["username"] == alice["username"]
    assert set(saved) == {"AccessToken", "Account", "IdToken", "RefreshToken", "AppMetadata"}


def test_another_instance_sees_new_tokens_on_its_next_lookup(emu, app_on_file, alice):
    reader, writer = app_on_file(), app_on_file()
    assert reader.get_accounts() == []
    result = sign_in(writer, alice)
    emu.clear_requests()
    (account,) = reader.get_accounts()
    silent = reader.acquire_token_silent(["User.Read"], account)
    assert silent["access_token"] == result["access_token"]
    assert silent["token_source"] == "cache" and token_posts(emu) == []


def test_refresh_and_sign_out_are_written_through(emu, app_on_file, alice, cache_path):
    app = app_on_file()
    first = sign_in(app, alice)
    (account,) = app.get_accounts()
    for at in app.token_cache.find(CT.ACCESS_TOKEN):  # expired, in the file too
        app.token_cache.modify(CT.ACCESS_TOKEN, at, {"expires_on": "0"})
    emu.clear_requests()
    refreshed = app.acquire_token_silent(["User.Read"], account)
    assert len(token_posts(emu, "refresh_token")) == 1
    saved = read_file(cache_path)
    assert [at["secret"] for at in saved["AccessToken"].values()] == [refreshed["access_token"]]
    assert refreshed["access_token"] != first["access_token"]
    other = app_on_file()
    app.remove_account(account)
    assert other.get_accounts() == []
    saved = read_file(cache_path)
    assert saved["Account"] == {} and saved["RefreshToken"] == {} and saved["AccessToken"] == {}


def test_a_separate_process_signs_in_silently_from_the_file(emu, app_on_file, alice, cache_path):
    result = sign_in(app_on_file(), alice)
    emu.clear_requests()
    script = textwrap.dedent("""
        import json, sys, msal, msal_extensions
        path, client_id, authority, ca = sys.argv[1:]
        cache = msal_extensions.PersistedTokenCache(msal_extensions.FilePersistence(path))
        app = msal.PublicClientApplication(client_id, authority=authority, verify=ca,
                                           instance_discovery=False, token_cache=cache)
        account, = app.get_accounts()
        result = app.acquire_token_silent(["User.Read"], account)
        print(json.dumps([account["username"], result["token_source"], result["access_token"]]))
    """)
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            cache_path,
            emu.app("public")["client_id"],
            emu.authority(),
            emu.ca_path,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(out.stdout) == [alice["username"], "cache", result["access_token"]]
    assert token_posts(emu) == []


def test_a_sign_in_waiting_for_the_file_lock_leaves_the_cache_readable(app_on_file, alice, cache_path):
    """add() waits for msal-extensions' file lock (once per entry, through modify()) without
    holding the cache's own lock: the writer holding the file lock can still read the cache,
    as msal-extensions' modify() does, instead of both waiting for each other."""
    app = app_on_file()
    outcome = []

    def signing_in():
        try:
            outcome.append(sign_in(app, alice))
        except Exception as error:  # e.g. the file lock timing out
            outcome.append(error)

    signer = threading.Thread(target=signing_in)
    with CrossPlatLock(cache_path + ".lockfile"):  # another writer
        signer.start()
        signer.join(1)  # time to reach the file lock
        assert app.token_cache.find(CT.ACCOUNT) == []
    signer.join(60)
    (result,) = outcome
    assert isinstance(result, dict), result
    assert app_on_file().get_accounts()[0]["username"] == alice["username"]
