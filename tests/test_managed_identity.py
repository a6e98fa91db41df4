"""ManagedIdentityClient against the emulator's managed identity sources, over loopback.

Each source is selected the way a workload on that host would be: by environment variables
(the emulator's `managed_identity.environ(source)`), with IMDS reached through
AZURE_POD_IDENTITY_AUTHORITY_HOST and Arc's key folder moved to the emulator's.
"""

import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import jwt
import pytest
import requests

import msal
from msal import managed_identity as mi
from msal._managed_identity import arc

SOURCE_VARIABLES = (
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "AZUREPS_HOST_ENVIRONMENT",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
)
RESOURCE = "https://management.azure.com"
SOURCES = ("imds", "app_service", "arc", "machine_learning", "cloud_shell", "service_fabric")
PATHS = {
    "imds": "/metadata/identity/oauth2/token",
    "cloud_shell": "/metadata/identity/oauth2/token",
    "app_service": "/msi/token",
    "arc": "/arc/metadata/identity/oauth2/token",
    "machine_learning": "/ml/msi/token",
    "service_fabric": "/servicefabric/metadata/identity/oauth2/token",
}


@pytest.fixture
def host(emu, monkeypatch, secret_values):
    """The emulator's managed identity sources; no source variable of this machine leaks in."""
    mi_host = emu.managed_identity
    for name in SOURCE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(arc, "_key_folder_override", mi_host.arc_key_folder)
    secret_values.update([mi_host.identity_header, mi_host.ml_secret, mi_host.service_fabric_secret])
    return mi_host


@pytest.fixture
def use(host, monkeypatch):
    """use("app_service") makes this process look like a workload of that source."""

    def use_source(source):
        for name in SOURCE_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in host.environ(source).items():
            monkeypatch.setenv(name, value)

    return use_source


def client(identity=None, **kwargs):
    return msal.ManagedIdentityClient(
        identity or msal.SystemAssignedManagedIdentity(), http_client=requests.Session(), **kwargs
    )


def mi_requests(emu):
    return [r for r in emu.requests if r["path"] in PATHS.values()]


def claims_of(token):
    return jwt.decode(token, options={"verify_signature": False})


# ---- identities ------------------------------------------------------------------------------


def test_identities_are_mappings_of_the_documented_shape():
    system = msal.SystemAssignedManagedIdentity()
    assert dict(system) == {"ManagedIdentityIdType": "SystemAssigned", "Id": None}
    assert dict(msal.UserAssignedManagedIdentity(client_id="c")) == {
        "ManagedIdentityIdType": "ClientId",
        "Id": "c",
    }
    assert dict(msal.UserAssignedManagedIdentity(resource_id="/r")) == {
        "ManagedIdentityIdType": "ResourceId",
        "Id": "/r",
    }
    assert dict(msal.UserAssignedManagedIdentity(object_id="o")) == {
        "ManagedIdentityIdType": "ObjectId",
        "Id": "o",
    }
    assert mi.ManagedIdentity.is_system_assigned({"ManagedIdentityIdType": "SystemAssigned", "Id": None})
    assert mi.ManagedIdentity.is_user_assigned(msal.UserAssignedManagedIdentity(object_id="o"))
    assert issubclass(msal.ArcPlatformNotSupportedError, msal.ManagedIdentityError)
    assert issubclass(msal.ManagedIdentityError, ValueError)


@pytest.mark.parametrize("ids", [{}, {"client_id": "a", "object_id": "b"}])
def test_user_assigned_needs_exactly_one_id(ids):
    with pytest.raises(msal.ManagedIdentityError, match="one of the three"):
        msal.UserAssignedManagedIdentity(**ids)


@pytest.mark.parametrize(
    "identity",
    [
        {"ManagedIdentityIdType": "Bogus", "Id": "x"},
        {"ManagedIdentityIdType": "ClientId", "Id": None},
        {},
        "system",
        None,
        mi.ManagedIdentity("x"),
    ],
)
def test_client_refuses_unknown_identity_kinds(identity):
    with pytest.raises(msal.ManagedIdentityError, match="Incorrect managed_identity"):
        msal.ManagedIdentityClient(identity, http_client=requests.Session())


