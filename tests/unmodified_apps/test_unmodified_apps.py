"""Apps written for the real cloud get their tokens from the emulator through its proxy.

Each app addresses https://login.microsoftonline.com/<tenant> and is unaware of the emulator;
the emulator's request log shows every request arrived under the real host name.
"""

import shutil

import pytest

from app_process import ALICE, NODE_APP, WEB_APP_REDIRECT_URI
from support import original
from support.node import npm_ci

LOGIN = "login.microsoftonline.com"
GRAPH_ID = "00000003-0000-0000-c000-000000000000"
INTERPRETERS = {
    "msal-1.22.0": original.PYTHON,
    "msal-1.39.0": original.PYTHON_139,
}


def interpreter(name):
    python = INTERPRETERS[name]
    if not python:
        pytest.skip("the original %s is set up by ./dev test (MSAL_ORIGINAL_*PYTHON unset)" % name)
    return python


def assert_served_as_login_host(proxy_emu, grant_type):
    """Every request went to the real host name (so through the proxy), the token one too."""
    assert proxy_emu.requests and all(r["host"] == LOGIN for r in proxy_emu.requests), proxy_emu.requests
    grants = [r["form"].get("grant_type") for r in proxy_emu.requests if r["method"] == "POST"]
    assert grant_type in grants


def assert_issued_here(proxy_emu, claims, app_name):
    assert claims["iss"] == "https://%s/%s/v2.0" % (LOGIN, proxy_emu.tenant_id)
    assert claims["tid"] == proxy_emu.tenant_id
    assert claims["aud"] == GRAPH_ID
    assert proxy_emu.app(app_name)["client_id"] in (claims.get("appid"), claims.get("azp"))


def approve(emu, app):
    """Play the user: open the page the app names (at the real host) and enter its code."""
    uri, user_code = app.device_code_prompt()
    assert uri == "https://%s/common/oauth2/deviceauth" % LOGIN
    emu.approve_device_code(user_code, *ALICE, verification_uri=uri)


def settings(proxy_emu, app_name, tenant=None):
    app = proxy_emu.app(app_name)
    values = {"AZURE_TENANT_ID": tenant or proxy_emu.tenant_id, "AZURE_CLIENT_ID": app["client_id"]}
    if app.get("client_secret"):
        values["AZURE_CLIENT_SECRET"] = app["client_secret"]
    return values


@pytest.mark.parametrize("version", sorted(INTERPRETERS))
@pytest.mark.parametrize("tenant", ["guid", "contoso.onmicrosoft.com"])
def test_msal_daemon(proxy_emu, start_app, version, tenant):
    tenant = proxy_emu.tenant_id if tenant == "guid" else tenant
    app = start_app(
        [interpreter(version), "msal_sample.py", "daemon"],
        **settings(proxy_emu, "confidential-secret", tenant),
    )
    outcome = app.result()
    assert outcome["msal"] == version.split("-")[1]
    assert_issued_here(proxy_emu, outcome["claims"], "confidential-secret")
    assert_served_as_login_host(proxy_emu, "client_credentials")


@pytest.mark.parametrize("version", sorted(INTERPRETERS))
@pytest.mark.parametrize("tenant", ["guid", "organizations"])
def test_msal_web_app(proxy_emu, start_app, version, tenant):
    tenant = proxy_emu.tenant_id if tenant == "guid" else tenant
    app = start_app(
        [interpreter(version), "msal_sample.py", "web-app"],
        REDIRECT_URI=WEB_APP_REDIRECT_URI,
        **settings(proxy_emu, "flask-sample", tenant),
    )
    auth_uri = app.next_line()
    assert auth_uri.startswith("https://%s/%s/oauth2/v2.0/authorize?" % (LOGIN, tenant))
    redirected_to = proxy_emu.sign_in(auth_uri, *ALICE)
    assert redirected_to.startswith(WEB_APP_REDIRECT_URI + "?code=")
    app.send(redirected_to)
    outcome = app.result()
    assert_issued_here(proxy_emu, outcome["claims"], "flask-sample")
    assert outcome["accounts"] == [ALICE[0]] and outcome["silent"] is True
    assert_served_as_login_host(proxy_emu, "authorization_code")


@pytest.mark.parametrize("version", sorted(INTERPRETERS))
def test_msal_device_code(proxy_emu, start_app, version):
    app = start_app([interpreter(version), "msal_sample.py", "device-code"], **settings(proxy_emu, "public"))
    approve(proxy_emu, app)
    outcome = app.result()
    assert_issued_here(proxy_emu, outcome["claims"], "public")
    assert outcome["accounts"] == [ALICE[0]]
    assert_served_as_login_host(proxy_emu, "urn:ietf:params:oauth:grant-type:device_code")


@pytest.mark.parametrize("version", sorted(INTERPRETERS))
def test_msal_username_password(proxy_emu, start_app, version):
    app = start_app(
        [interpreter(version), "msal_sample.py", "username-password"],
        AZURE_USERNAME=ALICE[0],
        AZURE_PASSWORD=ALICE[1],
        **settings(proxy_emu, "public"),
    )
    outcome = app.result()
    assert outcome["claims"]["oid"] == proxy_emu.user("alice")["oid"]
    assert_issued_here(proxy_emu, outcome["claims"], "public")
    assert outcome["accounts"] == [ALICE[0]] and outcome["silent"] is True
    assert_served_as_login_host(proxy_emu, "password")


def test_azure_identity_client_secret(proxy_emu, start_app):
    app = start_app(
        [interpreter("msal-1.39.0"), "azure_identity_sample.py", "client-secret"],
        **settings(proxy_emu, "confidential-secret"),
    )
    outcome = app.result()
    assert_issued_here(proxy_emu, outcome["claims"], "confidential-secret")
    assert_served_as_login_host(proxy_emu, "client_credentials")


def test_azure_identity_device_code(proxy_emu, start_app):
    app = start_app(
        [interpreter("msal-1.39.0"), "azure_identity_sample.py", "device-code"],
        **settings(proxy_emu, "public"),
    )
    approve(proxy_emu, app)
    outcome = app.result()
    assert_issued_here(proxy_emu, outcome["claims"], "public")
    assert outcome["claims"]["oid"] == proxy_emu.user("alice")["oid"]
    assert_served_as_login_host(proxy_emu, "urn:ietf:params:oauth:grant-type:device_code")


@pytest.fixture(scope="module")
def node():
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("node and npm are needed for the @azure/msal-node app (install Node.js >= 16)")
    npm_ci(NODE_APP)
    return shutil.which("node")


def test_msal_node_client_credentials(proxy_emu, start_app, node):
    app = start_app(
        [node, "app.mjs", "client-credentials"], cwd=NODE_APP, **settings(proxy_emu, "confidential-secret")
    )
    outcome = app.result()
    assert_issued_here(proxy_emu, outcome["claims"], "confidential-secret")
    assert_served_as_login_host(proxy_emu, "client_credentials")


def test_msal_node_device_code(proxy_emu, start_app, node):
    app = start_app([node, "app.mjs", "device-code"], cwd=NODE_APP, **settings(proxy_emu, "public"))
    approve(proxy_emu, app)
    outcome = app.result()
    assert_issued_here(proxy_emu, outcome["claims"], "public")
    assert outcome["account"] == ALICE[0]
    assert_served_as_login_host(proxy_emu, "device_code")  # msal-node's short name
