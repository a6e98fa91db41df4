"""The managed identity sources: each one's checks and answer shape, over raw HTTP."""

import os

import jwt
import pytest
import requests

RESOURCE = "https://vault.azure.net"


@pytest.fixture
def host(emulator_clean):
    return emulator_clean.managed_identity


def imds_get(host, headers=None, **params):
    query = dict({"api-version": "2018-02-01", "resource": RESOURCE}, **params)
    return requests.get(
        host.base_url + "/metadata/identity/oauth2/token",
        params=query,
        headers={"Metadata": "true"} if headers is None else headers,
    )


def test_imds_answers_strings_and_a_signed_token(host, emulator_clean):
    body = imds_get(host).json()
    assert {k: type(v) for k, v in body.items() if k != "access_token"} == dict.fromkeys(
        [
            "expires_in",
            "expires_on",
            "ext_expires_in",
            "not_before",
            "resource",
            "token_type",
            "client_id",
            "refresh_in",
        ],
        str,
    )
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["aud"] == RESOURCE and claims["appid"] == host.system_assigned["client_id"]
    assert int(body["expires_on"]) - int(body["not_before"]) == host.lifetime


@pytest.mark.parametrize(
    "headers, params, description",
    [
        ({}, {}, "Required metadata header not specified"),
        (None, {"resource": ""}, "Required audience parameter not specified"),
        (None, {"api-version": "2017-09-01"}, "Invalid api-version"),
        (None, {"client_id": "unknown"}, "Identity not found"),
    ],
)
def test_imds_refusals(host, headers, params, description):
    resp = imds_get(host, headers, **params)
    assert resp.status_code == 400
    assert resp.json() == {"error": "invalid_request", "error_description": description}


def test_imds_finds_the_user_assigned_identity_by_any_id(host):
    for name, value in [
        ("client_id", host.user_assigned["client_id"]),
        ("object_id", host.user_assigned["object_id"]),
        ("msi_res_id", host.user_assigned["resource_id"]),
    ]:
        body = imds_get(host, **{name: value}).json()
        assert body["client_id"] == host.user_assigned["client_id"], name


def test_app_service_needs_its_header(host):
    url = host.environ("app_service")["IDENTITY_ENDPOINT"]
    query = {"api-version": "2019-08-01", "resource": RESOURCE}
    refused = requests.get(url, params=query, headers={"X-IDENTITY-HEADER": "wrong"})
    assert refused.status_code == 401
    assert {"statusCode", "message", "correlationId"} == set(refused.json())
    body = requests.get(url, params=query, headers={"X-IDENTITY-HEADER": host.identity_header}).json()
    assert body["expires_on"].isdigit() and "expires_in" not in body


def test_arc_key_is_single_use(host):
    url = host.environ("arc")["IDENTITY_ENDPOINT"]
    query = {"api-version": "2020-06-01", "resource": RESOURCE}
    challenge = requests.get(url, params=query, headers={"Metadata": "true"})
    assert challenge.status_code == 401
    path = challenge.headers["WWW-Authenticate"].split("realm=", 1)[1]
    assert os.path.dirname(path) == host.arc_key_folder and path.endswith(".key")
    with open(path) as handle:
        key = handle.read()
    headers = {"Metadata": "true", "Authorization": "Basic " + key}
    first = requests.get(url, params=query, headers=headers)
    assert first.status_code == 200 and "client_id" not in first.json()
    again = requests.get(url, params=query, headers=headers)
    assert again.status_code == 401 and again.json()["error"] == "unauthorized_client"
    assert not os.path.exists(path)


def test_service_fabric_is_served_over_https_only_with_its_secret(host, emulator_clean):
    env = host.environ("service_fabric")
    assert env["IDENTITY_ENDPOINT"].startswith("https://")
    assert env["IDENTITY_SERVER_THUMBPRINT"] == emulator_clean.server_pair.thumbprint
    query = {"api-version": "2019-07-01-preview", "resource": RESOURCE}
    refused = requests.get(env["IDENTITY_ENDPOINT"], params=query, verify=emulator_clean.ca_path)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "SecretHeaderNotFound"
    body = requests.get(
        env["IDENTITY_ENDPOINT"],
        params=query,
        verify=emulator_clean.ca_path,
        headers={"Secret": env["IDENTITY_HEADER"]},
    ).json()
    assert isinstance(body["expires_on"], int)


def test_cloud_shell_takes_a_form_post(host):
    resp = requests.post(
        host.base_url + "/cloudshell/oauth2/token", data={"resource": RESOURCE}, headers={"Metadata": "true"}
    )
    assert resp.status_code == 200 and resp.json()["resource"] == RESOURCE


def test_faults_by_source_name_and_controls_reset(host, emulator_clean):
    emulator_clean.inject("status", "imds", status=429, retry_after=5)
    throttled = imds_get(host)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "5"
    assert imds_get(host).status_code == 200
    host.lifetime, host.refresh_in = 60, None
    assert "refresh_in" not in imds_get(host).json()
    emulator_clean.reset_overrides()
    assert imds_get(host).json()["expires_in"] == "86399"


def test_unknown_source_name(host):
    with pytest.raises(KeyError, match="unknown managed identity source"):
        host.environ("lambda")