def test_an_identity_loaded_from_json_works(host, use, emu):
    use("imds")
    config = json.loads('{"ManagedIdentityIdType": "ClientId", "Id": "%s"}' % host.user_assigned["client_id"])
    result = client(config).acquire_token_for_client(resource=RESOURCE)
    assert claims_of(result["access_token"])["oid"] == host.user_assigned["object_id"]


@pytest.mark.parametrize("resource", [None, "", "  ", 42])
def test_resource_is_required(host, use, emu, resource):
    use("imds")
    with pytest.raises(ValueError, match="resource"):
        client().acquire_token_for_client(resource=resource)
    assert mi_requests(emu) == []


# ---- detection ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variables, expected",
    [
        (
            {
                "IDENTITY_ENDPOINT": "e",
                "IDENTITY_HEADER": "h",
                "IDENTITY_SERVER_THUMBPRINT": "t",
                "MSI_ENDPOINT": "m",
                "MSI_SECRET": "s",
            },
            mi.SERVICE_FABRIC,
        ),
        (
            {
                "IDENTITY_ENDPOINT": "e",
                "IDENTITY_HEADER": "h",
                "MSI_ENDPOINT": "m",
                "MSI_SECRET": "s",
                "IMDS_ENDPOINT": "i",
            },
            mi.APP_SERVICE,
        ),
        (
            {"IDENTITY_ENDPOINT": "e", "IMDS_ENDPOINT": "i", "MSI_ENDPOINT": "m", "MSI_SECRET": "s"},
            mi.MACHINE_LEARNING,
        ),
        (
            {"IDENTITY_ENDPOINT": "e", "IMDS_ENDPOINT": "i", "AZUREPS_HOST_ENVIRONMENT": "cloud-shell/1.0"},
            mi.AZURE_ARC,
        ),
        ({"MSI_ENDPOINT": "m", "AZUREPS_HOST_ENVIRONMENT": "cloud-shell/1.0"}, mi.CLOUD_SHELL),
        ({"AZUREPS_HOST_ENVIRONMENT": "Cloud-Shell"}, mi.DEFAULT_TO_VM),
        ({"IDENTITY_HEADER": "h", "MSI_SECRET": "s", "IMDS_ENDPOINT": "i"}, mi.DEFAULT_TO_VM),
    ],
)
def test_source_detection_order(host, monkeypatch, variables, expected):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert mi.get_managed_identity_source() is expected


# ---- each source, end to end ---------------------------------------------------------------

EXPECTED_WIRE = {
    "imds": ("2018-02-01", {"metadata": "true", "x-client-sku": "MSAL.Python"}),
    "cloud_shell": ("2018-02-01", {"metadata": "true", "x-client-sku": "MSAL.Python"}),
    "app_service": ("2019-08-01", {"metadata": "true"}),
    "arc": ("2020-06-01", {"metadata": "true"}),
    "machine_learning": ("2017-09-01", {}),
    "service_fabric": ("2019-07-01-preview", {}),
}


@pytest.mark.parametrize("source", SOURCES)
def test_each_source_end_to_end(host, use, emu, source):
    use(source)
    result = client().acquire_token_for_client(resource=RESOURCE)

    assert result["token_source"] == "identity_provider"
    assert result["token_type"] == "Bearer" and 0 < result["expires_in"] <= host.lifetime
    claims = claims_of(result["access_token"])
    assert claims["aud"] == RESOURCE and claims["oid"] == host.system_assigned["object_id"]
    sent = mi_requests(emu)
    api_version, headers = EXPECTED_WIRE[source]
    assert {r["path"] for r in sent} == {PATHS[source]}
    assert all(
        r["method"] == "GET"
        and r["query"]["resource"] == RESOURCE
        and r["query"]["api-version"] == api_version
        for r in sent
    )
    assert headers.items() <= sent[-1]["headers"].items()


