"""Entra's behaviours apps run into: client certificates outside their validity, device code
clients that poll too fast."""

import datetime

import msal
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

from msal_emulator import Emulator, certs

from emu_helpers import ALICE

GRAPH_DEFAULT = "https://graph.microsoft.com/.default"
DAY = datetime.timedelta(days=1)


def self_signed(key, start, end):
    """A self-signed certificate (Entra accepts those as app credentials) valid from start to end."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dated app")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .sign(key, hashes.SHA256())
    )


@pytest.fixture(scope="module")
def dated_apps(tmp_path_factory):
    """An emulator with apps whose registered certificate has expired / is not valid yet; the
    certificates are given as file paths relative to the config file."""
    now = datetime.datetime.now(datetime.timezone.utc)
    folder = tmp_path_factory.mktemp("dated")
    keys, apps = {}, []
    for name, start, end in (
        ("expired", now - 400 * DAY, now - 30 * DAY),
        ("future", now + DAY, now + 365 * DAY),
        ("current", now - DAY, now + 365 * DAY),
    ):
        key = certs.new_rsa_key()
        keys[name] = certs.KeyPair(key, self_signed(key, start, end))
        (folder / (name + ".crt")).write_text(keys[name].cert_pem)
        apps.append(
            {
                "name": name,
                "client_id": "0000000%d-aaaa-4bbb-8ccc-dddddddddddd" % len(apps),
                "certificates": [name + ".crt"],
            }
        )
    config = folder / "config.json"
    config.write_text(__import__("json").dumps({"apps": apps}))
    with Emulator(str(config)) as emu:
        yield emu, keys
    emu.close()


def acquire(emu, keys, name):
    app = msal.ConfidentialClientApplication(
        emu.app(name)["client_id"],
        authority=emu.authority(),
        verify=emu.ca_path,
        instance_discovery=False,
        client_credential={"private_key": keys[name].key_pem, "thumbprint": keys[name].thumbprint},
    )
    return app.acquire_token_for_client([GRAPH_DEFAULT])


@pytest.mark.parametrize(
    "name, reason", [("expired", "The key used is expired"), ("future", "The key used is not yet valid")]
)
def test_certificate_outside_its_validity_is_refused(dated_apps, name, reason):
    emu, keys = dated_apps
    result = acquire(emu, keys, name)
    assert result["error"] == "invalid_client" and result["error_codes"] == [700027]
    assert reason in result["error_description"]
    assert keys[name].thumbprint in result["error_description"]


def test_certificate_registered_by_path_works_while_valid(dated_apps):
    emu, keys = dated_apps
    assert "access_token" in acquire(emu, keys, "current")


def test_polling_faster_than_the_interval_is_told_to_slow_down(emulator_requests, http):
    emu = emulator_requests  # the configured interval: 5 s
    public = emu.app("public")["client_id"]
    flow = http.post(
        emu.authority() + "/oauth2/v2.0/devicecode", data={"client_id": public, "scope": "User.Read"}
    ).json()
    poll = {
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "client_id": public,
        "device_code": flow["device_code"],
    }
    assert http.token(poll).json()["error"] == "authorization_pending"
    too_soon = http.token(poll)
    assert too_soon.status_code == 400 and too_soon.json()["error"] == "slow_down"
    emu.approve_device_code(flow["user_code"], *ALICE)
    assert "access_token" in http.token(poll).json()  # an approved code is never held back
