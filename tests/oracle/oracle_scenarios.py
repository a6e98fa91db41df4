"""The scenarios the oracle tests replay against both libraries.

Each scenario is a function ``(msal, env) -> dict`` that uses only the public msal API, so
the very same code runs under the original msal (in its own interpreter) and under this
package. ``env`` carries the emulator's coordinates (``env.cfg``) and ``env.ask(kind, **payload)``,
which hands a user's part (signing in, approving a device code, minting an incoming token,
revoking refresh tokens) to the test process. The returned dict holds raw results; the test
process normalises them.

This module must import nothing but the standard library, ``msal`` and ``requests``.
"""

import json
from urllib.parse import urlsplit, urlunsplit

GRAPH_DEFAULT = "https://graph.microsoft.com/.default"
CLIENT_CLAIMS = {"xms_oracle": "yes", "tenant_ref": "contoso"}
CLAIMS_CHALLENGE = json.dumps({"access_token": {"nbf": {"essential": True, "value": "1700000000"}}})
SCENARIOS = {}


def scenario(function):
    SCENARIOS[function.__name__] = function
    return function


def common(env, **extra):
    options = dict(authority=env.cfg["authority"], verify=env.cfg["ca"], instance_discovery=False)
    options.update(extra)
    return options


def confidential(msal, env, name, **extra):
    return msal.ConfidentialClientApplication(
        env.cfg["apps"][name]["client_id"],
        client_credential=env.cfg["apps"][name]["credential"],
        **common(env, **extra),
    )


def public(msal, env, name="public", **extra):
    return msal.PublicClientApplication(env.cfg["apps"][name]["client_id"], **common(env, **extra))


def cert_credential(env, *fields):
    full = env.cfg["apps"]["confidential-cert"]["credential"]
    return {k: full[k] for k in fields}


def state_of(cache):
    return json.loads(cache.serialize())


def sign_in_with_flow(msal, env, app, scopes, user="alice", **flow_options):
    flow = app.initiate_auth_code_flow(scopes, **flow_options)
    initiated = dict(flow)  # before redemption, which may add to the flow
    response = env.ask("sign_in", auth_uri=flow["auth_uri"], user=user)
    return initiated, app.acquire_token_by_auth_code_flow(flow, response)


# ---- client credentials ------------------------------------------------------------------


@scenario
def client_secret(msal, env):
    return {
        "result": confidential(msal, env, "confidential-secret").acquire_token_for_client([GRAPH_DEFAULT])
    }


@scenario
def client_certificate_x5t(msal, env):
    app = msal.ConfidentialClientApplication(
        env.cfg["apps"]["confidential-cert"]["client_id"],
        client_credential=cert_credential(env, "private_key", "thumbprint"),
        **common(env),
    )
    return {"result": app.acquire_token_for_client([GRAPH_DEFAULT])}


@scenario
def client_certificate_x5c(msal, env):
    app = msal.ConfidentialClientApplication(
        env.cfg["apps"]["confidential-cert"]["client_id"],
        client_credential=cert_credential(env, "private_key", "thumbprint", "public_certificate"),
        **common(env),
    )
    return {"result": app.acquire_token_for_client([GRAPH_DEFAULT])}


@scenario
def client_claims(msal, env):
    app = msal.ConfidentialClientApplication(
        env.cfg["apps"]["confidential-cert"]["client_id"],
        client_credential=dict(
            cert_credential(env, "private_key", "thumbprint"), client_claims=CLIENT_CLAIMS
        ),
        **common(env),
    )
    return {"result": app.acquire_token_for_client([GRAPH_DEFAULT])}


@scenario
def client_credentials_twice(msal, env):
    cache = msal.SerializableTokenCache()
    app = confidential(msal, env, "confidential-secret", token_cache=cache)
    first = app.acquire_token_for_client([GRAPH_DEFAULT])
    second = app.acquire_token_for_client([GRAPH_DEFAULT])
    return {"first": first, "second": second, "cache": state_of(cache)}


@scenario
def capabilities_and_claims_challenge(msal, env):
    app = confidential(msal, env, "confidential-secret", client_capabilities=["CP1", "llt"])
    plain = app.acquire_token_for_client([GRAPH_DEFAULT])
    challenged = app.acquire_token_for_client([GRAPH_DEFAULT], claims_challenge=CLAIMS_CHALLENGE)
    return {"plain": plain, "challenged": challenged}


@scenario
def claims_challenge_alone(msal, env):
    app = confidential(msal, env, "confidential-secret")
    compact = json.dumps(json.loads(CLAIMS_CHALLENGE), separators=(",", ":"))
    url = app.get_authorization_request_url(["User.Read"], claims_challenge=compact)
    return {"url": url, "result": app.acquire_token_for_client([GRAPH_DEFAULT], claims_challenge=compact)}


