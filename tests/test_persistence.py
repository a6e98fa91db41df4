"""PersistedTokenCache: file format, encryption at rest, permissions, corruption, merging, and
use as an application's token_cache against the emulator."""

import json
import os
import stat
import subprocess
import sys

import pytest

import msal
from msal.persistence import (
    CacheFileError,
    FernetEncryption,
    KeyringEncryption,
    PersistedTokenCache,
    UntrustedCacheFileError,
)

from support.wire import token_posts

TOKEN_ENDPOINT = "https://login.microsoftonline.com/tenant/oauth2/v2.0/token"


def event(n, **response):
    response.setdefault("access_token", "at-%d" % n)
    response.setdefault("expires_in", 3600)
    return {
        "client_id": "client",
        "scope": ["s%d" % n],
        "token_endpoint": TOKEN_ENDPOINT,
        "response": response,
    }


def plain(path, **kwargs):
    return PersistedTokenCache(path, encryption=None, allow_plaintext=True, **kwargs)


def secrets_of(cache, section="AccessToken"):
    return sorted(e["secret"] for e in cache.find(section))


@pytest.fixture
def key():
    return FernetEncryption.generate_key()


# ---------------------------------------------------------------- construction and format


def test_plaintext_must_be_chosen_explicitly(tmp_path):
    with pytest.raises(ValueError, match="allow_plaintext=True"):
        PersistedTokenCache(tmp_path / "cache.json")
    with pytest.raises(ValueError, match="allow_plaintext=True"):
        PersistedTokenCache(tmp_path / "cache.json", encryption=None)
    assert not (tmp_path / "cache.json").exists()


def test_is_a_serializable_token_cache(tmp_path):
    assert isinstance(plain(tmp_path / "c.json"), msal.SerializableTokenCache)


def test_missing_file_is_an_empty_cache_and_directory_is_created_private(tmp_path):
    path = tmp_path / "new" / "dir" / "cache.json"
    cache = plain(path)
    assert cache.find("AccessToken") == []
    assert not path.exists()
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700


def test_plaintext_file_is_the_unified_schema(tmp_path):
    path = tmp_path / "cache.json"
    plain(path).add(event(1))
    doc = json.loads(path.read_text())
    assert [e["secret"] for e in doc["AccessToken"].values()] == ["at-1"]
    other = msal.SerializableTokenCache()
    other.deserialize(path.read_text())
    assert secrets_of(other) == ["at-1"]


def test_encrypted_file_holds_no_plaintext_and_round_trips(tmp_path, key):
    path = tmp_path / "cache.bin"
    PersistedTokenCache(path, encryption=FernetEncryption(key)).add(event(1))
    raw = path.read_bytes()
    assert b"at-1" not in raw and b"AccessToken" not in raw
    assert secrets_of(PersistedTokenCache(path, encryption=FernetEncryption(key))) == ["at-1"]


def test_files_are_created_0600(tmp_path, key):
    path = tmp_path / "cache.bin"
    PersistedTokenCache(path, encryption=FernetEncryption(key)).add(event(1))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(str(path) + ".lock").st_mode) == 0o600


def test_loose_permissions_are_repaired(tmp_path, caplog):
    path = tmp_path / "cache.json"
    plain(path).add(event(1))
    os.chmod(path, 0o644)
    assert secrets_of(plain(path)) == ["at-1"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "readable by others" in caplog.text


# ---------------------------------------------------------------- files planted by someone else

posix_only = pytest.mark.skipif(os.name != "posix", reason="symbolic links and uids are POSIX")
as_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving a file to another user needs root"
)
OTHER_UID = 12345


@posix_only
def test_symlink_at_the_cache_path_is_refused_and_its_target_untouched(tmp_path):
    target = tmp_path / "victim.json"
    plain(target).add(event(1))
    os.chmod(target, 0o644)
    before = target.read_bytes()
    path = tmp_path / "cache.json"
    path.symlink_to(target)
    with pytest.raises(UntrustedCacheFileError, match="symbolic link") as info:
        plain(path)
    assert isinstance(info.value, CacheFileError) and isinstance(info.value, ValueError)
    assert target.read_bytes() == before and stat.S_IMODE(os.stat(target).st_mode) == 0o644