def test_each_source_sends_its_secret_header(host, use, emu):
    for source, header, value in [
        ("app_service", "x-identity-header", host.identity_header),
        ("machine_learning", "secret", host.ml_secret),
        ("service_fabric", "secret", host.service_fabric_secret),
    ]:
        use(source)
        emu.clear_requests()
        assert "access_token" in client().acquire_token_for_client(resource=RESOURCE)
        assert mi_requests(emu)[0]["headers"][header] == value


def test_arc_meets_the_challenge_with_the_key_file(host, use, emu):
    use("arc")
    result = client().acquire_token_for_client(resource=RESOURCE)
    assert "access_token" in result
    first, second = mi_requests(emu)
    assert "authorization" not in first["headers"]
    assert second["headers"]["authorization"].startswith("Basic ")
    assert os.listdir(host.arc_key_folder) == []  # the agent took its key back


@pytest.mark.parametrize(
    "source, names",
    [
        ("imds", {"ClientId": "client_id", "ObjectId": "object_id", "ResourceId": "msi_res_id"}),
        ("app_service", {"ClientId": "client_id", "ObjectId": "object_id", "ResourceId": "mi_res_id"}),
        ("machine_learning", {"ClientId": "clientid", "ObjectId": "object_id", "ResourceId": "msi_res_id"}),
    ],
)
def test_user_assigned_ids_on_the_wire(host, use, emu, source, names):
    use(source)
    ids = {
        "ClientId": host.user_assigned["client_id"],
        "ObjectId": host.user_assigned["object_id"],
        "ResourceId": host.user_assigned["resource_id"],
    }
    for kind, value in ids.items():
        emu.clear_requests()
        identity = {"ManagedIdentityIdType": kind, "Id": value}
        result = client(identity).acquire_token_for_client(resource=RESOURCE)
        assert claims_of(result["access_token"])["oid"] == host.user_assigned["object_id"]
        assert mi_requests(emu)[0]["query"][names[kind]] == value


def test_an_unknown_user_assigned_identity_is_the_sources_error(host, use, emu):
    use("imds")
    result = client(msal.UserAssignedManagedIdentity(client_id="no-such-id")).acquire_token_for_client(
        resource=RESOURCE
    )
    assert result == {"error": "invalid_request", "error_description": "Identity not found"}


def test_arc_refuses_a_token_for_the_wrong_identity(host, use, emu):
    use("arc")
    cache = msal.SerializableTokenCache()
    identity = msal.UserAssignedManagedIdentity(client_id=host.user_assigned["client_id"])
    with pytest.raises(msal.ManagedIdentityError, match="user-assigned"):
        client(identity, token_cache=cache).acquire_token_for_client(resource=RESOURCE)
    assert json.loads(cache.serialize()).get("AccessToken", {}) == {}


# ---- cache and refresh -------------------------------------------------------------------


def test_second_call_is_served_from_the_cache(host, use, emu):
    use("imds")
    app = client()
    first = app.acquire_token_for_client(resource=RESOURCE)
    emu.clear_requests()
    second = app.acquire_token_for_client(resource=RESOURCE)
    assert mi_requests(emu) == []
    assert second["token_source"] == "cache"
    assert second["access_token"] == first["access_token"]
    assert second["refresh_on"] == first["refresh_on"]
    assert set(second) == {"access_token", "token_type", "expires_in", "token_source", "refresh_on"}


def test_cache_entries_follow_the_unified_schema(host, use, emu):
    use("imds")
    cache = msal.SerializableTokenCache()
    user = msal.UserAssignedManagedIdentity(client_id=host.user_assigned["client_id"])
    client(token_cache=cache).acquire_token_for_client(resource=RESOURCE)
    client(user, token_cache=cache).acquire_token_for_client(resource=RESOURCE)
    tokens = json.loads(cache.serialize())["AccessToken"]
    system_key = "-localhost-accesstoken--managed_identity-" + RESOURCE
    user_key = "-localhost-accesstoken-%s-managed_identity-%s" % (host.user_assigned["client_id"], RESOURCE)
    assert set(tokens) == {system_key, user_key}
    entry = tokens[system_key]
    assert entry["client_id"] is None and entry["home_account_id"] is None
    assert (entry["environment"], entry["realm"], entry["target"]) == (
        "localhost",
        "managed_identity",
        RESOURCE,
    )
    assert int(entry["refresh_on"]) - int(entry["cached_at"]) == host.refresh_in
    assert int(entry["expires_on"]) - int(entry["cached_at"]) == host.lifetime


