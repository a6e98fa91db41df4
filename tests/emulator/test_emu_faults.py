"""Fault injection: each fault fires as asked, is counted, and leaves later requests alone."""

import json
import time

import pytest
import requests

from emu_helpers import raw_tls_exchange

INSTANCE_GET = b"GET /common/discovery/instance HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
CC = {"grant_type": "client_credentials", "scope": "https://graph.microsoft.com/.default"}


@pytest.fixture
def emu(emulator_clean):
    return emulator_clean


def cc_form(emu):
    app = emu.app("confidential-secret")
    return dict(CC, client_id=app["client_id"], client_secret=app["client_secret"])


def discovery_url(emu):
    return emu.authority() + "/v2.0/.well-known/openid-configuration"


@pytest.mark.parametrize("retry_after", [2, "Wed, 21 Oct 2015 07:28:00 GMT", "soon-ish"])
def test_429_with_retry_after_then_normal(emu, http, retry_after):
    fault = emu.inject("status", "token", status=429, retry_after=retry_after)
    resp = http.token(cc_form(emu), headers={"client-request-id": "c0ffee00-0000-0000-0000-000000000001"})
    assert resp.status_code == 429 and resp.headers["Retry-After"] == str(retry_after)
    assert resp.json()["error"] == "temporarily_unavailable"
    assert resp.json()["correlation_id"] == "c0ffee00-0000-0000-0000-000000000001"
    assert http.token(cc_form(emu)).status_code == 200
    assert fault.fired == 1 and emu.faults.counts() == {fault.name: 1}


def test_5xx_with_and_without_retry_after(emu, http):
    emu.inject("status", "discovery", status=502)
    emu.inject("status", "discovery", status=503, retry_after=1)
    first, second = http.get(discovery_url(emu)), http.get(discovery_url(emu))
    assert first.status_code == 502 and "Retry-After" not in first.headers
    assert second.status_code == 503 and second.headers["Retry-After"] == "1"
    assert first.json()["error"] == "server_error"
    assert http.get(discovery_url(emu)).status_code == 200
    assert emu.faults.fired == 2


def test_claims_challenge(emu, http):
    emu.inject("claims_challenge", "token")
    body = http.token(cc_form(emu)).json()
    assert body["error"] == "invalid_grant" and body["error_codes"] == [50076]
    assert body["suberror"] == "basic_action"
    assert json.loads(body["claims"])["access_token"]["capolids"]["essential"] is True
    emu.inject("claims_challenge", "token", error="interaction_required", claims='{"x":1}')
    body = http.token(cc_form(emu)).json()
    assert body["error"] == "interaction_required" and body["claims"] == '{"x":1}'


def test_slow_answer_is_the_normal_answer(emu, http):
    fault = emu.inject("slow", "jwks", delay=0.2)
    resp = http.get(emu.authority() + "/discovery/v2.0/keys")
    assert resp.status_code == 200 and resp.json()["keys"] and fault.fired == 1