@posix_only
def test_symlink_swapped_in_later_is_noticed_and_refused(tmp_path):
    path, target = tmp_path / "cache.json", tmp_path / "planted.json"
    cache = plain(path)
    cache.add(event(1))
    target.write_text('{"AccessToken": {}}')
    os.replace(tmp_path / "cache.json", tmp_path / "old.json")
    path.symlink_to(target)
    with pytest.raises(UntrustedCacheFileError):
        cache.find("AccessToken")
    with pytest.raises(UntrustedCacheFileError):
        cache.add(event(2))
    assert target.read_text() == '{"AccessToken": {}}' and path.is_symlink()


@posix_only
def test_symlink_at_the_lock_path_is_refused_and_nothing_created(tmp_path):
    path, target = tmp_path / "cache.json", tmp_path / "chosen-by-someone-else"
    (tmp_path / "cache.json.lock").symlink_to(target)
    cache = plain(path)
    with pytest.raises(UntrustedCacheFileError, match="symbolic link"):
        cache.add(event(1))
    assert not target.exists() and not path.exists()


@as_root
def test_cache_file_owned_by_another_user_is_refused(tmp_path):
    path = tmp_path / "cache.json"
    plain(path).add(event(1))
    planted = path.read_bytes()
    os.chown(path, OTHER_UID, OTHER_UID)
    with pytest.raises(UntrustedCacheFileError, match="owned by uid {}".format(OTHER_UID)):
        plain(path)
    assert path.read_bytes() == planted and os.stat(path).st_uid == OTHER_UID


@as_root
def test_lock_file_owned_by_another_user_is_refused(tmp_path):
    path = tmp_path / "cache.json"
    lock = tmp_path / "cache.json.lock"
    lock.touch()
    os.chown(lock, OTHER_UID, OTHER_UID)
    with pytest.raises(UntrustedCacheFileError, match="owned by uid"):
        plain(path).add(event(1))
    assert not path.exists()


@posix_only
def test_a_fifo_at_the_cache_path_is_refused_without_blocking(tmp_path):
    path = tmp_path / "cache.json"
    os.mkfifo(path)
    with pytest.raises(UntrustedCacheFileError, match="not a regular file"):
        plain(path)


@posix_only
def test_replacing_the_file_keeps_it_private_and_ours_whatever_the_umask(tmp_path):
    path = tmp_path / "cache.json"
    previous = os.umask(0)
    try:
        cache = plain(path)
        for n in range(3):
            cache.add(event(n))
    finally:
        os.umask(previous)
    for name in (path, str(path) + ".lock"):
        st = os.lstat(name)
        assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
        assert st.st_uid == os.geteuid()


@as_root
def test_other_users_files_next_to_the_cache_are_not_cleaned_up(tmp_path):
    path = tmp_path / "cache.json"
    theirs = tmp_path / ".cache.json.theirs.tmp"
    theirs.write_text("someone else's")
    os.chown(theirs, OTHER_UID, OTHER_UID)
    plain(path).add(event(1))
    assert theirs.read_text() == "someone else's"


# ---------------------------------------------------------------- corruption is never wiped


@pytest.mark.parametrize(
    "content", [b"{not json", b"[1, 2]", b'{"AccessToken": 3}', b"\xff\xfe\x00garbage", b"[" * 100000]
)
def test_corrupt_file_is_reported_with_its_name_and_left_alone(tmp_path, content):
    path = tmp_path / "cache.json"
    path.write_bytes(content)
    with pytest.raises(CacheFileError) as info:
        plain(path)
    assert isinstance(info.value, ValueError)
    assert str(path) in str(info.value) and info.value.path == str(path)
    assert path.read_bytes() == content


def test_corruption_appearing_later_blocks_writes_without_wiping(tmp_path):
    path = tmp_path / "cache.json"
    cache = plain(path)
    cache.add(event(1))
    path.write_bytes(b"{torn")
    with pytest.raises(CacheFileError):
        cache.add(event(2))
    with pytest.raises(CacheFileError):
        cache.find("AccessToken")
    assert path.read_bytes() == b"{torn"


def test_wrong_key_is_reported_not_overwritten(tmp_path, key):
    path = tmp_path / "cache.bin"
    PersistedTokenCache(path, encryption=FernetEncryption(key)).add(event(1))
    before = path.read_bytes()
    with pytest.raises(CacheFileError, match="cannot be decrypted"):
        PersistedTokenCache(path, encryption=FernetEncryption(FernetEncryption.generate_key()))
    assert path.read_bytes() == before


