"""http_cache: throttling after 429/5xx, replay of failed token requests, cached discovery.
Each test counts the requests that reached the emulator: what did not happen is the proof."""

import email.utils
import pickle
import time

import pytest

import msal
from msal._http import throttle
from support.apps import GRAPH_DEFAULT
from support.wire import token_posts

API_DEFAULT = "api://e89f734f-6b35-485e-a95b-495bd118c9cd/.default"


@pytest.fixture(autouse=True)
def no_faults_left(emu):
    yield
    emu.clear_faults()


def discovery_gets(emu):
    return [r for r in emu.requests if r["path"].endswith("openid-configuration")]


@pytest.mark.parametrize(
    "retry_after,expected_wait",
    [(1, 1), (None, throttle.DEFAULT_THROTTLE), ("soon", throttle.DEFAULT_THROTTLE)],
)
def test_429_stops_identical_requests_until_retry_after_passes(emu, make_app, retry_after, expected_wait):
    emu.inject("status", "token", status=429, retry_after=retry_after, times=1)
    http_cache = {}
    app = make_app("confidential-secret", http_cache=http_cache)
    first = app.acquire_token_for_client([GRAPH_DEFAULT])
    second = app.acquire_token_for_client([GRAPH_DEFAULT])
    assert "error" in first and second["error"] == first["error"]
    assert len(token_posts(emu)) == 1, "the throttled request must not reach the network"
    [(expires, status, _, _)] = [v for k, v in http_cache.items() if k[0] == "throttle"]
    assert status == 429 and expires - time.time() == pytest.approx(expected_wait, abs=2)
    if expected_wait == 1:
        time.sleep(1.2)
        assert "access_token" in app.acquire_token_for_client([GRAPH_DEFAULT])
        assert len(token_posts(emu)) == 2


def test_retry_after_as_an_http_date(emu, make_app):
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    emu.inject("status", "token", status=503, retry_after=when, times=1)
    http_cache = {}
    app = make_app("confidential-secret", http_cache=http_cache)
    app.acquire_token_for_client([GRAPH_DEFAULT])
    [(expires, status, _, _)] = [v for k, v in http_cache.items() if k[0] == "throttle"]
    assert status == 503 and 25 < expires - time.time() <= 31


def test_5xx_with_retry_after_throttles_only_the_identical_request(emu, make_app):
    emu.inject("status", "token", status=500, retry_after=30, times=1)
    app = make_app("confidential-secret")
    assert "error" in app.acquire_token_for_client([GRAPH_DEFAULT])
    assert "error" in app.acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" in app.acquire_token_for_client([API_DEFAULT])
    assert len(token_posts(emu)) == 2


def test_5xx_without_retry_after_is_transient(emu, make_app):
    emu.inject("status", "token", status=503, times=1)
    app = make_app("confidential-secret")
    assert "error" in app.acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" in app.acquire_token_for_client([GRAPH_DEFAULT])
    assert len(token_posts(emu)) == 2


def test_failed_400_token_request_is_replayed_for_a_while(emu, make_app):
    http_cache = {}
    app = make_app("confidential-secret", http_cache=http_cache)
    errors = [app.acquire_token_for_client(["api://no-such-api/.default"]) for _ in range(3)]
    assert len(token_posts(emu)) == 1
    assert all(e["error"] == "invalid_scope" for e in errors)
    assert "access_token" in app.acquire_token_for_client([GRAPH_DEFAULT]), (
        "a different request is not the failed one"
    )


def test_401_is_not_replayed(emu, make_app):
    app = make_app("confidential-secret", client_credential="wrong")
    for _ in range(2):
        assert app.acquire_token_for_client([GRAPH_DEFAULT])["error"] == "invalid_client"
    assert len(token_posts(emu)) == 2


def test_discovery_is_cached_in_a_shared_and_pickled_http_cache(emu, make_app):
    http_cache = {}
    make_app("confidential-secret", http_cache=http_cache).acquire_token_for_client([GRAPH_DEFAULT])
    assert len(discovery_gets(emu)) == 1
    restored = pickle.loads(pickle.dumps(http_cache))
    make_app("confidential-secret", http_cache=restored).acquire_token_for_client([API_DEFAULT])
    assert len(discovery_gets(emu)) == 1, "a new app with the persisted http_cache asks no more"


def test_http_cache_holds_no_tokens_or_secrets(emu, signed_in):
    http_cache = {}
    app, result = signed_in(http_cache=http_cache)
    app.acquire_token_silent(["User.Read"], app.get_accounts()[0], force_refresh=True)
    bad = msal.ConfidentialClientApplication(
        emu.app("web-app")["client_id"],
        client_credential="wrong-secret-value",
        authority=emu.authority(),
        verify=emu.ca_path,
        instance_discovery=False,
        http_cache=http_cache,
    )
    bad.acquire_token_for_client([GRAPH_DEFAULT])
    dumped = pickle.dumps(http_cache)
    for secret in (
        result["access_token"],
        result["refresh_token"],
        result["id_token"],
        emu.client_credential("web-app"),
        "wrong-secret-value",
        "alice@" + emu.tenant_domain,
    ):
        assert secret.encode() not in dumped


class ExplodingCache(dict):
    def __getitem__(self, key):
        raise RuntimeError("storage is down")

    get = __getitem__

    def __setitem__(self, key, value):
        raise RuntimeError("storage is down")


