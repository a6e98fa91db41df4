"""Security properties, each checked against the real thing: CSRF state, nonce, PKCE on the wire,
ID token claims, replayed responses, the loopback listener, https-only authorities, unique
assertion ids, private cache files, and secrets kept out of reprs, messages and logs."""

import base64
import hashlib
import json
import logging
import os
import stat
import threading
import time
from urllib.parse import parse_qsl, urlparse

import jwt
import pytest
import requests

import msal
from msal.exceptions import IdTokenError
from msal.oauth2cli import oidc
from msal.oauth2cli.authcode import LoopbackListener
from msal.persistence import CacheFileError, FernetEncryption, PersistedTokenCache

from support.apps import GRAPH_DEFAULT
from support.wire import query_of, token_posts
from leak_guard import made_by_the_library, record_text, secrets_in

REDIRECT_URI = "https://localhost/callback"


@pytest.fixture
def flow_and_response(emu, make_app):
    """A web app, a started flow, and the redirect the emulator sent back after alice signed in."""
    app = make_app("web-app")
    alice = emu.user("alice@" + emu.tenant_domain)
    flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri=REDIRECT_URI)
    response = query_of(emu.sign_in(flow["auth_uri"], alice["username"], alice["password"]))
    return app, flow, response


# ---------------------------------------------------------------- auth code flow


def test_state_mismatch_is_refused_before_any_request(emu, flow_and_response):
    app, flow, response = flow_and_response
    emu.clear_requests()
    with pytest.raises(ValueError, match="state"):
        app.acquire_token_by_auth_code_flow(flow, dict(response, state="forged"))
    with pytest.raises(ValueError, match="state"):
        app.acquire_token_by_auth_code_flow(flow, {k: v for k, v in response.items() if k != "state"})
    assert token_posts(emu) == []


def test_nonce_mismatch_is_refused_and_nothing_is_cached(emu, flow_and_response):
    app, flow, response = flow_and_response
    tampered = dict(flow, nonce="a-nonce-this-client-never-sent")
    with pytest.raises(IdTokenError, match="nonce"):
        app.acquire_token_by_auth_code_flow(tampered, response)
    assert len(token_posts(emu, "authorization_code")) == 1  # the server answered; we refused
    assert app.get_accounts() == []


def test_replayed_auth_response_is_refused(emu, flow_and_response):
    app, flow, response = flow_and_response
    assert "access_token" in app.acquire_token_by_auth_code_flow(flow, response)
    emu.clear_requests()
    with pytest.raises(ValueError, match="already been used"):
        app.acquire_token_by_auth_code_flow(flow, response)
    assert token_posts(emu) == []


def test_pkce_s256_on_the_wire(emu, flow_and_response):
    app, flow, response = flow_and_response
    app.acquire_token_by_auth_code_flow(flow, response)
    authorize = [
        r
        for r in emu.requests
        if r["path"].endswith("/authorize") and r["query"].get("state") == flow["state"]
    ][0]["query"]
    verifier = token_posts(emu, "authorization_code")[0]["form"]["code_verifier"]
    expected = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    assert authorize["code_challenge_method"] == "S256"
    assert authorize["code_challenge"] == expected.decode()
    assert 43 <= len(verifier) <= 128  # RFC 7636 §4.1
    assert verifier not in flow["auth_uri"]


def test_authorize_url_carries_the_nonce_hash_not_the_nonce(flow_and_response):
    _, flow, _ = flow_and_response
    query = dict(parse_qsl(urlparse(flow["auth_uri"]).query))
    assert query["nonce"] == hashlib.sha256(flow["nonce"].encode()).hexdigest()
    assert flow["nonce"] not in flow["auth_uri"]


# ---------------------------------------------------------------- ID token claims

NOW = 1_700_000_000
GOOD = {"aud": "client", "iss": "https://issuer/t/v2.0", "exp": NOW + 3600, "nbf": NOW - 10, "iat": NOW - 10}