def test_plaintext_file_read_with_a_key_is_an_error(tmp_path, key):
    path = tmp_path / "cache.json"
    plain(path).add(event(1))
    with pytest.raises(CacheFileError):
        PersistedTokenCache(path, encryption=FernetEncryption(key))


# ---------------------------------------------------------------- sharing between instances


def test_reads_see_another_instances_writes(tmp_path, key):
    path = tmp_path / "cache.bin"
    a = PersistedTokenCache(path, encryption=FernetEncryption(key))
    b = PersistedTokenCache(path, encryption=FernetEncryption(key))
    assert secrets_of(b) == []
    a.add(event(1))
    assert secrets_of(b) == ["at-1"]


# The arguments of each public method that only reads. A new read method fails the test below
# until it is listed here, and then it must pick up the file's changes too.
READ_CALLS = {
    "search": lambda c: list(c.search("AccessToken")),
    "find": lambda c: c.find("AccessToken"),
    "find_access_token": lambda c: c.find_access_token(
        client_id="client",
        environments=["login.microsoftonline.com"],
        realm="tenant",
        home_account_id=None,
        scopes=["s2"],
    ),
    "find_refresh_tokens": lambda c: c.find_refresh_tokens(
        home_account_id="h", environments=["login.microsoftonline.com"], client_id="client"
    ),
    "find_accounts": lambda c: c.find_accounts(environments=["login.microsoftonline.com"]),
    "find_id_token": lambda c: c.find_id_token(
        home_account_id="h", environments=["login.microsoftonline.com"], client_id="client"
    ),
    "find_app_metadata": lambda c: c.find_app_metadata(
        client_id="client", environments=["login.microsoftonline.com"]
    ),
    "serialize": lambda c: c.serialize(),
}
WRITES = {
    "add",
    "modify",
    "deserialize",
    "remove_account_data",
    "remove_rt",
    "update_rt",
    "remove_at",
    "remove_idt",
    "remove_account",
}


def test_every_public_read_method_picks_up_another_instances_writes(tmp_path):
    public = {
        name
        for name in dir(msal.SerializableTokenCache)
        if not name.startswith("_")
        and callable(getattr(msal.SerializableTokenCache, name))
        and not isinstance(getattr(msal.SerializableTokenCache, name), type)
    }
    assert public - WRITES == set(READ_CALLS), "a read method was added or removed"
    for name, call in READ_CALLS.items():
        reader, writer = plain(tmp_path / (name + ".json")), plain(tmp_path / (name + ".json"))
        call(reader)
        writer.add(event(2))
        call(reader)
        in_memory = msal.SerializableTokenCache.serialize(reader)  # (without a reload)
        assert json.loads(in_memory) == json.loads(writer.serialize()), name


def test_writes_merge_instead_of_overwriting(tmp_path):
    path = tmp_path / "cache.json"
    a, b = plain(path), plain(path)
    a.add(event(1))
    b.add(event(2))  # b never read a's token, yet must not lose it
    a.add(event(3))
    assert secrets_of(plain(path)) == ["at-1", "at-2", "at-3"]


def test_removal_in_one_instance_is_merged(tmp_path):
    path = tmp_path / "cache.json"
    a, b = plain(path), plain(path)
    a.add(event(1))
    a.add(event(2))
    entry = b.find("AccessToken", query={"secret": "at-1"})[0]
    a.add(event(3))
    b.modify("AccessToken", entry)  # remove at-1 while keeping a's newer at-3
    assert secrets_of(plain(path)) == ["at-2", "at-3"]


def test_modify_is_persisted(tmp_path):
    path = tmp_path / "cache.json"
    a = plain(path)
    a.add(event(1, refresh_token="rt-old"))
    a.update_rt(a.find("RefreshToken")[0], "rt-new")
    assert secrets_of(plain(path), "RefreshToken") == ["rt-new"]


def test_deserialize_replaces_the_file(tmp_path):
    path = tmp_path / "cache.json"
    a = plain(path)
    a.add(event(1))
    source = msal.SerializableTokenCache()
    source.add(event(7))
    a.deserialize(source.serialize())
    assert secrets_of(plain(path)) == ["at-7"]
    assert a.has_state_changed is False


