import re
import uuid

import pytest

from msal_emulator import Emulator

DESCRIPTION = re.compile(
    r"^AADSTS70003: .+\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: ([0-9a-f-]{36})"
    r"\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$"
)


def test_error_shape_and_correlation_id(emulator, http):
    correlation = str(uuid.uuid4())
    resp = http.token(
        {"grant_type": "password-ish", "client_id": emulator.app("public")["client_id"]},
        headers={"client-request-id": correlation},
    )
    assert resp.status_code == 400
    assert resp.headers["client-request-id"] == correlation
    body = resp.json()
    assert body["error"] == "unsupported_grant_type" and body["error_codes"] == [70003]
    match = DESCRIPTION.match(body["error_description"])
    assert match and match.group(1) == correlation
    assert body["correlation_id"] == correlation
    assert body["trace_id"] in body["error_description"]
    assert body["timestamp"] in body["error_description"]
    assert body["error_uri"].endswith("code=70003")


def test_request_log(emulator_requests, http):
    emu = emulator_requests
    app = emu.app("confidential-secret")
    http.token(
        {
            "grant_type": "client_credentials",
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "scope": "https://graph.microsoft.com/.default",
        },
        headers={"X-Client-SKU": "test"},
    )
    http.get(emu.authority() + "/discovery/v2.0/keys", params={"a": "1"})
    assert len(emu.requests) == 2
    post, get = emu.requests[0], emu.requests[1]
    assert post["method"] == "POST" and post["path"] == "/%s/oauth2/v2.0/token" % emu.tenant_id
    assert post["form"]["client_id"] == app["client_id"]
    assert post["headers"]["x-client-sku"] == "test"
    assert post["host"] == "localhost:%d" % emu.port
    assert get["query"] == {"a": "1"} and get["form"] == {}
    assert emu.requests.matching("/keys", "GET") == [get]
    emu.clear_requests()
    assert len(emu.requests) == 0


def test_clock_drives_token_times(emulator, http, clock):
    app = emulator.app("confidential-secret")
    form = {
        "grant_type": "client_credentials",
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
        "scope": "https://graph.microsoft.com/.default",
    }
    before = http.claims(http.token(form).json()["access_token"])["iat"]
    clock.advance(7200)
    after = http.claims(http.token(form).json()["access_token"])["iat"]
    assert 7190 < after - before < 7300


def test_unknown_path_is_404(emulator, http):
    assert http.get(emulator.base_url + "/nothing/here").status_code == 404


def test_custom_config_and_fixed_port(tmp_path):
    config = {
        "builtin": False,
        "tenants": [
            {
                "id": "11111111-2222-3333-4444-555555555555",
                "domain": "fabrikam.example",
                "display_name": "Fabrikam",
            }
        ],
        "users": [
            {
                "username": "carol@fabrikam.example",
                "password": "pw",
                "oid": "66666666-7777-8888-9999-000000000000",
            }
        ],
        "apps": [
            {
                "name": "only",
                "client_id": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
                "kind": "confidential",
                "client_secret": "s",
            }
        ],
    }
    path = tmp_path / "config.json"
    path.write_text(__import__("json").dumps(config))
    with Emulator(config=str(path)) as emu:
        assert emu.tenant_id == "11111111-2222-3333-4444-555555555555"
        assert emu.authority() == "%s/11111111-2222-3333-4444-555555555555" % emu.base_url
        assert emu.user("carol")["oid"].startswith("6666")
        assert emu.client_credential("only") == "s"
        with pytest.raises(KeyError):
            emu.app("public")


def test_emulator_stops(tmp_path):
    import requests

    emu = Emulator().start()
    url = emu.authority() + "/discovery/v2.0/keys"
    assert requests.get(url, verify=emu.ca_path).status_code == 200
    emu.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url, verify=emu.ca_path, timeout=5)
    emu.close()