def test_an_http_cache_that_raises_is_survived(emu, make_app):
    app = make_app("confidential-secret", http_cache=ExplodingCache())
    assert "access_token" in app.acquire_token_for_client([GRAPH_DEFAULT])


def test_http_cache_stays_bounded(emu, make_app, monkeypatch):
    monkeypatch.setattr(throttle, "MAX_ENTRIES", 5)
    http_cache = {}
    app = make_app("confidential-secret", http_cache=http_cache)
    for i in range(12):
        app.acquire_token_for_client(["api://unknown-{}/.default".format(i)])
    assert len(token_posts(emu)) == 12
    assert 0 < sum(1 for k in http_cache if k[0] == "throttle") <= 5


def test_the_references_pickle_recipe_survives_a_corrupted_file(emu, make_app, tmp_path):
    path = tmp_path / "app.http_cache"
    path.write_bytes(b"\x80\x04corrupted")
    try:
        with open(path, "rb") as f:
            persisted_http_cache = pickle.load(f)
    except (FileNotFoundError, pickle.UnpicklingError, EOFError):
        persisted_http_cache = {}
    app = make_app("confidential-secret", http_cache=persisted_http_cache)
    assert "access_token" in app.acquire_token_for_client([GRAPH_DEFAULT])
    with open(path, "wb") as f:
        pickle.dump(persisted_http_cache, f)
    assert pickle.loads(path.read_bytes())


def test_retry_after_parsing():
    now = 1_000_000
    assert throttle.parse_retry_after("7", now) == 7
    assert throttle.parse_retry_after("99999999", now) == throttle.MAX_THROTTLE
    assert throttle.parse_retry_after("garbage", now) == throttle.DEFAULT_THROTTLE
    assert throttle.parse_retry_after(None, now) == throttle.DEFAULT_THROTTLE
    assert throttle.parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT", now) == 0


def digests_an_attacker_could_compute(method, url, form):
    """SHA-256 of what a guessed password yields on its own: the password, the form as sent,
    and the request as the earlier key function hashed it (no secret of the process involved)."""
    import hashlib
    import json
    from urllib.parse import urlencode

    body = json.dumps(sorted((k, str(v)) for k, v in form.items() if k != "client_assertion"))
    materials = [
        form["password"],
        urlencode(form),
        json.dumps(sorted(form.items())),
        json.dumps([method, url, [], body], default=str),
    ]
    return {hashlib.sha256(m.encode()).hexdigest() for m in materials}


def test_pickled_http_cache_holds_nothing_to_check_a_password_guess_against(emu, make_app):
    alice = emu.user("alice@" + emu.tenant_domain)
    http_cache = {}
    app = make_app("public", http_cache=http_cache)

    def sign_in(password):
        return app.acquire_token_by_username_password(alice["username"], password, ["User.Read"])

    assert sign_in("Wrong-Passw0rd")["error"] == "invalid_grant"
    emu.inject("status", "token", status=429, retry_after=60, times=1)
    throttled = [sign_in(alice["password"]) for _ in range(2)]
    assert throttled[0]["error"] == throttled[1]["error"]
    assert len(token_posts(emu, "password")) == 2, "the 429 still stops the identical request"
    assert sign_in("Wrong-Passw0rd")["error"] == "invalid_grant"
    assert len(token_posts(emu, "password")) == 3, "a password grant's 400 is not replayed"

    dumped = pickle.dumps(http_cache)
    for request in token_posts(emu, "password"):
        url = "https://{}{}".format(request["host"], request["path"])
        for digest in digests_an_attacker_could_compute("POST", url, request["form"]):
            assert digest.encode() not in dumped and bytes.fromhex(digest) not in dumped
        assert request["form"]["password"].encode() not in dumped
    assert alice["username"].encode() not in dumped


def test_throttling_state_of_an_earlier_process_is_dropped_not_trusted(emu, make_app):
    emu.inject("status", "token", status=429, retry_after=60, times=1)
    http_cache = {}
    make_app("confidential-secret", http_cache=http_cache).acquire_token_for_client([GRAPH_DEFAULT])
    assert [k for k in http_cache if k[0] == "throttle"]
    persisted = pickle.loads(pickle.dumps(http_cache))
    [key] = [k for k in persisted if k[0] == "throttle"]
    persisted[("throttle", "an-earlier-process", key[-1])] = persisted.pop(key)
    persisted[("throttle", "0" * 64)] = (time.time() + 600, 429, "{}", ())  # an older version's
    app = make_app("confidential-secret", http_cache=persisted)
    assert not [k for k in persisted if k[0] == "throttle"]
    assert "access_token" in app.acquire_token_for_client([GRAPH_DEFAULT])
    assert "discovery" in {k[0] for k in persisted}, "discovery still carries over"


def test_expired_entries_are_purged_when_an_entry_is_added(emu, make_app):
    http_cache = {}
    app = make_app("confidential-secret", http_cache=http_cache)
    app.acquire_token_for_client(["api://unknown-1/.default"])
    [key] = [k for k in http_cache if k[0] == "throttle"]
    http_cache[key] = (time.time() - 1,) + http_cache[key][1:]
    app.acquire_token_for_client(["api://unknown-2/.default"])
    assert key not in http_cache and len([k for k in http_cache if k[0] == "throttle"]) == 1