def test_refresh_in_sent_by_the_source_sets_refresh_on(host, use, emu):
    use("imds")
    host.refresh_in = 600
    before = int(time.time())
    result = client().acquire_token_for_client(resource=RESOURCE)
    assert result["refresh_in"] == 600
    assert before + 600 <= result["refresh_on"] <= int(time.time()) + 600


def test_short_tokens_without_refresh_in_have_no_refresh_on(host, use, emu):
    use("imds")
    host.lifetime, host.refresh_in = 3600, None
    result = client().acquire_token_for_client(resource=RESOURCE)
    assert "refresh_on" not in result and "refresh_in" not in result


def _cache_due_for_refresh(host, use):
    """A cache whose token has passed its refresh_on but is still valid."""
    use("imds")
    cache = msal.SerializableTokenCache()
    old = client(token_cache=cache).acquire_token_for_client(resource=RESOURCE)
    state = json.loads(cache.serialize())
    for entry in state["AccessToken"].values():
        entry["refresh_on"] = str(int(time.time()) - 60)
    cache.deserialize(json.dumps(state))
    return cache, old


def test_a_token_past_refresh_on_is_refreshed(host, use, emu):
    cache, old = _cache_due_for_refresh(host, use)
    emu.clear_requests()
    new = client(token_cache=cache).acquire_token_for_client(resource=RESOURCE)
    assert len(mi_requests(emu)) == 1
    assert new["token_source"] == "identity_provider"
    assert new["access_token"] != old["access_token"]
    assert len(json.loads(cache.serialize())["AccessToken"]) == 1


@pytest.mark.parametrize(
    "fault", [{"kind": "status", "status": 500}, {"kind": "drop"}, {"kind": "truncated_json"}]
)
def test_a_failed_refresh_returns_the_still_valid_token(host, use, emu, fault):
    cache, old = _cache_due_for_refresh(host, use)
    emu.inject(endpoint="imds", **fault)
    result = client(token_cache=cache).acquire_token_for_client(resource=RESOURCE)
    assert emu.faults.fired == 1
    assert result["token_source"] == "cache" and result["access_token"] == old["access_token"]


def test_concurrent_callers_share_one_request(host, use, emu):
    use("imds")
    app = client()
    emu.inject("slow", "imds", delay=1)
    start = threading.Barrier(8)

    def call():
        start.wait()
        return app.acquire_token_for_client(resource=RESOURCE)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: call(), range(8)))
    assert len(mi_requests(emu)) == 1
    assert len({r["access_token"] for r in results}) == 1


def test_claims_challenge_bypasses_the_cache(host, use, emu):
    use("imds")
    app = client()
    first = app.acquire_token_for_client(resource=RESOURCE)
    emu.clear_requests()
    second = app.acquire_token_for_client(
        resource=RESOURCE, claims_challenge='{"access_token":{"nbf":{"essential":true,"value":"1"}}}'
    )
    assert len(mi_requests(emu)) == 1
    assert second["token_source"] == "identity_provider"
    assert second["access_token"] != first["access_token"]


# ---- faults ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_is_an_error_dict(host, use, emu, status):
    use("imds")
    cache = msal.SerializableTokenCache()
    emu.inject("status", "imds", status=status)
    result = client(token_cache=cache).acquire_token_for_client(resource=RESOURCE)
    assert result["error"] == "server_error" and "access_token" not in result
    assert "AccessToken" not in json.loads(cache.serialize())