def test_check_interval_limits_stat_calls(tmp_path, monkeypatch):
    path = tmp_path / "cache.json"
    writer, reader = plain(path), plain(path, check_interval=3600)
    writer.add(event(1))
    calls = []
    for name in ("stat", "lstat"):
        real = getattr(os, name)
        monkeypatch.setattr(os, name, lambda *a, real=real, **k: calls.append(a) or real(*a, **k))
    for _ in range(5):
        reader.find("AccessToken")
    assert len(calls) <= 1
    reader.add(event(2))  # writes always merge with the latest file
    assert secrets_of(reader) == ["at-1", "at-2"]


def test_hit_path_costs_one_stat(tmp_path, monkeypatch):
    path = tmp_path / "cache.json"
    cache = plain(path)
    cache.add(event(1))
    calls = []
    for name in ("stat", "lstat"):
        real = getattr(os, name)
        monkeypatch.setattr(os, name, lambda *a, real=real, **k: calls.append(a) or real(*a, **k))
    cache.find_access_token(
        client_id="client",
        environments=["login.microsoftonline.com"],
        realm="tenant",
        home_account_id=None,
        scopes=["s1"],
    )
    assert len(calls) == 1


def test_stale_temporary_files_are_cleaned_on_the_next_save(tmp_path):
    path = tmp_path / "cache.json"
    cache = plain(path)
    stale = tmp_path / ".cache.json.abc123.tmp"
    stale.write_text("left by a writer that died")
    cache.add(event(1))
    assert not stale.exists()
    assert sorted(os.listdir(tmp_path)) == ["cache.json", "cache.json.lock"]


def test_repr_names_the_file_but_not_the_key(tmp_path, key):
    cache = PersistedTokenCache(tmp_path / "c.bin", encryption=FernetEncryption(key))
    assert "c.bin" in repr(cache) and key.decode() not in repr(cache)


# ---------------------------------------------------------------- keyring (optional extra)


@pytest.fixture
def use_keyring(monkeypatch):
    """Makes a backend the process's keyring for one test. It replaces keyring's current
    backend without asking for it: the first get_keyring() detects the installed backends,
    which runs ldconfig and a compiler (the macOS backend looks for its libraries), and this
    test starts no process."""
    pytest.importorskip("keyring")
    import keyring.core

    return lambda backend: monkeypatch.setattr(keyring.core, "_keyring_backend", backend)


def test_keyring_encryption_keeps_its_key_in_the_keyring(tmp_path, use_keyring):
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 1

        def __init__(self):
            super().__init__()
            self.items = {}

        def get_password(self, service, username):
            return self.items.get((service, username))

        def set_password(self, service, username, password):
            self.items[(service, username)] = password

        def delete_password(self, service, username):
            self.items.pop((service, username), None)

    backend = MemoryKeyring()
    use_keyring(backend)
    path = tmp_path / "cache.bin"
    PersistedTokenCache(path, encryption=KeyringEncryption("msal-test")).add(event(1))
    assert list(backend.items) == [("msal-test", "encryption-key")]
    assert b"at-1" not in path.read_bytes()
    assert secrets_of(PersistedTokenCache(path, encryption=KeyringEncryption("msal-test"))) == ["at-1"]


@pytest.fixture
def use_file_keyring(monkeypatch, tmp_path, use_keyring):
    """The test process and its children share one keyring file (tests/file_keyring.py)."""
    import file_keyring

    monkeypatch.setenv("MSAL_TEST_KEYRING_FILE", str(tmp_path / "keyring.json"))
    use_keyring(file_keyring.FileKeyring())


