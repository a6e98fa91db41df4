"""A web app's request cycle, as in the Flask samples: per web request a new cache loaded from
the session, a new application over it, get_accounts() and a silent call. A cache hit makes no
request at all; discovery happens only when a request must go out, once per process and
authority, and a host that must be validated is validated before its first cache lookup."""

import uuid

import pytest

import msal
from msal._entra.discovery import SHARED, Answer, Endpoints, SharedAnswers, shared_answers

from support.apps import GRAPH_DEFAULT, build_app, sign_in


def authorities(emu):
    return {
        "emulator host": dict(authority=emu.authority()),
        "public cloud": dict(
            authority="https://login.microsoftonline.com/" + emu.tenant_id,
            http_client=emu.http_client(),
            instance_discovery=None,
        ),
    }


@pytest.fixture(params=["emulator host", "public cloud"])
def session(request, emu):
    """The signed-in user's token cache, serialized as a web app keeps it in its session, and
    the options its applications are built with."""
    options = authorities(emu)[request.param]
    cache = msal.SerializableTokenCache()
    _, result = sign_in(emu, "web-app", token_cache=cache, **options)
    assert "access_token" in result, result
    shared_answers(options.get("http_client")).clear()  # The web requests below start as a new process would
    emu.clear_requests()
    return cache.serialize(), options


def web_request(emu, session_state, options, **silent_options):
    """One web request: returns the silent result and whether the cache changed."""
    cache = msal.SerializableTokenCache()
    cache.deserialize(session_state)
    app = build_app(emu, "web-app", token_cache=cache, **options)
    [account] = app.get_accounts()
    result = app.acquire_token_silent(["User.Read"], account, **silent_options)
    if cache.has_state_changed:
        cache.serialize()
    return result


def test_a_cache_hit_makes_no_request(emu, session):
    state, options = session
    for _ in range(3):
        result = web_request(emu, state, options)
        assert result["token_source"] == "cache"
    assert list(emu.requests) == []


def test_requests_that_go_out_share_one_discovery_per_process(emu, session):
    state, options = session
    for _ in range(3):
        result = web_request(emu, state, options, force_refresh=True)
        assert result["token_source"] == "identity_provider"
    paths = [r["path"] for r in emu.requests]
    assert len([p for p in paths if p.endswith("openid-configuration")]) == 1, paths
    assert len([p for p in paths if p.endswith("/token")]) == 3, paths


def test_an_unknown_host_is_validated_before_its_first_cache_lookup(emu):
    app = msal.PublicClientApplication(
        "cid", authority="https://login.unknown-cloud.example/" + emu.tenant_id, http_client=emu.http_client()
    )
    with pytest.raises(ValueError, match="invalid_instance"):
        app.acquire_token_silent(["User.Read"], None)


class UnknownHostServedByTheEmulator(object):
    """An HTTP client reaching the emulator under a host that instance discovery refuses (the
    emulator's answers name that host too)."""

    HOST = "https://login.unknown-cloud.example"

    def __init__(self, emu):
        self._client, self._base = emu.http_client(), emu.base_url

    def get(self, url, **kwargs):
        return self._renamed(self._client.get(url.replace(self.HOST, self._base), **kwargs))

    def post(self, url, **kwargs):
        return self._renamed(self._client.post(url.replace(self.HOST, self._base), **kwargs))

    def _renamed(self, resp):
        resp._content = resp.content.replace(self._base.encode(), self.HOST.encode())
        return resp


def test_an_unchecked_answer_does_not_spare_another_app_the_check(emu):
    http = UnknownHostServedByTheEmulator(emu)
    authority = http.HOST + "/" + emu.tenant_id
    trusting = msal.PublicClientApplication(
        "cid", authority=authority, http_client=http, instance_discovery=False
    )
    assert trusting.get_authorization_request_url(["User.Read"])  # discovered, unchecked
    checking = msal.PublicClientApplication("cid", authority=authority, http_client=http)
    with pytest.raises(ValueError, match="invalid_instance"):
        checking.get_authorization_request_url(["User.Read"])


def test_the_shared_memo_is_bounded_and_expires():
    memo = SharedAnswers(capacity=2, ttl=100)
    answer = Answer(Endpoints("https://a/authorize", "https://a/token"), None, True)
    for n in range(3):
        memo.put("https://host/tenant%d" % n, answer, now=0)
    assert memo.get("https://host/tenant0", now=1) is None  # the oldest made room
    assert memo.get("https://host/tenant2", now=99) == answer
    assert memo.get("https://host/tenant2", now=100) is None  # expired


def test_the_shared_memo_holds_no_secret(emu, make_app):
    app = make_app("confidential-secret")
    assert "access_token" in app.acquire_token_for_client(["https://graph.microsoft.com/.default"])
    answer = SHARED.get(emu.authority(), now=0)
    assert answer is not None and answer.endpoints.token_endpoint.endswith("/oauth2/v2.0/token")
    secret = emu.client_credential("confidential-secret")
    assert secret not in repr(answer)


