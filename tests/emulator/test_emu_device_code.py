"""Device code flow: the devicecode endpoint, the verification pages and the polling grant."""

import threading
import time

import pytest
import requests

from msal_emulator import Emulator, SignInError

from emu_helpers import ALICE, BOB, poll_device, start_device_flow


def test_device_code_answer_has_entra_shape(emulator_clean, http):
    emu = emulator_clean
    flow = start_device_flow(http, emu)
    assert flow["interval"] == 5 and flow["expires_in"] == 900  # Entra's defaults
    assert flow["verification_uri"] == emu.base_url + "/common/oauth2/deviceauth"
    assert len(flow["user_code"]) == 9 and flow["user_code"].isalnum()
    assert flow["message"] == (
        "To sign in, use a web browser to open the page %s and enter the code %s to "
        "authenticate." % (flow["verification_uri"], flow["user_code"])
    )
    page = http.get(flow["verification_uri"])
    assert page.status_code == 200 and 'name="otc"' in page.text


def test_interval_and_lifetime_are_settable(emulator_clean, http):
    emu = emulator_clean
    emu.device_code_interval, emu.device_code_expires_in = 1, 60
    flow = start_device_flow(http, emu)
    assert (flow["interval"], flow["expires_in"]) == (1, 60)
    emu.reset_overrides()
    assert start_device_flow(http, emu)["interval"] == 5


def test_constructor_setting():
    with Emulator(device_code_interval=1, device_code_expires_in=30) as emu:
        resp = requests.post(
            emu.authority() + "/oauth2/v2.0/devicecode",
            verify=emu.ca_path,
            data={"client_id": emu.app("public")["client_id"], "scope": "User.Read"},
        )
        assert (resp.json()["interval"], resp.json()["expires_in"]) == (1, 30)


def test_pending_then_approved_then_redeemed_once(emulator, http):
    flow = start_device_flow(http, emulator)
    pending = poll_device(http, emulator, flow)
    assert pending.status_code == 400
    assert pending.json()["error"] == "authorization_pending"
    assert pending.json()["error_codes"] == [70016]
    text = emulator.approve_device_code(flow["user_code"], *BOB)
    assert text.startswith("You have signed in to the public application")
    body = poll_device(http, emulator, flow).json()
    assert body["refresh_token"] and body["client_info"]
    idt = http.claims(body["id_token"])
    assert idt["preferred_username"] == BOB[0] and idt["oid"] == emulator.user("bob")["oid"]
    assert http.claims(body["access_token"])["scp"] == "User.Read"
    again = poll_device(http, emulator, flow)
    assert again.status_code == 400 and again.json()["error_codes"] == [54005]


def test_family_app_gets_foci(emulator, http):
    flow = start_device_flow(http, emulator, app="family-a")
    emulator.approve_device_code(flow["user_code"], *ALICE)
    assert poll_device(http, emulator, flow, app="family-a").json()["foci"] == "1"


def test_declined(emulator, http):
    flow = start_device_flow(http, emulator)
    text = emulator.approve_device_code(flow["user_code"], *ALICE, approve=False)
    assert text.startswith("You declined")
    body = poll_device(http, emulator, flow).json()
    assert body["error"] == "authorization_declined" and body["error_codes"] == [70000]


def test_expired(emulator, http, clock):
    flow = start_device_flow(http, emulator)
    clock.advance(901)
    body = poll_device(http, emulator, flow).json()
    assert body["error"] == "expired_token" and body["error_codes"] == [70019]
    with pytest.raises(SignInError, match="AADSTS70018"):
        emulator.approve_device_code(flow["user_code"], *ALICE)


def test_wrong_password_and_unknown_code(emulator, http):
    flow = start_device_flow(http, emulator)
    with pytest.raises(SignInError, match="AADSTS50126"):
        emulator.approve_device_code(flow["user_code"], ALICE[0], "wrong")
    with pytest.raises(SignInError, match="AADSTS70018"):
        emulator.approve_device_code("NOTACODE9", *ALICE)
    assert poll_device(http, emulator, flow).json()["error"] == "authorization_pending"


def test_code_belongs_to_its_client(emulator, http):
    flow = start_device_flow(http, emulator)
    emulator.approve_device_code(flow["user_code"], *ALICE)
    other = poll_device(http, emulator, flow, app="family-a").json()
    assert other["error"] == "bad_verification_code"
    assert "access_token" in poll_device(http, emulator, flow).json()


def test_confidential_app_needs_its_credential(emulator, http):
    resp = http.post(
        emulator.authority() + "/oauth2/v2.0/devicecode",
        data={"client_id": emulator.app("web-app")["client_id"], "scope": "User.Read"},
    )
    assert resp.status_code == 401 and resp.json()["error_codes"] == [7000218]


def test_unknown_scope_refused(emulator, http):
    resp = http.post(
        emulator.authority() + "/oauth2/v2.0/devicecode",
        data={"client_id": emulator.app("public")["client_id"], "scope": "Nope.Read"},
    )
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_scope"


def test_approval_from_another_thread_while_polling(emulator, http):
    flow = start_device_flow(http, emulator)
    approver = threading.Thread(target=emulator.approve_device_code, args=(flow["user_code"],) + ALICE)
    approver.start()
    errors_seen = []
    for _ in range(100):
        body = poll_device(http, emulator, flow).json()
        if "access_token" in body:
            break
        errors_seen.append(body["error"])
        time.sleep(0.05)
    approver.join(10)
    assert "access_token" in body
    assert set(errors_seen) <= {"authorization_pending", "slow_down"}