def test_read_timeout_on_a_slow_answer(emu):
    emu.inject("slow", "jwks", delay=1.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(emu.authority() + "/discovery/v2.0/keys", verify=emu.ca_path, timeout=0.2)


def test_dropped_connection(emu, http):
    emu.inject("drop", "token")
    with pytest.raises(requests.exceptions.ConnectionError):
        http.token(cc_form(emu))
    data, error = raw_tls_exchange(emu, INSTANCE_GET)
    assert data.startswith(b"HTTP/1.1 200") and error is None
    emu.inject("drop", "instance_discovery")
    data, error = raw_tls_exchange(emu, INSTANCE_GET)
    assert data == b"" and error is None  # a clean close, no answer


def test_reset_connection(emu, http):
    emu.inject("reset", "instance_discovery", times=2)
    with pytest.raises(requests.exceptions.ConnectionError):
        http.get(emu.base_url + "/common/discovery/instance")
    data, error = raw_tls_exchange(emu, INSTANCE_GET)
    assert data == b"" and isinstance(error, ConnectionResetError)


def test_malformed_bodies(emu, http):
    emu.inject("truncated_json", "token")
    resp = http.token(cc_form(emu))
    assert resp.status_code == 200 and resp.text.startswith('{"token_type"')
    with pytest.raises(ValueError):
        resp.json()
    emu.inject("html", "token", status=500)
    resp = http.token(cc_form(emu))
    assert resp.status_code == 500 and resp.text.startswith("<!DOCTYPE html>")
    emu.inject("html", "discovery")
    resp = http.get(discovery_url(emu))
    assert resp.status_code == 200 and "text/html" in resp.headers["Content-Type"]
    emu.inject("empty", "token")
    resp = http.token(cc_form(emu))
    assert resp.status_code == 200 and resp.content == b""
    emu.inject("body", "token", status=400, body="{not json", content_type="application/json")
    resp = http.token(cc_form(emu))
    assert resp.status_code == 400 and resp.text == "{not json"


def test_large_body(emu, http):
    emu.inject("large", "token")
    resp = http.token(cc_form(emu))
    assert len(resp.content) == 20 * 1024 * 1024 and resp.json()["error"] == "server_error"
    emu.inject("large", "token", size=1000, status=500)
    resp = http.token(cc_form(emu))
    assert resp.status_code == 500 and len(resp.content) == 1000


def test_counts_and_windows(emu, http):
    url = emu.authority() + "/discovery/v2.0/keys"
    counted = emu.inject("status", "jwks", times=2)
    assert [http.get(url).status_code for _ in range(3)] == [503, 503, 200]
    assert counted.fired == 2 and len(emu.faults) == 0
    window = emu.inject("status", "jwks", times=None, seconds=0.3)
    assert [http.get(url).status_code for _ in range(3)] == [503] * 3
    time.sleep(0.4)
    assert http.get(url).status_code == 200 and window.fired == 3
    emu.clear_faults()
    assert emu.faults.all() == [] and emu.faults.fired == 0


def test_match_by_path_method_and_host(emu):
    session = emu.http_client()
    regional = "https://westus.login.microsoft.com/%s/oauth2/v2.0/token" % emu.tenant_id
    fault = emu.inject("status", "token", host="*.login.microsoft.com", status=500)
    assert session.post(emu.token_endpoint(), data=cc_form(emu)).status_code == 200
    assert session.post(regional, data=cc_form(emu)).status_code == 500
    assert session.post(regional, data=cc_form(emu)).status_code == 200
    assert fault.fired == 1
    hosts = [r["host"] for r in emu.requests.matching("/oauth2/v2.0/token")]
    assert hosts == ["localhost:%d" % emu.port] + ["westus.login.microsoft.com"] * 2
    emu.inject("status", path=r"/keys$", method="POST")
    assert session.get(emu.authority() + "/discovery/v2.0/keys").status_code == 200


def test_request_log_records_time(emu, http):
    before = time.time()
    http.get(discovery_url(emu))
    assert before <= emu.requests[0]["time"] <= time.time()


def test_unknown_kind_or_endpoint(emu):
    with pytest.raises(ValueError):
        emu.inject("explode", "token")
    with pytest.raises(ValueError):
        emu.inject("status", "tokens")
    with pytest.raises(ValueError):
        emu.inject("status", "token", times=None)


def test_http_admin_api(emu, http):
    admin = emu.base_url + "/_emulator/faults"
    resp = http.post(
        admin, json={"kind": "status", "endpoint": "token", "status": 429, "retry_after": "3", "name": "busy"}
    )
    assert resp.status_code == 201 and resp.json()["name"] == "busy"
    assert http.token(cc_form(emu)).status_code == 429
    listed = http.get(admin).json()
    assert listed["fired"] == 1 and listed["faults"][0]["fired"] == 1
    assert http.post(admin, json={"kind": "nope"}).status_code == 400
    assert http.post(admin, json={"endpoint": "token"}).status_code == 400
    assert http.delete(admin).json() == {"cleared": 1}
    assert emu.faults.all() == []
    assert [r["path"] for r in emu.requests] == ["/%s/oauth2/v2.0/token" % emu.tenant_id]


def test_reset_overrides_undoes_every_control(emu, http):
    emu.inject("status", "token")
    emu.set_mex_document("x")
    emu.device_code_interval = 1
    emu.reset_overrides()
    assert emu.faults.all() == [] and emu.mex_override is None
    assert emu.device_code_interval == 5


FAULT_NAMES_OF_OLD = (
    "token discovery instance_discovery devicecode deviceauth authorize userrealm mex wstrust jwks "
    "userinfo imds app_service arc machine_learning cloud_shell service_fabric"
).split()


def test_faults_name_the_routes_of_the_route_table(emu):
    routes = emu.dispatch.routes.routes
    assert emu.faults.routes == emu.dispatch.routes.names()
    assert set(FAULT_NAMES_OF_OLD) <= set(emu.faults.routes)
    declared = [(method, r.path) for r in routes for method in r.methods]
    assert len(declared) == len(set(declared)), "an endpoint is declared twice"
    assert not any(r.control for r in routes if r.name in emu.faults.routes)


@pytest.mark.parametrize("name", ["tokens", "control_faults", "Token"])
def test_a_fault_naming_no_route_is_an_error_at_injection(emu, name):
    with pytest.raises(
        ValueError,
        match="unknown route %r: a fault names one of the routes app_service, arc, authorize, " % name,
    ):
        emu.inject("status", name)
    assert emu.faults.all() == []


def test_a_fault_fires_on_every_route_of_its_name(emu, http):
    fault = emu.inject("status", "token", times=None, seconds=600)
    session = emu.http_client()
    entra = http.post(emu.token_endpoint(), data={})
    adfs = http.post(emu.base_url + "/adfs/oauth2/token/", data={})
    b2c = session.post(emu.b2c_authority("B2C_1_ropc") + "/oauth2/v2.0/token", data={})
    assert [entra.status_code, adfs.status_code, b2c.status_code] == [503, 503, 503]
    assert http.get(discovery_url(emu)).status_code == 200
    assert http.post(emu.authority() + "/oauth2/v2.0/devicecode", data={}).status_code != 503
    assert fault.fired == 3
