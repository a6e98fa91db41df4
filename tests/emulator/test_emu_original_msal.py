"""The original msal (the reference client) must be able to get tokens from the emulator."""

import jwt
import pytest

from msal_emulator import auth_response
from msal_emulator.browser import Browser

from support import original
from emu_helpers import ALICE, GRAPH, run_original

ORIGINAL = original.PYTHON
pytestmark = pytest.mark.skipif(not ORIGINAL, reason="MSAL_ORIGINAL_PYTHON is not set")


def test_original_msal_gets_tokens(emulator):
    cfg = {
        "authority": emulator.authority(),
        "ca": emulator.ca_path,
        "secret_id": emulator.app("confidential-secret")["client_id"],
        "secret": emulator.client_credential("confidential-secret"),
        "cert_id": emulator.app("confidential-cert")["client_id"],
        "cert": emulator.client_credential("confidential-cert"),
        "public_id": emulator.app("public")["client_id"],
        "api_id": emulator.app("web-api")["client_id"],
        "api_secret": emulator.client_credential("web-api"),
        "api_scope": emulator.app("web-api")["app_id_uri"] + "/access_as_user",
    }
    out = run_original(
        ORIGINAL,
        "original_client.py",
        cfg,
        lambda first: auth_response(Browser(emulator).sign_in(first["auth_uri"], *ALICE)),
    )
    claims = lambda t: jwt.decode(t, options={"verify_signature": False})
    assert claims(out["secret"]["access_token"])["azpacr"] == "1"
    assert claims(out["cert"]["access_token"])["azpacr"] == "2"
    assert claims(out["auth_code"]["access_token"])["aud"] == emulator.app("web-api")["app_id_uri"]
    alice = emulator.user("alice")
    assert out["account"]["home_account_id"] == "%s.%s" % (alice["oid"], emulator.tenant_id)
    assert out["account"]["username"] == alice["username"]
    assert claims(out["silent"]["access_token"])["aud"] == GRAPH  # refreshed for another resource
    obo = claims(out["obo"]["access_token"])
    assert obo["aud"] == GRAPH and obo["oid"] == alice["oid"]
