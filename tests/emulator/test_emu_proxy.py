"""The proxy mode: identity hosts answered by the emulator under their own names (certificates
from its CA), other hosts refused, or tunnelled when `upstream` allows them."""

import json
import socket
import socketserver
import ssl
import threading

import msal
import pytest
import requests

from msal_emulator import Emulator

GRAPH_DEFAULT = "https://graph.microsoft.com/.default"
ADFS_HOST = "sts.fabrikam.example"


class _Echo(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(b"echo:" + self.request.recv(100))


@pytest.fixture(scope="module")
def echo_server():
    """A plain TCP service on loopback, standing in for a host outside the identity platform."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def proxied(echo_server):
    with Emulator({"adfs_host": ADFS_HOST}, proxy_port=0, upstream=["127.0.0.1:%d" % echo_server]) as emu:
        yield emu
    emu.close()


@pytest.fixture
def proxy(proxied):
    proxied.clear_requests()
    return proxied


def session(emu):
    """requests through the proxy, trusting the emulator's CA (and nothing from the machine)."""
    s = requests.Session()
    s.trust_env = False
    s.proxies = {"https": emu.proxy_url}
    s.verify = emu.ca_path
    return s


def connect(emu, target):
    """Send a CONNECT line; the socket and the proxy's status line."""
    sock = socket.create_connection(("127.0.0.1", emu.proxy_port), timeout=10)
    sock.sendall(b"CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target.encode(), target.encode()))
    return sock, sock.recv(4096).split(b"\r\n", 1)[0].decode()


@pytest.mark.parametrize(
    "host, issuing_host",
    [
        ("login.microsoftonline.com", "login.microsoftonline.com"),
        ("login.windows.net", "login.microsoftonline.com"),
        ("westus2.login.microsoft.com", "westus2.login.microsoft.com"),
        ("login.microsoftonline.us", "login.microsoftonline.us"),
        ("login.usgovcloudapi.net", "login.microsoftonline.us"),
        ("login.chinacloudapi.cn", "login.partner.microsoftonline.cn"),
    ],
)
def test_identity_hosts_are_answered_under_their_own_name(proxy, host, issuing_host):
    """Each host answers as itself; the issuer is its cloud's, as Entra's is."""
    doc = (
        session(proxy)
        .get("https://%s/%s/v2.0/.well-known/openid-configuration" % (host, proxy.tenant_id), timeout=10)
        .json()
    )
    assert doc["issuer"] == "https://%s/%s/v2.0" % (issuing_host, proxy.tenant_id)
    assert doc["token_endpoint"].startswith("https://%s/" % host)
    [entry] = proxy.requests
    assert entry["host"] == host and entry["status"] == 200


def test_the_certificate_names_the_host_and_comes_from_the_emulator_ca(proxy):
    sock, status = connect(proxy, "contosob2c.b2clogin.com:443")
    assert status == "HTTP/1.1 200 Connection established"
    context = ssl.create_default_context(cafile=proxy.ca_path)
    with context.wrap_socket(sock, server_hostname="contosob2c.b2clogin.com") as tls:
        names = [v for k, v in tls.getpeercert()["subjectAltName"] if k == "DNS"]
    assert names == ["contosob2c.b2clogin.com"]


@pytest.mark.parametrize(
    "target, status",
    [
        ("example.com:443", "403"),
        ("login.microsoftonline.com:8443", "403"),
        ("login.microsoftonline.com:https", "400"),
    ],
)
def test_other_hosts_are_refused_with_a_reason(proxy, target, status):
    sock, line = connect(proxy, target)
    sock.close()
    assert line.startswith("HTTP/1.1 %s " % status)
    if status == "403":
        assert "offline" in line and "--upstream" in line
    [entry] = proxy.requests
    assert entry["method"] == "CONNECT" and entry["status"] == int(status)


def test_requests_explain_the_refusal(proxy):
    with pytest.raises(requests.exceptions.ProxyError, match="not an identity platform host"):
        session(proxy).get("https://graph.microsoft.com/v1.0/me", timeout=10)


def test_plain_http_is_refused(proxy):
    resp = requests.get("http://example.com/", proxies={"http": proxy.proxy_url}, timeout=10)
    assert resp.status_code == 405 and "HTTPS only" in resp.text


def test_upstream_hosts_are_tunnelled(proxy, echo_server):
    sock, status = connect(proxy, "127.0.0.1:%d" % echo_server)
    with sock:
        assert status == "HTTP/1.1 200 Connection established"
        sock.sendall(b"hello")
        assert sock.recv(100) == b"echo:hello"


@pytest.fixture
def proxy_environment(proxy, monkeypatch):
    """This process's environment pointing at the proxy and its CA, as an app's would."""
    for name in ("NO_PROXY", "no_proxy", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in proxy.proxy_environment().items():
        monkeypatch.setenv(name, value)


def test_this_library_runs_unchanged_through_the_proxy(proxy, proxy_environment):
    """The environment alone points msal (default options) at it."""
    app = msal.ConfidentialClientApplication(
        proxy.app("confidential-secret")["client_id"],
        client_credential=proxy.client_credential("confidential-secret"),
        authority="https://login.microsoftonline.com/contoso.onmicrosoft.com",
    )
    result = app.acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" in result, result
    assert {r["host"] for r in proxy.requests} == {"login.microsoftonline.com"}
    assert [r["form"]["grant_type"] for r in proxy.requests if r["method"] == "POST"] == [
        "client_credentials"
    ]


def test_instance_discovery_answers_as_entra_under_the_real_host(proxy):
    body = (
        session(proxy)
        .get(
            "https://login.microsoftonline.com/common/discovery/instance",
            timeout=10,
            params={
                "api-version": "1.1",
                "authorization_endpoint": "https://login.microsoftonline.us/contoso.onmicrosoft.com/oauth2/v2.0/authorize",
            },
        )
        .json()
    )
    assert body["tenant_discovery_endpoint"] == (
        "https://login.microsoftonline.us/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration"
    )
    networks = [m["preferred_network"] for m in body["metadata"]]
    assert networks[:5] == [
        "login.microsoftonline.com",
        "login.partner.microsoftonline.cn",
        "login.microsoftonline.de",
        "login.microsoftonline.us",
        "login-us.microsoftonline.com",
    ]
    assert "localhost" not in json.dumps(body)  # the emulator's own address is not Entra's


def test_proxy_needs_to_be_asked_for(emulator):
    assert emulator.proxy_url is None
    with pytest.raises(RuntimeError, match="proxy_port"):
        emulator.proxy_environment()


def test_federated_users_reach_the_configured_adfs_host(proxy, proxy_environment):
    carol = proxy.user("carol@fabrikam.example")
    app = msal.PublicClientApplication(
        proxy.app("public")["client_id"],
        authority="https://login.microsoftonline.com/contoso.onmicrosoft.com",
    )
    result = app.acquire_token_by_username_password(
        carol["username"], carol["password"], scopes=["User.Read"]
    )
    assert "access_token" in result, result
    hosts = {r["path"].split("/")[-1]: r["host"] for r in proxy.requests if "/adfs/" in r["path"]}
    assert hosts == {"mex": ADFS_HOST, "usernamemixed": ADFS_HOST}