@pytest.mark.skipif(sys.platform == "win32", reason="the worker processes are POSIX-tested")
@pytest.mark.parametrize("processes", [2, 3])
def test_processes_starting_together_agree_on_one_keyring_key(tmp_path, use_file_keyring, processes):
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    tests_dir = os.path.dirname(os.path.abspath(__file__))
    env = dict(
        os.environ,
        PYTHON_KEYRING_BACKEND="file_keyring.FileKeyring",
        MSAL_TEST_KEYRING_BARRIER=str(barrier),
        MSAL_TEST_KEYRING_PARTIES=str(processes),
        PYTHONPATH=os.pathsep.join([tests_dir, os.environ.get("PYTHONPATH", "")]),
    )
    path = tmp_path / "cache.bin"
    workers = [
        subprocess.Popen(
            [sys.executable, os.path.join(tests_dir, "file_keyring.py"), "add", str(path), str(n)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(processes)
    ]
    errors = [w.communicate(timeout=120)[1] for w in workers]
    assert [w.returncode for w in workers] == [0] * processes, errors
    fresh = PersistedTokenCache(path, encryption=KeyringEncryption("msal-race-test"))
    assert secrets_of(fresh) == ["at-%d" % n for n in range(processes)]


def test_a_file_encrypted_with_another_key_names_both_key_ids(tmp_path, key):
    path = tmp_path / "cache.bin"
    first = FernetEncryption(key)
    PersistedTokenCache(path, encryption=first).add(event(1))
    other = FernetEncryption(FernetEncryption.generate_key())
    with pytest.raises(
        CacheFileError, match="key id {}, this key's id is {}".format(first.key_id, other.key_id)
    ):
        PersistedTokenCache(path, encryption=other)
    assert key.decode() not in "{} {}".format(first.key_id, other.key_id)


def test_a_missing_keyring_key_is_reported_not_replaced(tmp_path, use_file_keyring):
    import keyring

    path = tmp_path / "cache.bin"
    PersistedTokenCache(path, encryption=KeyringEncryption("lost")).add(event(1))
    before = path.read_bytes()
    keyring.delete_password("lost", "encryption-key")
    with pytest.raises(CacheFileError, match="keyring holds no key under service 'lost'"):
        PersistedTokenCache(path, encryption=KeyringEncryption("lost"))
    assert keyring.get_password("lost", "encryption-key") is None
    assert path.read_bytes() == before


def test_files_of_the_first_format_are_still_read_and_then_rewritten_with_a_key_id(tmp_path, key):
    from cryptography.fernet import Fernet

    path = tmp_path / "cache.bin"
    staging = msal.SerializableTokenCache()
    staging.add(event(1))
    path.write_bytes(Fernet(key).encrypt(staging.serialize().encode()))  # a bare Fernet token
    cache = PersistedTokenCache(path, encryption=FernetEncryption(key))
    assert secrets_of(cache) == ["at-1"]
    cache.add(event(2))
    assert path.read_bytes().startswith(
        b"msal-token-cache fernet key-id=" + FernetEncryption(key).key_id.encode() + b"\n"
    )
    assert secrets_of(PersistedTokenCache(path, encryption=FernetEncryption(key))) == ["at-1", "at-2"]


# ---------------------------------------------------------------- as an application's cache


def test_two_applications_share_sign_in_through_the_file(tmp_path, key, emu, make_app, signed_in):
    path = tmp_path / "cache.bin"
    first = PersistedTokenCache(path, encryption=FernetEncryption(key))
    signed_in("web-app", token_cache=first)

    second_app = make_app("web-app", token_cache=PersistedTokenCache(path, encryption=FernetEncryption(key)))
    accounts = second_app.get_accounts()
    assert [a["username"] for a in accounts] == ["alice@" + emu.tenant_domain]
    emu.clear_requests()
    result = second_app.acquire_token_silent(["User.Read"], accounts[0])
    assert result["token_source"] == "cache"
    assert token_posts(emu) == []


def test_refresh_in_one_process_is_seen_by_the_other(tmp_path, key, emu, make_app, signed_in):
    path = tmp_path / "cache.bin"
    app1, _ = signed_in("web-app", token_cache=PersistedTokenCache(path, encryption=FernetEncryption(key)))
    app2 = make_app("web-app", token_cache=PersistedTokenCache(path, encryption=FernetEncryption(key)))
    account = app1.get_accounts()[0]
    refreshed = app1.acquire_token_silent(["User.Read"], account, force_refresh=True)
    assert refreshed["token_source"] == "identity_provider"
    emu.clear_requests()
    again = app2.acquire_token_silent(["User.Read"], app2.get_accounts()[0])
    assert again["access_token"] == refreshed["access_token"]
    assert token_posts(emu) == []


def test_sign_out_in_one_application_reaches_the_other(tmp_path, key, make_app, signed_in):
    path = tmp_path / "cache.bin"
    app1, _ = signed_in("web-app", token_cache=PersistedTokenCache(path, encryption=FernetEncryption(key)))
    app2 = make_app("web-app", token_cache=PersistedTokenCache(path, encryption=FernetEncryption(key)))
    assert len(app2.get_accounts()) == 1
    app1.remove_account(app1.get_accounts()[0])
    assert app2.get_accounts() == []
    assert PersistedTokenCache(path, encryption=FernetEncryption(key)).find("RefreshToken") == []