def check(claims, **kwargs):
    oidc.validate_id_token(claims, client_id="client", issuer="https://issuer/t/v2.0", now=NOW, **kwargs)


def test_valid_id_token_claims_pass():
    check(GOOD)


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"aud": "another-client"}, "audience"),
        ({"aud": ["x", "y"]}, "audience"),
        ({"iss": "https://evil/t/v2.0"}, "issuer"),
        ({"exp": NOW - 3600}, "expired"),
        ({"exp": None}, "exp"),
        ({"exp": "9999999999"}, "exp"),
        ({"nbf": NOW + 3600}, "nbf"),
        ({"nbf": "0"}, "nbf"),
    ],
    ids=["aud", "aud-list", "iss", "exp-past", "exp-missing", "exp-string", "nbf-future", "nbf-string"],
)
def test_bad_id_token_claims_are_refused(change, reason):
    with pytest.raises(IdTokenError, match=reason):
        check(dict(GOOD, **change))


@pytest.mark.parametrize("claim", ["exp", "nbf"])
def test_nan_times_in_id_token_are_refused(claim):
    """Found by fuzzing: NaN compares False, so a NaN exp or nbf once passed the checks."""
    with pytest.raises(IdTokenError):
        check(dict(GOOD, **{claim: float("nan")}))


# ---------------------------------------------------------------- loopback listener


def test_loopback_listener_binds_loopback_only():
    with LoopbackListener() as listener:
        assert listener.addresses[0] == ("127.0.0.1", listener.port)
        assert set(listener.addresses[1:]) <= {("::1", listener.port)}
        assert listener.redirect_uri == "http://localhost:%d" % listener.port


def test_loopback_listener_accepts_only_the_matching_state():
    with LoopbackListener() as listener:
        got = {}
        waiter = threading.Thread(
            target=lambda: got.update(result=listener.wait_for_response("expected-state", timeout=30))
        )
        waiter.start()
        base = "http://127.0.0.1:%d/" % listener.port
        forged = requests.get(base, params={"state": "forged", "code": "stolen"}, timeout=10)
        missing = requests.get(base, params={"code": "stolen"}, timeout=10)
        genuine = requests.get(base, params={"state": "expected-state", "code": "c"}, timeout=10)
        waiter.join(30)
    assert forged.status_code == missing.status_code == 400
    assert genuine.status_code == 200
    assert got["result"] == {"state": "expected-state", "code": "c"}


# ---------------------------------------------------------------- authorities and assertions


@pytest.mark.parametrize(
    "authority",
    [
        "http://login.microsoftonline.com/common",
        "http://localhost:8443/tenant",
        "login.microsoftonline.com/common",
        "ftp://login.microsoftonline.com/common",
    ],
)
@pytest.mark.parametrize("cls", [msal.PublicClientApplication, msal.ConfidentialClientApplication])
def test_only_https_authorities_are_accepted(authority, cls):
    kwargs = {"client_credential": "secret"} if cls is msal.ConfidentialClientApplication else {}
    with pytest.raises(ValueError, match="https"):
        cls("client-id", authority=authority, **kwargs)


def test_every_client_assertion_has_a_unique_jti(emu, make_app):
    scopes = [GRAPH_DEFAULT, "api://%s/.default" % emu.app("web-api")["client_id"]]
    for _ in range(3):
        app = make_app("confidential-cert")
        for scope in scopes:
            assert "access_token" in app.acquire_token_for_client([scope])
    assertions = [p["form"]["client_assertion"] for p in token_posts(emu, "client_credentials")]
    jtis = [jwt.decode(a, options={"verify_signature": False})["jti"] for a in assertions]
    assert len(jtis) == 6 and len(set(jtis)) == 6


# ---------------------------------------------------------------- files at rest


