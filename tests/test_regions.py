"""azure_region: regional token endpoints for client credentials, and region discovery."""

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import urlsplit, urlunsplit

import pytest
from requests.adapters import HTTPAdapter

import msal
from support.apps import GRAPH_DEFAULT
from support.wire import token_posts


class FakeImds(object):
    """A stand-in for the Azure VM metadata service (which cannot run here), on loopback,
    answering the documented location query in its wire format."""

    def __init__(self, location="centralus"):
        self.location, self.requests = location, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append((self.path, self.headers.get("Metadata")))
                ok = (
                    self.path.startswith("/metadata/instance/compute/location?")
                    and "format=text" in self.path
                    and self.headers.get("Metadata") == "true"
                )
                body = (outer.location if ok else "Bad request").encode()
                self.send_response(200 if ok else 400)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def adapter(self):
        port = self.server.server_address[1]

        class ToLoopback(HTTPAdapter):
            def send(self, request, **kwargs):
                parts = urlsplit(request.url)
                request.url = urlunsplit(("http", "127.0.0.1:%d" % port, parts.path, parts.query, ""))
                return super().send(request, **kwargs)

        return ToLoopback()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def imds():
    server = FakeImds()
    yield server
    server.close()


def public_cloud_app(emu, http_client=None, **kwargs):
    return msal.ConfidentialClientApplication(
        emu.app("confidential-secret")["client_id"],
        client_credential=emu.client_credential("confidential-secret"),
        authority="https://login.microsoftonline.com/" + emu.tenant_id,
        http_client=http_client or emu.http_client(),
        **kwargs,
    )


def test_explicit_region_goes_to_the_regional_endpoint(emu):
    app = public_cloud_app(emu, azure_region="westus")
    result = app.acquire_token_for_client([GRAPH_DEFAULT])
    assert "access_token" in result, result
    [post] = token_posts(emu)
    assert post["host"] == "westus.login.microsoft.com"
    [entry] = app.token_cache.find(msal.TokenCache.CredentialType.ACCESS_TOKEN)
    assert entry["environment"] == "login.microsoftonline.com", "cached under the global host"
    assert app.acquire_token_for_client([GRAPH_DEFAULT])["token_source"] == "cache"


def test_region_name_from_the_environment(emu, monkeypatch):
    monkeypatch.setenv("REGION_NAME", "East US 2")
    app = public_cloud_app(emu, azure_region=msal.ClientApplication.ATTEMPT_REGION_DISCOVERY)
    assert "access_token" in app.acquire_token_for_client([GRAPH_DEFAULT])
    assert token_posts(emu)[0]["host"] == "eastus2.login.microsoft.com"


def test_region_from_the_metadata_service_is_asked_once(emu, imds, monkeypatch):
    monkeypatch.delenv("REGION_NAME", raising=False)
    session = emu.http_client()
    session.mount("http://169.254.169.254/", imds.adapter())
    app = public_cloud_app(emu, http_client=session, azure_region=True)
    app.acquire_token_for_client([GRAPH_DEFAULT])
    app.acquire_token_for_client(["api://{}/.default".format(emu.app("web-api")["client_id"])])
    assert [p["host"] for p in token_posts(emu)] == ["centralus.login.microsoft.com"] * 2
    assert len(imds.requests) == 1 and imds.requests[0][1] == "true"


def test_no_metadata_service_falls_back_to_the_global_endpoint(emu, monkeypatch):
    monkeypatch.delenv("REGION_NAME", raising=False)
    app = public_cloud_app(emu, azure_region=True)  # 169.254.169.254 is unreachable here
    assert "access_token" in app.acquire_token_for_client([GRAPH_DEFAULT])
    assert token_posts(emu)[0]["host"] == "login.microsoftonline.com"


def test_region_off_and_other_flows_unaffected(emu):
    app = public_cloud_app(emu)
    app.acquire_token_for_client([GRAPH_DEFAULT])
    assert token_posts(emu)[0]["host"] == "login.microsoftonline.com"
    regional = public_cloud_app(emu, azure_region="westus")
    emu.clear_requests()
    url = regional.get_authorization_request_url(["User.Read"])
    assert url.startswith("https://login.microsoftonline.com/")


@pytest.mark.parametrize("bad", ["west us", "westus.evil.example", "-westus", "x" * 64, 42, ""])
def test_a_region_that_is_not_a_hostname_label_is_refused(bad):
    with pytest.raises(ValueError, match="azure_region"):
        msal.ConfidentialClientApplication("cid", client_credential="s", azure_region=bad)
