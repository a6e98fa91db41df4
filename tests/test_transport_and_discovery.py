"""The default HTTP client honours verify/proxies/timeout; discovery over the real wire."""

import socket
import threading
import time

import pytest
import requests

import msal
from support.apps import GRAPH_DEFAULT
from support.wire import token_posts


def test_verify_is_honoured_even_with_ca_bundle_environment_variables(emu, monkeypatch, make_app):
    # A CA bundle in the environment that does NOT contain the emulator's CA: requests would
    # let it override Session.verify; the documented verify= parameter must still win.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", requests.certs.where())
    monkeypatch.setenv("CURL_CA_BUNDLE", requests.certs.where())
    assert "access_token" in make_app("confidential-secret").acquire_token_for_client([GRAPH_DEFAULT])
    with pytest.raises(requests.exceptions.SSLError):
        make_app("confidential-secret", verify=True).acquire_token_for_client([GRAPH_DEFAULT])


@pytest.fixture
def silent_server():
    """A TCP server on loopback that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except socket.timeout:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


def test_timeout_is_honoured(silent_server):
    app = msal.ConfidentialClientApplication(
        "cid",
        client_credential="secret",
        timeout=0.5,
        instance_discovery=False,
        authority="https://127.0.0.1:{}/tenant".format(silent_server),
    )
    started = time.monotonic()
    with pytest.raises(requests.exceptions.Timeout):
        app.acquire_token_for_client([GRAPH_DEFAULT])
    assert time.monotonic() - started < 10  # Generous: a hang would be the failure


def test_unreachable_authority_is_a_clear_connection_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # Closed again: nothing listens there
    app = msal.ConfidentialClientApplication(
        "cid",
        client_credential="secret",
        instance_discovery=False,
        authority="https://127.0.0.1:{}/tenant".format(port),
    )
    with pytest.raises(requests.exceptions.ConnectionError):
        app.acquire_token_for_client([GRAPH_DEFAULT])


def test_proxies_are_used(emu, make_app):
    # A proxy that does not exist: the request must try it, and so fail to connect.
    app = make_app("confidential-secret", proxies={"https": "http://127.0.0.1:9"})
    with pytest.raises(requests.exceptions.ProxyError):
        app.acquire_token_for_client([GRAPH_DEFAULT])
    assert token_posts(emu) == []


def test_a_user_http_client_is_used_as_is(emu):
    client = emu.http_client()
    calls = []
    original_post = client.post

    def post(url, **kwargs):
        calls.append(url)
        return original_post(url, **kwargs)

    client.post = post
    app = msal.ConfidentialClientApplication(
        emu.app("confidential-secret")["client_id"],
        client_credential=emu.client_credential("confidential-secret"),
        authority=emu.authority(),
        http_client=client,
        instance_discovery=False,
    )
    assert "access_token" in app.acquire_token_for_client([GRAPH_DEFAULT])
    assert calls and calls[0].endswith("/oauth2/v2.0/token")


def test_well_known_public_cloud_authority_needs_no_instance_discovery(emu):
    app = msal.ConfidentialClientApplication(
        emu.app("confidential-secret")["client_id"],
        client_credential=emu.client_credential("confidential-secret"),
        authority="https://login.microsoftonline.com/" + emu.tenant_domain,
        http_client=emu.http_client(),
    )
    result = app.acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" in result, result
    paths = [r["path"] for r in emu.requests]
    assert not any("discovery/instance" in p for p in paths)
    # A domain tenant is stored under the tenant id that discovery reveals
    [entry] = app.token_cache.find(msal.TokenCache.CredentialType.ACCESS_TOKEN)
    assert entry["realm"] == emu.tenant_id and entry["environment"] == "login.microsoftonline.com"


def test_unknown_host_is_checked_by_instance_discovery(emu):
    app = msal.PublicClientApplication(
        "cid", authority="https://login.unknown-cloud.example/common", http_client=emu.http_client()
    )
    with pytest.raises(ValueError, match="invalid_instance"):
        app.get_authorization_request_url(["User.Read"])
    [request] = [r for r in emu.requests if "discovery/instance" in r["path"]]
    assert request["host"].startswith("login.microsoftonline.com")
    assert (
        request["query"]["authorization_endpoint"]
        == "https://login.unknown-cloud.example/common/oauth2/v2.0/authorize"
    )


def test_instance_discovery_false_and_validate_authority_false_skip_it(emu):
    for options in ({"instance_discovery": False}, {"validate_authority": False}):
        emu.clear_requests()
        app = msal.ConfidentialClientApplication(
            emu.app("confidential-secret")["client_id"],
            client_credential=emu.client_credential("confidential-secret"),
            authority=emu.authority(),
            verify=emu.ca_path,
            **options,
        )
        assert "access_token" in app.acquire_token_for_client([GRAPH_DEFAULT])
        assert not any("discovery/instance" in r["path"] for r in emu.requests)


def test_discovery_is_asked_once_per_application(emu, make_app):
    app = make_app("confidential-secret")
    app.acquire_token_for_client([GRAPH_DEFAULT])
    app.acquire_token_for_client(["api://{}/.default".format(emu.app("web-api")["client_id"])])
    discovery = [r for r in emu.requests if r["path"].endswith("openid-configuration")]
    assert len(discovery) == 1


def test_an_app_with_a_query_in_its_authority_works_without_it(emu, make_app):
    app = make_app("confidential-secret", authority=emu.authority() + "?slice=testslice#top")
    assert "access_token" in app.acquire_token_for_client(["https://graph.microsoft.com/.default"])
    assert all("slice" not in str(r["query"]) and "slice" not in r["path"] for r in emu.requests)
