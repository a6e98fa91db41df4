"""Small helpers the end-to-end tests share."""

import shutil
from urllib.parse import parse_qsl, urlparse

import msal

GRAPH_DEFAULT = "https://graph.microsoft.com/.default"

# Headless Chromium for the real-browser tests, with the flags it needs as root on a closed network
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def query_of(url):
    """The parameters of a redirect URL, as the web app would receive them."""
    return dict(parse_qsl(urlparse(url).query))


def token_posts(emu, grant_type=None):
    """The token requests the emulator received (optionally of one grant type)."""
    return [
        r
        for r in emu.requests
        if r["method"] == "POST"
        and r["path"].rstrip("/").endswith("/token")
        and (grant_type is None or r["form"].get("grant_type") == grant_type)
    ]


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


def npm_ci(directory):
    """Install a fixture's pinned npm packages unless node_modules already matches its lock."""
    import hashlib
    import os
    import subprocess

    with open(os.path.join(directory, "package-lock.json"), "rb") as f:
        want = hashlib.sha256(f.read()).hexdigest()
    stamp = os.path.join(directory, "node_modules", ".installed-lock")
    try:
        with open(stamp) as f:
            if f.read() == want:
                return
    except OSError:
        pass
    done = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund"], cwd=directory, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        raise RuntimeError("npm ci failed:\n" + done.stdout + done.stderr)
    with open(stamp, "w") as f:
        f.write(want)
