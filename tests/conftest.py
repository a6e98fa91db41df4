"""Shared helpers: applications wired to the local identity emulator over real HTTPS.

The ``emulator`` fixture (session-scoped) and ``emulator_requests`` (clears the request log)
come from the msal-emulator pytest plugin.
"""
import pytest

import msal

from helpers import query_of

pytest_plugins = ["leak_guard"]


@pytest.fixture
def emu(emulator_requests):
    """The running emulator, its request log cleared and its refresh tokens valid again."""
    return emulator_requests


@pytest.fixture
def make_app(emu):
    """Build an application for one of the emulator's registered apps."""
    def make(name, cls=None, **kwargs):
        app = emu.app(name)
        options = dict(authority=emu.authority(), verify=emu.ca_path, instance_discovery=False)
        options.update(kwargs)
        if app["kind"] == "public":
            return (cls or msal.PublicClientApplication)(app["client_id"], **options)
        options.setdefault("client_credential", emu.client_credential(name))
        return (cls or msal.ConfidentialClientApplication)(app["client_id"], **options)
    return make


@pytest.fixture
def signed_in(emu, make_app):
    """A web app with alice signed in through the auth code flow; returns (app, result)."""
    def sign_in(name="web-app", scopes=("User.Read",), username=None, **kwargs):
        app = make_app(name, **kwargs)
        user = emu.user(username or "alice@" + emu.tenant_domain)
        redirect_uri = emu.app(name)["redirect_uris"][0]
        flow = app.initiate_auth_code_flow(list(scopes), redirect_uri=redirect_uri)
        redirect = emu.sign_in(flow["auth_uri"], user["username"], user["password"])
        result = app.acquire_token_by_auth_code_flow(flow, query_of(redirect))
        assert "access_token" in result, result
        return app, result
    return sign_in
