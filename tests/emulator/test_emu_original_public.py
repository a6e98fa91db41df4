"""The original msal runs the public-client flows against the emulator: device code,
username/password (managed, and federated through MEX → WS-Trust → SAML), and ADFS."""

import jwt
import pytest

from support import original
from emu_helpers import ALICE, BOB, CAROL, run_original

ORIGINAL = original.PYTHON
pytestmark = pytest.mark.skipif(not ORIGINAL, reason="MSAL_ORIGINAL_PYTHON is not set")


def run_public_flows(emu):
    cfg = {
        "port": emu.port,
        "authority": emu.authority(),
        "ca": emu.ca_path,
        "public_id": emu.app("public")["client_id"],
        "alice": ALICE,
        "carol": CAROL,
        "adfs": emu.base_url + "/adfs",
        "api_scope": emu.app("web-api")["app_id_uri"] + "/access_as_user",
    }
    return run_original(
        ORIGINAL,
        "original_public_client.py",
        cfg,
        lambda flow: emu.approve_device_code(flow["user_code"], *BOB) and None,
    )


def test_original_msal_public_flows(emulator_clean):
    emu = emulator_clean
    emu.device_code_interval = 1
    out = run_public_flows(emu)
    claims = lambda t: jwt.decode(t, options={"verify_signature": False})
    assert claims(out["device"]["id_token"])["preferred_username"] == BOB[0]
    assert claims(out["managed"]["id_token"])["preferred_username"] == ALICE[0]
    assert out["wrong_password"]["error_codes"] == [50126]
    assert claims(out["federated"]["id_token"])["preferred_username"] == CAROL[0]
    assert "ID3242" in out["federated_wrong"]["raised"]
    assert claims(out["adfs"]["access_token"])["upn"] == CAROL[0]
    assert out["adfs_accounts"][0]["authority_type"] == "ADFS"
    assert out["adfs_accounts"][0]["username"] == CAROL[0]
    assert "access_token" in out["adfs_silent"]
    assert {a["username"] for a in out["accounts"]} == {ALICE[0], BOB[0], CAROL[0]}
    grants = [r["form"].get("grant_type") for r in emu.requests.matching("/token", "POST")]
    assert "urn:ietf:params:oauth:grant-type:saml2-bearer" in grants
    assert emu.requests.matching("/adfs/services/trust/13/usernamemixed")
    realm = emu.requests.matching("/userrealm/alice")[0]
    assert realm["query"] == {"api-version": "1.0"}
    ropc = [
        r for r in emu.requests.matching("/oauth2/v2.0/token") if r["form"].get("grant_type") == "password"
    ]
    assert ropc[0]["headers"]["x-anchormailbox"] == "upn:" + ALICE[0]