def test_persisted_cache_is_0600_even_with_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        cache = PersistedTokenCache(
            tmp_path / "cache.bin", encryption=FernetEncryption(FernetEncryption.generate_key())
        )
        cache.add(
            {
                "client_id": "c",
                "scope": ["s"],
                "response": {"access_token": "at"},
                "token_endpoint": "https://login.microsoftonline.com/t/oauth2/v2.0/token",
            }
        )
    finally:
        os.umask(old)
    for path in (cache.path, cache.lock_path):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


# ---------------------------------------------------------------- secrets in reprs and messages


def test_reprs_hold_no_secrets(tmp_path, emu, make_app, signed_in):
    key = FernetEncryption.generate_key()
    cache = PersistedTokenCache(tmp_path / "c.bin", encryption=FernetEncryption(key))
    app, result = signed_in("web-app", token_cache=cache)
    secrets = [
        emu.client_credential("web-app"),
        key.decode(),
        result["access_token"],
        result["refresh_token"],
        result["id_token"],
    ]
    texts = [
        repr(app),
        str(app),
        repr(cache),
        repr(app.http_client),
        repr(app.authority),
        repr(make_app("confidential-cert")),
    ]
    for text in texts:
        assert not [s for s in secrets if s in text], text
        assert not secrets_in(text, ()), text


def test_exception_messages_hold_no_secrets(tmp_path, emu, flow_and_response):
    app, flow, response = flow_and_response
    raised = []
    for call in (
        lambda: app.acquire_token_by_auth_code_flow(flow, dict(response, state="x")),
        lambda: app.acquire_token_by_auth_code_flow(dict(flow, nonce="n"), response),
        lambda: app.acquire_token_by_auth_code_flow(flow, response),  # a replay
    ):
        with pytest.raises(ValueError) as info:
            call()
        raised.append(str(info.value))
    path = tmp_path / "c.json"
    path.write_text('{"AccessToken": {"k": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.sig"')
    with pytest.raises(CacheFileError) as info:
        PersistedTokenCache(path, encryption=None, allow_plaintext=True)
    raised.append(str(info.value))
    secrets = [response["code"], flow["code_verifier"], flow["nonce"], emu.client_credential("web-app")]
    for message in raised:
        assert not [s for s in secrets if s in message], message
        assert not secrets_in(message, ()), message


def test_error_dict_from_a_wrong_secret_does_not_echo_it(make_app):
    app = make_app("confidential-secret", client_credential="a-wrong-secret-value")
    result = app.acquire_token_for_client([GRAPH_DEFAULT])
    assert result["error"] == "invalid_client"
    assert "a-wrong-secret-value" not in repr(result)


# ---------------------------------------------------------------- the leak guard itself


def _record(name, message, *args):
    return logging.LogRecord(name, logging.DEBUG, __file__, 1, message, args, None)


def test_leak_guard_spots_tokens_and_known_secrets():
    token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln"
    assert secrets_in(record_text(_record("msal", "got %s", token)), ()) == [token]
    assert secrets_in(record_text(_record("msal", "pw=%s", "Alice-Passw0rd!")), {"Alice-Passw0rd!"}) == [
        "Alice-Passw0rd!"
    ]
    assert secrets_in(record_text(_record("msal", "nothing to see")), {"secret"}) == []


def test_leak_guard_attributes_http_records_to_the_library_only_when_it_is_on_the_stack():
    assert made_by_the_library(_record("msal.application", "x"))
    assert not made_by_the_library(_record("urllib3.connectionpool", "x"))  # called from a test


def test_leak_guard_watches_the_library_and_http_loggers_at_debug():
    for name in ("msal", "urllib3", "requests"):
        assert logging.getLogger(name).isEnabledFor(logging.DEBUG)


def test_no_secret_in_debug_logs_of_a_full_sign_in(emu, signed_in, secret_values, caplog):
    app, result = signed_in("web-app")
    app.acquire_token_silent(["User.Read"], app.get_accounts()[0], force_refresh=True)
    secret_values.update([result["access_token"], result["refresh_token"], result["id_token"]])
    assert any(r.name.startswith("urllib3") for r in caplog.records), "no HTTP records were seen"


# ---------------------------------------------------------------- ID token claims, on the wire