def test_429_is_an_error_and_throttles_the_next_call(host, use, emu):
    use("imds")
    app = client(http_cache={})
    emu.inject("status", "imds", status=429, retry_after=30)
    assert app.acquire_token_for_client(resource=RESOURCE)["error"] == "temporarily_unavailable"
    again = app.acquire_token_for_client(resource=RESOURCE)
    assert again["error"] == "temporarily_unavailable"
    assert len(mi_requests(emu)) == 1  # the second answer came from the http_cache
    other = client(http_cache={}).acquire_token_for_client(resource=RESOURCE)
    assert "access_token" in other and len(mi_requests(emu)) == 2


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "truncated_json"},
        {"kind": "html"},
        {"kind": "empty", "status": 500},
        {"kind": "body", "body": '{"access_token": "x", "expires_in": "soon"}'},
        {"kind": "body", "body": "[1, 2]"},
        {"kind": "body", "body": "[" * 100000},
    ],
)
def test_a_malformed_answer_is_a_clear_error(host, use, emu, fault):
    use("imds")
    cache = msal.SerializableTokenCache()
    emu.inject(endpoint="imds", **fault)
    with pytest.raises(msal.ManagedIdentityError, match="managed identity endpoint"):
        client(token_cache=cache).acquire_token_for_client(resource=RESOURCE)
    assert "AccessToken" not in json.loads(cache.serialize())


def test_an_imds_that_never_answers_times_out(host, use, emu):
    use("imds")
    emu.inject("slow", "imds", delay=3)
    app = client()
    app._timeout = 0.5
    with pytest.raises(msal.ManagedIdentityError, match="did not answer within 0.5 seconds"):
        app.acquire_token_for_client(resource=RESOURCE)


def test_an_unreachable_source_is_a_clear_error(host, monkeypatch):
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", "http://127.0.0.1:9")
    with pytest.raises(msal.ManagedIdentityError, match="could not be reached"):
        client().acquire_token_for_client(resource=RESOURCE)


@pytest.mark.parametrize(
    "source, header", [("app_service", "IDENTITY_HEADER"), ("machine_learning", "MSI_SECRET")]
)
def test_a_wrong_secret_is_the_sources_error(host, use, emu, monkeypatch, source, header):
    use(source)
    monkeypatch.setenv(header, "wrong")
    result = client().acquire_token_for_client(resource=RESOURCE)
    assert result["error"] == "invalid_scope"
    assert result["error_description"].startswith("401, ")


def test_service_fabric_error_codes_map_to_oauth_errors(host, use, emu, monkeypatch):
    use("service_fabric")
    monkeypatch.setenv("IDENTITY_HEADER", "wrong")
    result = client().acquire_token_for_client(resource=RESOURCE)
    assert result["error"] == "unauthorized_client"
    assert "SecretHeaderNotFound" in result["error_description"]


def test_service_fabric_refuses_a_certificate_of_another_thumbprint(host, use, emu, monkeypatch):
    use("service_fabric")
    monkeypatch.setenv("IDENTITY_SERVER_THUMBPRINT", "AB" * 20)
    with pytest.raises(msal.ManagedIdentityError, match="could not be reached"):
        client().acquire_token_for_client(resource=RESOURCE)
    assert mi_requests(emu) == []  # the secret never left


def test_service_fabric_needs_a_requests_session(host, use, emu):
    use("service_fabric")

    class NotASession:
        def get(self, *args, **kwargs):
            raise AssertionError("must not be called")

    app = msal.ManagedIdentityClient(msal.SystemAssignedManagedIdentity(), http_client=NotASession())
    with pytest.raises(msal.ManagedIdentityError, match="requests.Session"):
        app.acquire_token_for_client(resource=RESOURCE)


# ---- Arc's key file ------------------------------------------------------------------------


def _arc_refused(host, emu, realm, match):
    host.arc_realm = realm
    with pytest.raises(msal.ManagedIdentityError, match=match):
        client().acquire_token_for_client(resource=RESOURCE)
    assert [("authorization" in r["headers"]) for r in mi_requests(emu)] == [False]


def test_arc_refuses_a_key_file_outside_its_folder(host, use, emu, tmp_path):
    use("arc")
    outside = tmp_path / "stolen.key"
    outside.write_text("not for you")
    _arc_refused(host, emu, str(outside), "outside its token folder")


