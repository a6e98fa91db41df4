"""The original msal (the reference client) must be able to get tokens from the emulator."""
import json
import os
import subprocess
import sys

import jwt
import pytest

from msal_emulator import auth_response
from msal_emulator.browser import Browser

from emu_helpers import ALICE, GRAPH

ORIGINAL = os.environ.get("MSAL_ORIGINAL_PYTHON")
pytestmark = pytest.mark.skipif(not ORIGINAL, reason="MSAL_ORIGINAL_PYTHON is not set")


def test_original_msal_gets_tokens(emulator):
    cfg = {"authority": emulator.authority(), "ca": emulator.ca_path,
           "secret_id": emulator.app("confidential-secret")["client_id"],
           "secret": emulator.client_credential("confidential-secret"),
           "cert_id": emulator.app("confidential-cert")["client_id"],
           "cert": emulator.client_credential("confidential-cert"),
           "public_id": emulator.app("public")["client_id"],
           "api_id": emulator.app("web-api")["client_id"],
           "api_secret": emulator.client_credential("web-api"),
           "api_scope": emulator.app("web-api")["app_id_uri"] + "/access_as_user"}
    # The original msal sets Session.verify, which these variables would silently override.
    env = {k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")}
    script = os.path.join(os.path.dirname(__file__), "original_client.py")
    proc = subprocess.Popen([ORIGINAL, script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        proc.stdin.write(json.dumps(cfg) + "\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        result = Browser(emulator).sign_in(json.loads(line)["auth_uri"], *ALICE)
        proc.stdin.write(json.dumps(auth_response(result)) + "\n")
        proc.stdin.flush()
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    out = json.loads(out)
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