class FrozenTime(object):
    """Stands for the ``time`` module in msal.application: the clock an application gives its
    services. It lags the real one by a little, so that tokens stay valid for the emulator."""

    def __init__(self, at):
        self.at = at

    def time(self):
        return self.at


def test_one_clock_for_throttling_discovery_client_assertions_and_the_cache(emu, make_app, monkeypatch):
    import base64
    import json
    import time

    import msal.application

    clock = FrozenTime(float(int(time.time()) - 90))
    monkeypatch.setattr(msal.application, "time", clock)
    http_cache = {}
    app = make_app("confidential-cert", http_cache=http_cache)
    assert "access_token" in app.acquire_token_for_client(["https://graph.microsoft.com/.default"])
    [entry] = app.token_cache.find(msal.TokenCache.CredentialType.ACCESS_TOKEN)
    assert entry["cached_at"] == str(int(clock.at))
    [post] = [r for r in emu.requests if r["method"] == "POST"]
    payload = post["form"]["client_assertion"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["iat"] == int(clock.at)
    [(expires, _)] = [v for k, v in http_cache.items() if k[0] == "discovery"]
    assert expires == clock.at + 24 * 3600
    assert SHARED.get(emu.authority(), now=clock.at + 24 * 3600 - 1) is not None
    assert SHARED.get(emu.authority(), now=clock.at + 24 * 3600) is None
    emu.inject("status", "token", status=429, retry_after="30", times=1)
    claims = json.dumps({"access_token": {"nbf": {"essential": True, "value": "1"}}})
    assert app.acquire_token_for_client(
        ["https://graph.microsoft.com/.default"], claims_challenge=claims
    ).get("error")
    [throttled] = [v for v in http_cache.values() if len(v) == 4 and v[1] == 429]
    assert throttled[0] == clock.at + 30


# ---- the scope of the shared memo: the HTTP client an application is given


def discoveries(emu):
    return len([r for r in emu.requests if r["path"].endswith("openid-configuration")])


def client_credentials(emu, **options):
    app = build_app(emu, "confidential-secret", **options)
    result = app.acquire_token_for_client(["https://graph.microsoft.com/.default"])
    assert "access_token" in result, result


def test_apps_given_different_http_clients_each_discover_through_their_own(emu):
    client_credentials(emu, http_client=emu.http_client())
    client_credentials(emu, http_client=emu.http_client())
    assert discoveries(emu) == 2


def test_apps_given_the_same_http_client_share_its_discovery(emu):
    http = emu.http_client()
    client_credentials(emu, http_client=http)
    client_credentials(emu, http_client=http)
    assert discoveries(emu) == 1


def test_apps_given_no_http_client_share_the_process_discovery(emu):
    client_credentials(emu)
    client_credentials(emu)
    assert discoveries(emu) == 1
    client_credentials(emu, http_client=emu.http_client())  # a caller's client asks for itself
    assert discoveries(emu) == 2


class SlottedClient(object):
    """A caller's HTTP client that cannot be weakly referenced."""

    __slots__ = ("_client",)

    def __init__(self, emu):
        self._client = emu.http_client()

    def get(self, url, **kwargs):
        return self._client.get(url, **kwargs)

    def post(self, url, **kwargs):
        return self._client.post(url, **kwargs)


def test_an_http_client_without_weak_references_shares_with_no_app(emu):
    http = SlottedClient(emu)
    client_credentials(emu, http_client=http)
    client_credentials(emu, http_client=http)
    assert discoveries(emu) == 2


def test_the_shared_memo_does_not_keep_a_client_alive(emu):
    import gc
    import weakref

    http = emu.http_client()
    client_credentials(emu, http_client=http)
    gone = weakref.ref(http)
    del http
    gc.collect()
    assert gone() is None


def test_applications_over_one_cache_each_find_their_own_tokens(emu):
    """One application per tenant and client over one shared cache, as a multi-tenant service
    keeps them: what their processes share (scope sets, host aliases, interned tenant names and
    client ids) and reading a cached token in place serve each its own token only, and a
    caller changing a result changes nothing in the cache."""
    cache = msal.SerializableTokenCache()
    tenants = [str(uuid.UUID(int=n)) for n in (1, 2)]
    clients = ["client-a", "client-b"]
    for tenant in tenants:
        for client in clients:
            cache.add(
                {
                    "client_id": client,
                    "scope": [GRAPH_DEFAULT],
                    "token_endpoint": "https://login.microsoftonline.com/%s/oauth2/v2.0/token" % tenant,
                    "grant_type": "client_credentials",
                    "response": {"access_token": "at-%s-%s" % (client, tenant), "expires_in": 3600},
                    "data": {},
                    "params": {},
                }
            )
    emu.clear_requests()
    for tenant in tenants:
        for client in clients:
            app = msal.ConfidentialClientApplication(
                client,
                client_credential="secret-of-" + client,
                authority="https://login.microsoftonline.com/" + tenant,
                http_client=emu.http_client(),
                token_cache=cache,
            )
            for _ in range(2):
                result = app.acquire_token_for_client([GRAPH_DEFAULT])
                assert result["access_token"] == "at-%s-%s" % (client, tenant)
                result["access_token"] = "changed by the caller"
    assert list(emu.requests) == []
