"""Applications of this msal wired to the emulator over real HTTPS."""

import msal

from support.wire import query_of

GRAPH_DEFAULT = "https://graph.microsoft.com/.default"


def build_app(emu, name, cls=None, **kwargs):
    """An application for one of the emulator's registered apps, trusting its CA."""
    app = emu.app(name)
    options = dict(authority=emu.authority(), verify=emu.ca_path, instance_discovery=False)
    options.update(kwargs)
    if app["kind"] == "public":
        return (cls or msal.PublicClientApplication)(app["client_id"], **options)
    options.setdefault("client_credential", emu.client_credential(name))
    return (cls or msal.ConfidentialClientApplication)(app["client_id"], **options)


def sign_in(emu, name="web-app", scopes=("User.Read",), username=None, **kwargs):
    """Sign a user in to an app through the auth code flow; returns (app, result)."""
    app = build_app(emu, name, **kwargs)
    user = emu.user(username or "alice@" + emu.tenant_domain)
    flow = app.initiate_auth_code_flow(list(scopes), redirect_uri=emu.app(name)["redirect_uris"][0])
    redirect = emu.sign_in(flow["auth_uri"], user["username"], user["password"])
    return app, app.acquire_token_by_auth_code_flow(flow, query_of(redirect))