@scenario
def app_name_and_version(msal, env):
    app = confidential(msal, env, "confidential-secret", app_name="oracle-app", app_version="4.5.6")
    return {"result": app.acquire_token_for_client([GRAPH_DEFAULT])}


@scenario
def wrong_secret(msal, env):
    app = msal.ConfidentialClientApplication(
        env.cfg["apps"]["confidential-secret"]["client_id"], client_credential="not-the-secret", **common(env)
    )
    return {"result": app.acquire_token_for_client([GRAPH_DEFAULT])}


# ---- authorization code ------------------------------------------------------------------


@scenario
def authorization_request_url(msal, env):
    app = confidential(msal, env, "web-app", client_capabilities=["CP1"])
    url = app.get_authorization_request_url(
        ["User.Read", "Mail.Read"],
        state="state-1",
        redirect_uri="https://localhost/callback",
        response_type="code",
        login_hint="alice@contoso.example",
        prompt="select_account",
        domain_hint="contoso.example",
        claims_challenge=CLAIMS_CHALLENGE,
        nonce="nonce-1",
    )
    return {"url": url}


@scenario
def auth_code_flow(msal, env):
    cache = msal.SerializableTokenCache()
    app = confidential(msal, env, "web-app", token_cache=cache)
    flow, result = sign_in_with_flow(
        msal,
        env,
        app,
        ["User.Read"],
        redirect_uri="https://localhost/callback",
        prompt="login",
        login_hint="alice@contoso.example",
        domain_hint="contoso.example",
        max_age=3600,
    )
    return {"flow": flow, "result": result, "accounts": app.get_accounts(), "cache": state_of(cache)}


@scenario
def auth_code_flow_public(msal, env):
    cache = msal.SerializableTokenCache()
    app = public(msal, env, token_cache=cache)
    flow, result = sign_in_with_flow(msal, env, app, ["User.Read"], redirect_uri="http://localhost:8400")
    return {"flow": flow, "result": result, "accounts": app.get_accounts(), "cache": state_of(cache)}


@scenario
def authorization_request_url_extra_parameters(msal, env):
    app = confidential(msal, env, "web-app")
    return {"url": app.get_authorization_request_url(["User.Read"], max_age=600, foo="bar")}


@scenario
def authorization_code(msal, env):
    cache = msal.SerializableTokenCache()
    app = confidential(msal, env, "web-app", token_cache=cache)
    url = app.get_authorization_request_url(
        ["User.Read"], state="state-2", redirect_uri="https://localhost/callback", nonce="nonce-2"
    )
    response = env.ask("sign_in", auth_uri=url, user="alice")
    result = app.acquire_token_by_authorization_code(
        response["code"], ["User.Read"], redirect_uri="https://localhost/callback", nonce="nonce-2"
    )
    return {"url": url, "result": result, "accounts": app.get_accounts(), "cache": state_of(cache)}


@scenario
def exclude_scopes(msal, env):
    cache = msal.SerializableTokenCache()
    app = public(msal, env, token_cache=cache, exclude_scopes=["offline_access"])
    flow, result = sign_in_with_flow(msal, env, app, ["User.Read"], redirect_uri="http://localhost:8400")
    return {"flow": flow, "result": result, "cache": state_of(cache)}


# ---- silent, refresh token, accounts -----------------------------------------------------


@scenario
def silent_and_force_refresh(msal, env):
    cache = msal.SerializableTokenCache()
    app = confidential(msal, env, "web-app", token_cache=cache)
    _, signed_in = sign_in_with_flow(msal, env, app, ["User.Read"], redirect_uri="https://localhost/callback")
    [account] = app.get_accounts()
    env.mark("cache hit")
    hit = app.acquire_token_silent(["User.Read"], account)
    env.mark("force refresh")
    forced = app.acquire_token_silent(["User.Read"], account, force_refresh=True)
    env.mark("other resource")
    other = app.acquire_token_silent_with_error([GRAPH_DEFAULT], account)
    return {
        "signed_in": signed_in,
        "hit": hit,
        "forced": forced,
        "other": other,
        "accounts": app.get_accounts(),
        "cache": state_of(cache),
    }


@scenario
def refresh_token(msal, env):
    cache = msal.SerializableTokenCache()
    app = confidential(msal, env, "web-app", token_cache=cache)
    _, signed_in = sign_in_with_flow(msal, env, app, ["User.Read"], redirect_uri="https://localhost/callback")
    fresh_cache = msal.SerializableTokenCache()
    other = confidential(msal, env, "web-app", token_cache=fresh_cache)
    result = other.acquire_token_by_refresh_token(signed_in["refresh_token"], ["User.Read"])
    return {"result": result, "accounts": other.get_accounts(), "cache": state_of(fresh_cache)}