def test_arc_refuses_a_path_that_climbs_out_of_its_folder(host, use, emu, tmp_path):
    use("arc")
    (tmp_path / "x.key").write_text("not for you")
    climbing = os.path.join(
        host.arc_key_folder, os.path.relpath(str(tmp_path / "x.key"), host.arc_key_folder)
    )
    _arc_refused(host, emu, climbing, "outside its token folder")


def test_arc_refuses_a_key_that_links_out_of_its_folder(host, use, emu, tmp_path):
    use("arc")
    outside = tmp_path / "secret.key"
    outside.write_text("not for you")
    link = os.path.join(host.arc_key_folder, "link.key")
    os.symlink(str(outside), link)
    try:
        _arc_refused(host, emu, link, "outside its token folder")
    finally:
        os.remove(link)


@pytest.mark.parametrize(
    "name, size, match",
    [
        ("notes.txt", 1, "outside its token folder"),
        ("large.key", 4097, "4097 bytes, more than the 4096 allowed"),
    ],
)
def test_arc_refuses_a_file_in_its_folder_that_is_no_key(host, use, emu, name, size, match):
    use("arc")
    path = os.path.join(host.arc_key_folder, name)
    with open(path, "w") as handle:
        handle.write("k" * size)
    try:
        _arc_refused(host, emu, path, match)
    finally:
        os.remove(path)


def test_arc_sends_the_key_without_its_line_break(host, use, emu):
    use("arc")
    host.arc_realm = os.path.join(host.arc_key_folder, "written-by-hand.key")
    with open(host.arc_realm, "w") as handle:
        handle.write("key-from-a-file\n")
    try:
        result = client().acquire_token_for_client(resource=RESOURCE)
    finally:
        os.remove(host.arc_realm)
    assert result["error"] == "invalid_request"  # the agent never issued that key
    assert mi_requests(emu)[1]["headers"]["authorization"] == "Basic key-from-a-file"


def test_arc_refuses_a_challenge_without_a_realm(host, use, emu):
    use("arc")
    _arc_refused(host, emu, " ", "without a usable challenge")


def test_arc_on_an_unsupported_platform(host, use, emu, monkeypatch):
    use("arc")
    monkeypatch.setattr(arc, "_key_folder_override", None)
    monkeypatch.setattr(sys, "platform", "sunos5")
    with pytest.raises(msal.ArcPlatformNotSupportedError, match="Linux and Windows"):
        client().acquire_token_for_client(resource=RESOURCE)


@pytest.mark.parametrize("source, expires_on", [("app_service", "42"), ("service_fabric", 42)])
def test_a_token_that_came_expired_keeps_its_expiry_and_is_not_cached(host, use, emu, source, expires_on):
    """As the original: expires_in is what the source said, below 0 (a caller computing
    now + expires_in gets the source's expires_on back); the token is never served again."""
    use(source)
    answer = {
        "access_token": "came-expired",
        "expires_on": expires_on,
        "resource": RESOURCE,
        "token_type": "Bearer",
    }
    emu.inject("body", source, body=json.dumps(answer), content_type="application/json", times=2)
    cache = msal.SerializableTokenCache()
    app = client(token_cache=cache)
    for _ in range(2):
        before = int(time.time())
        result = app.acquire_token_for_client(resource=RESOURCE)
        after = int(time.time())
        assert result["token_source"] == "identity_provider"
        assert 42 - after <= result["expires_in"] <= 42 - before
        assert "refresh_on" not in result
    assert len(mi_requests(emu)) == 2
    assert json.loads(cache.serialize()).get("AccessToken", {}) == {}


def test_a_magicmock_cache_sends_each_call_to_the_source(host, use, emu):
    use("imds")
    cache = mock.MagicMock()
    app = client(token_cache=cache)
    for _ in range(2):
        assert app.acquire_token_for_client(resource=RESOURCE)["token_source"] == "identity_provider"
    assert len(mi_requests(emu)) == 2 and cache.add.call_count == 2
