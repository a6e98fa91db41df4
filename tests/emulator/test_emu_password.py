"""Username/password: the user realm endpoint and the resource owner password grant."""

from emu_helpers import ALICE, CAROL

PASSWORD_FORM = {
    "grant_type": "password",
    "scope": "User.Read openid profile offline_access",
    "client_info": "1",
}


def ropc(http, emu, username, password, app="public", **extra):
    form = dict(
        PASSWORD_FORM, client_id=emu.app(app)["client_id"], username=username, password=password, **extra
    )
    return http.token(form, headers={"X-AnchorMailbox": "upn:" + username})


def test_userrealm_managed(emulator, http):
    body = http.get(
        emulator.base_url + "/common/userrealm/alice@contoso.example", params={"api-version": "1.0"}
    ).json()
    assert body == {
        "ver": "1.0",
        "account_type": "Managed",
        "domain_name": "contoso.example",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_audience_urn": "urn:federation:MicrosoftOnline",
    }


def test_userrealm_federated(emulator, http):
    body = http.get(
        emulator.base_url + "/common/userrealm/carol%40fabrikam.example", params={"api-version": "1.0"}
    ).json()
    assert body["account_type"] == "Federated" and body["domain_name"] == "fabrikam.example"
    assert body["federation_protocol"] == "WSTrust"
    assert body["federation_metadata_url"] == emulator.base_url + "/adfs/services/trust/mex"
    assert body["federation_active_auth_url"] == (
        emulator.base_url + "/adfs/services/trust/2005/usernamemixed"
    )


def test_userrealm_unknown(emulator, http):
    body = http.get(emulator.base_url + "/common/userrealm/x@nowhere.example").json()
    assert body["account_type"] == "Unknown" and "domain_name" not in body


def test_password_grant(emulator_requests, http):
    emu = emulator_requests
    body = ropc(http, emu, *ALICE).json()
    assert body["refresh_token"] and body["client_info"]
    assert http.claims(body["id_token"])["preferred_username"] == ALICE[0]
    assert http.claims(body["access_token"])["scp"] == "User.Read"
    assert emu.requests[0]["headers"]["x-anchormailbox"] == "upn:" + ALICE[0]
    assert emu.requests[0]["form"]["grant_type"] == "password"


def test_wrong_password(emulator, http):
    resp = ropc(http, emulator, ALICE[0], "nope")
    assert resp.status_code == 400
    assert resp.json()["error"] == "invalid_grant" and resp.json()["error_codes"] == [50126]


def test_unknown_user(emulator, http):
    resp = ropc(http, emulator, "zed@contoso.example", "x")
    assert resp.json()["error"] == "invalid_grant" and resp.json()["error_codes"] == [50034]


def test_federated_user_must_use_ws_trust(emulator, http):
    resp = ropc(http, emulator, *CAROL)
    assert resp.json()["error"] == "invalid_grant" and resp.json()["error_codes"] == [50126]


def test_confidential_client_with_its_secret(emulator, http):
    app = emulator.app("web-app")
    assert ropc(http, emulator, *ALICE, app="web-app").status_code == 401
    resp = ropc(http, emulator, *ALICE, app="web-app", client_secret=app["client_secret"])
    assert resp.status_code == 200 and resp.json()["access_token"]


def test_public_client_flows_must_be_allowed(http):
    from msal_emulator import Emulator

    config = {
        "apps": [
            {
                "name": "spa",
                "client_id": "0f2c8e5d-1a3b-4c6d-9e8f-7a6b5c4d3e2f",
                "kind": "public",
                "redirect_uris": ["http://localhost"],
            }
        ]
    }
    with Emulator(config=config) as emu:
        import requests

        resp = requests.post(
            emu.token_endpoint(),
            verify=emu.ca_path,
            data=dict(
                PASSWORD_FORM,
                client_id="0f2c8e5d-1a3b-4c6d-9e8f-7a6b5c4d3e2f",
                username=ALICE[0],
                password=ALICE[1],
            ),
        )
        assert resp.status_code == 401 and resp.json()["error_codes"] == [7000218]


def test_resource_needing_consent(emulator, http):
    tasks = emulator.app("tasks-api")["app_id_uri"] + "/Tasks.Read"
    resp = ropc(http, emulator, *ALICE, scope=tasks + " openid")
    assert resp.json()["error_codes"] == [65001] and resp.json()["suberror"] == "consent_required"