@scenario
def revoked_refresh_token(msal, env):
    app = confidential(msal, env, "web-app")
    _, signed_in = sign_in_with_flow(msal, env, app, ["User.Read"], redirect_uri="https://localhost/callback")
    env.ask("revoke", user="alice")
    by_rt = app.acquire_token_by_refresh_token(signed_in["refresh_token"], ["User.Read"])
    [account] = app.get_accounts()
    silent = app.acquire_token_silent_with_error(["User.Read"], account, force_refresh=True)
    return {"by_refresh_token": by_rt, "silent": silent}


@scenario
def accounts_and_remove(msal, env):
    cache = msal.SerializableTokenCache()
    app = public(msal, env, token_cache=cache)
    sign_in_with_flow(msal, env, app, ["User.Read"], redirect_uri="http://localhost:8400")
    sign_in_with_flow(
        msal, env, app, ["User.Read"], user="bob", redirect_uri="http://localhost:8400", prompt="login"
    )
    before = app.get_accounts()
    alice = app.get_accounts(username="alice@contoso.example")
    app.remove_account(alice[0])
    after = app.get_accounts()
    return {"before": before, "alice": alice, "after": after, "cache": state_of(cache)}


# ---- on behalf of, username/password, device code -----------------------------------------


def middle_tier(msal, env):
    """The web API as a middle tier with its cache, and a token its caller sent it."""
    cache = msal.SerializableTokenCache()
    app = confidential(msal, env, "web-api", token_cache=cache)
    return app, cache, env.ask("issue_token", user="alice")


@scenario
def on_behalf_of(msal, env):
    app, cache, incoming = middle_tier(msal, env)
    result = app.acquire_token_on_behalf_of(incoming, ["User.Read"])
    return {"result": result, "accounts": app.get_accounts(), "cache": state_of(cache)}


@scenario
def on_behalf_of_twice(msal, env):
    app, cache, incoming = middle_tier(msal, env)
    first = app.acquire_token_on_behalf_of(incoming, ["User.Read"])
    second = app.acquire_token_on_behalf_of(incoming, ["User.Read"])
    return {"first": first, "second": second, "cache": state_of(cache)}


def session_to(env):
    """A session that puts back the emulator's port, which the original drops for user realm."""
    import requests
    from requests.adapters import HTTPAdapter

    port = env.cfg["port"]

    class ToEmulator(HTTPAdapter):
        def send(self, request, **kwargs):
            parts = urlsplit(request.url)
            if parts.hostname == "localhost" and parts.port is None:
                request.url = urlunsplit(parts._replace(netloc="localhost:%d" % port))
            return super().send(request, **kwargs)

    session = requests.Session()
    session.trust_env = False
    session.verify = env.cfg["ca"]
    session.mount("https://", ToEmulator())
    return session


def password_grant(msal, env, user):
    cache = msal.SerializableTokenCache()
    app = msal.PublicClientApplication(
        env.cfg["apps"]["public"]["client_id"],
        authority=env.cfg["authority"],
        instance_discovery=False,
        http_client=session_to(env),
        token_cache=cache,
    )
    username, password = env.cfg["users"][user]
    result = app.acquire_token_by_username_password(username, password, ["User.Read"])
    return {"result": result, "accounts": app.get_accounts(), "cache": state_of(cache)}


@scenario
def username_password_managed(msal, env):
    return password_grant(msal, env, "alice")


@scenario
def username_password_federated(msal, env):
    return password_grant(msal, env, "carol")


@scenario
def device_flow(msal, env):
    cache = msal.SerializableTokenCache()
    app = public(msal, env, token_cache=cache)
    flow = app.initiate_device_flow(["User.Read"])
    env.ask(
        "approve_device", user_code=flow["user_code"], user="alice", verification_uri=flow["verification_uri"]
    )
    result = app.acquire_token_by_device_flow(flow)
    return {"flow": flow, "result": result, "accounts": app.get_accounts(), "cache": state_of(cache)}


# ---- where 1.22 and 1.39 part ---------------------------------------------------------------


@scenario
def silent_without_account(msal, env):
    cache = msal.SerializableTokenCache()
    app = confidential(msal, env, "confidential-secret", token_cache=cache)
    app.acquire_token_for_client([GRAPH_DEFAULT])
    env.mark("silent")
    return {"silent": app.acquire_token_silent([GRAPH_DEFAULT], None)}
