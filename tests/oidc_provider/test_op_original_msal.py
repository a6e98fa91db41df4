"""The original msal and ours, same flows against node-oidc-provider: the caches must agree.

Runs only when MSAL_ORIGINAL_PYTHON names an interpreter with the original msal (./dev test
sets it up).
"""

import json
import os
from urllib.parse import parse_qsl, urlsplit

import msal
import pytest

from support import original

ORIGINAL = original.PYTHON
pytestmark = pytest.mark.skipif(not ORIGINAL, reason="MSAL_ORIGINAL_PYTHON is not set")
HERE = os.path.dirname(os.path.abspath(__file__))
DAEMON_SCOPES = ["api://demo/.default"]
USER_SCOPES = ["api://demo/read"]
REDIRECT_URI = "http://localhost:51234"
VOLATILE = {"secret", "cached_at", "expires_on", "extended_expires_on", "last_modification_time"}


def shape(cache):
    """Every entry's key and fields, minus the secrets and times that differ between runs."""
    return {
        section: {
            key: {k: v for k, v in entry.items() if k not in VOLATILE} for key, entry in entries.items()
        }
        for section, entries in cache.items()
    }


def redirect_params(oidc_provider, auth_uri):
    return dict(parse_qsl(urlsplit(oidc_provider.sign_in(auth_uri)).query))


def run_original(oidc_provider):
    # The original lets REQUESTS_CA_BUNDLE override its verify= setting: point it at our CA
    env = dict(REQUESTS_CA_BUNDLE=oidc_provider.ca_path, CURL_CA_BUNDLE=oidc_provider.ca_path)
    cfg = dict(
        authority=oidc_provider.authority,
        ca=oidc_provider.ca_path,
        secret_id=oidc_provider.clients["secret"]["client_id"],
        secret=oidc_provider.clients["secret"]["client_secret"],
        public_id=oidc_provider.clients["native"]["client_id"],
        daemon_scopes=DAEMON_SCOPES,
        user_scopes=USER_SCOPES,
        redirect_uri=REDIRECT_URI,
    )
    with original.Conversation(ORIGINAL, [os.path.join(HERE, "op_original_client.py")], env=env) as child:
        child.send(cfg)
        child.send(redirect_params(oidc_provider, child.receive()))
        result = child.receive()
        assert child.close() == 0, child.errors()
    return result


def run_ours(oidc_provider, op_app):
    daemon = op_app("secret", token_cache=msal.SerializableTokenCache())
    daemon.acquire_token_for_client(DAEMON_SCOPES)
    public = op_app("native", token_cache=msal.SerializableTokenCache())
    flow = public.initiate_auth_code_flow(USER_SCOPES, redirect_uri=REDIRECT_URI)
    result = public.acquire_token_by_auth_code_flow(flow, redirect_params(oidc_provider, flow["auth_uri"]))
    return dict(
        daemon_cache=json.loads(daemon.token_cache.serialize()),
        user_cache=json.loads(public.token_cache.serialize()),
        accounts=public.get_accounts(),
        error=result.get("error"),
    )


def test_same_cache_as_the_original(oidc_provider, op_app):
    original, ours = run_original(oidc_provider), run_ours(oidc_provider, op_app)
    assert original["error"] is None and ours["error"] is None, (original, ours)
    assert shape(ours["daemon_cache"]) == shape(original["daemon_cache"])
    assert shape(ours["user_cache"]) == shape(original["user_cache"])
    assert ours["accounts"] == original["accounts"]
    assert len(ours["accounts"]) == 1