def _answer_with_id_token(emu, client_id, **claims):
    """Make the next token answer carry an ID token with these claims (unsigned: MSAL reads the
    ID token it got from the token endpoint over TLS without verifying its signature)."""
    now = int(time.time())
    body = dict(
        {
            "aud": client_id,
            "exp": now + 3600,
            "iat": now,
            "sub": "mallory-sub",
            "oid": "mallory-oid",
            "preferred_username": "mallory@evil.example",
        },
        **claims,
    )
    id_token = jwt.encode({k: v for k, v in body.items() if v is not None}, "k" * 32, algorithm="HS256")
    emu.inject(
        "body",
        "token",
        content_type="application/json",
        body=json.dumps(
            {
                "token_type": "Bearer",
                "expires_in": 3600,
                "access_token": "forged-access-token",
                "refresh_token": "forged-refresh-token",
                "id_token": id_token,
            }
        ),
    )


def _password_sign_in(emu, app):
    alice = emu.user("alice@" + emu.tenant_domain)
    return app.acquire_token_by_username_password(alice["username"], alice["password"], ["User.Read"])


def _assert_nothing_cached(app):
    for kind in ("ACCESS_TOKEN", "REFRESH_TOKEN", "ID_TOKEN", "ACCOUNT"):
        assert app.token_cache.find(getattr(msal.TokenCache.CredentialType, kind)) == [], kind


def test_id_token_without_tid_from_a_foreign_issuer_is_refused_on_common(emu, make_app):
    app = make_app("public", authority=emu.authority("common"))
    _answer_with_id_token(
        emu, emu.app("public")["client_id"], iss="https://evil.example/%s/v2.0" % emu.tenant_id
    )
    with pytest.raises(IdTokenError, match="issuer"):
        _password_sign_in(emu, app)
    _assert_nothing_cached(app)


def test_id_token_without_tid_from_the_authoritys_host_is_accepted_on_common(emu, make_app):
    app = make_app("public", authority=emu.authority("common"))
    _answer_with_id_token(
        emu, emu.app("public")["client_id"], iss="%s/%s/v2.0" % (emu.base_url, emu.tenant_id)
    )
    assert _password_sign_in(emu, app)["access_token"] == "forged-access-token"


def test_id_token_authorized_for_another_client_is_refused(emu, make_app):
    app = make_app("public")
    _answer_with_id_token(
        emu,
        emu.app("public")["client_id"],
        azp="another-client-id",
        iss="%s/%s/v2.0" % (emu.base_url, emu.tenant_id),
        tid=emu.tenant_id,
    )
    with pytest.raises(IdTokenError, match="azp"):
        _password_sign_in(emu, app)
    _assert_nothing_cached(app)


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"azp": "another-client"}, "azp"),
        ({"iss": "https://evil/t/v2.0", "tid": None}, "issuer"),
        ({"iss": "https://issuer/a/b/v2.0"}, "issuer"),
        ({"iss": "https://issuer//v2.0"}, "issuer"),
        ({"iss": "https://issuer/other-tenant/v2.0", "tid": "t"}, "issuer"),
    ],
    ids=["azp", "no-tid-other-host", "no-tid-two-segments", "no-tid-empty", "tid-mismatch"],
)
def test_id_token_issuer_template_and_azp(change, reason):
    claims = {k: v for k, v in dict(GOOD, **change).items() if v is not None}
    with pytest.raises(IdTokenError, match=reason):
        oidc.validate_id_token(claims, client_id="client", issuer="https://issuer/{tenantid}/v2.0", now=NOW)


def test_id_token_issuer_template_accepts_its_own_tenants():
    for claims in (
        dict(GOOD, iss="https://issuer/t/v2.0", tid="t", azp="client"),
        dict(GOOD, iss="https://issuer/any-tenant/v2.0"),
    ):
        oidc.validate_id_token(claims, client_id="client", issuer="https://issuer/{tenantid}/v2.0", now=NOW)
