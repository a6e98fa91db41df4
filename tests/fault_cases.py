"""The fault matrix: every injected fault against every flow, shared by the test suite and by
the script that prints the matrix (``python tests/fault_matrix.py``).

For each cell the caller must get the documented error dict or a documented exception, the
cache must be unchanged, and the next good call must work.
"""

import time

import requests

from support.apps import GRAPH_DEFAULT, build_app, sign_in
from support.wire import query_of

ERROR_DICT = "error dict"
CONNECTION_ERROR = "ConnectionError"
TIMEOUT = "Timeout"

# name: (fault options for emu.inject on the token endpoint, expected outcome, seconds to wait
#        before the next good call: a throttled identical request is answered from http_cache)
FAULTS = {
    "429 + Retry-After": (dict(kind="status", status=429, retry_after=1), ERROR_DICT, 1.1),
    "500": (dict(kind="status", status=500), ERROR_DICT, 0),
    "503 + Retry-After": (dict(kind="status", status=503, retry_after=1), ERROR_DICT, 1.1),
    "connection reset": (dict(kind="reset"), CONNECTION_ERROR, 0),
    "dropped connection": (dict(kind="drop"), CONNECTION_ERROR, 0),
    "read timeout": (dict(kind="slow", delay=2), TIMEOUT, 0),
    "malformed JSON": (dict(kind="truncated_json"), ERROR_DICT, 0),
    "HTML error page": (dict(kind="html", status=502), ERROR_DICT, 0),
    "empty body": (dict(kind="empty"), ERROR_DICT, 0),
    "very large body": (dict(kind="large"), ERROR_DICT, 0),
}
# The applications' timeout in seconds. Only the "read timeout" cells are about the timeout:
# there it is shorter than the fault's delay. Elsewhere the answer must arrive, and building
# and sending it takes time on a busy machine (the emulator spent 0.5 s making the 20 MB body
# of "very large body" before its first byte, under load).
APP_TIMEOUT = 10
SHORT_TIMEOUTS = {"read timeout": 0.5}


def _client_credentials(emu, timeout):
    app = build_app(emu, "confidential-secret", timeout=timeout)
    call = lambda: app.acquire_token_for_client([GRAPH_DEFAULT])  # noqa: E731
    return app, call, call


def _auth_code(emu, timeout):
    app = build_app(emu, "web-app", timeout=timeout)
    user = emu.user("alice@" + emu.tenant_domain)

    def redeem():  # Each attempt is a fresh sign-in: a code is good for one redemption
        flow = app.initiate_auth_code_flow(["User.Read"], redirect_uri="https://localhost/callback")
        response = query_of(emu.sign_in(flow["auth_uri"], user["username"], user["password"]))
        return lambda: app.acquire_token_by_auth_code_flow(flow, response)

    pending = redeem()
    return app, pending, lambda: redeem()()


def _silent_refresh(emu, timeout):
    app, _ = sign_in(emu, timeout=timeout)
    account = app.get_accounts()[0]
    call = lambda: app.acquire_token_silent_with_error(  # noqa: E731
        ["User.Read"], account, force_refresh=True
    )
    return app, call, call


def _on_behalf_of(emu, timeout):
    app = build_app(emu, "web-api", timeout=timeout)
    incoming = emu.issue_token()
    call = lambda: app.acquire_token_on_behalf_of(incoming, ["User.Read"])  # noqa: E731
    return app, call, call


def _refresh_token_migration(emu, timeout):
    _, first = sign_in(emu)
    app = build_app(emu, "web-app", timeout=timeout)
    call = lambda: app.acquire_token_by_refresh_token(first["refresh_token"], ["User.Read"])  # noqa
    return app, call, call


FLOWS = {
    "client credentials": _client_credentials,
    "auth code": _auth_code,
    "silent refresh": _silent_refresh,
    "on-behalf-of": _on_behalf_of,
    "refresh token migration": _refresh_token_migration,
}


def run_cell(emu, flow_name, fault_name):
    """Run one cell; return (outcome, cache_unchanged, recovered)."""
    options, _, wait = FAULTS[fault_name]
    app, call, next_good_call = FLOWS[flow_name](emu, SHORT_TIMEOUTS.get(fault_name, APP_TIMEOUT))
    before = _state(app)
    emu.inject(endpoint="token", times=None, seconds=600, **options)
    try:
        result = call()
        outcome = ERROR_DICT if isinstance(result, dict) and "error" in result else repr(result)[:80]
    except requests.exceptions.Timeout:
        outcome = TIMEOUT
    except requests.exceptions.ConnectionError:
        outcome = CONNECTION_ERROR
    finally:
        emu.clear_faults()
    unchanged = _state(app) == before
    time.sleep(wait)
    result = next_good_call()
    return outcome, unchanged, isinstance(result, dict) and "access_token" in result


def _state(app):
    from msal import TokenCache

    kinds = TokenCache.CredentialType
    return {
        kind: sorted(map(repr, app.token_cache.find(kind)))
        for kind in (kinds.ACCESS_TOKEN, kinds.REFRESH_TOKEN, kinds.ID_TOKEN, kinds.ACCOUNT)
    }
