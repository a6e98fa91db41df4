"""The ``oidc_provider`` fixture: node-oidc-provider, a certified third-party OpenID provider.

Our emulator can share our misreadings of the protocol; this peer cannot. The fixture installs
the pinned npm package (``npm ci``, once), generates a throw-away CA, the HTTPS server
certificate and a client certificate, starts ``server.mjs`` on loopback and stops it at the end
of the session. Tests are skipped only when ``node`` or ``npm`` is missing.
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional

import msal
import pytest
from msal_emulator import certs

from support.node import npm_ci
from op_user import ScriptedUser

HERE = os.path.dirname(os.path.abspath(__file__))
START_TIMEOUT = 60
TENANT = "tenant1"
TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"
DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
WEB_REDIRECT_URI = "http://localhost:8400/callback"
RESOURCES = {"api://demo": ["read", "write", ".default"]}


@dataclass
class OidcProvider:
    """What a test needs to talk to the running provider."""

    authority: str
    ca_path: str
    clients: Dict[str, Dict[str, Any]]
    users: Dict[str, Dict[str, str]]
    client_cert: certs.KeyPair
    other_cert: certs.KeyPair  # Signed by the same CA, registered nowhere
    log_path: str
    _threads: List[threading.Thread] = field(default_factory=list)

    @property
    def user(self) -> Dict[str, str]:
        return self.users["alice"]

    def certificate_credential(self, **extra: Any) -> Dict[str, Any]:
        """A ``client_credential`` for the certificate client."""
        return dict(private_key=self.client_cert.key_pem, thumbprint=self.client_cert.thumbprint, **extra)

    def scripted_user(self, name: str = "alice", user_code: Optional[str] = None) -> ScriptedUser:
        user = self.users[name]
        return ScriptedUser(self.ca_path, user["username"], user["password"], user_code)

    def sign_in(self, auth_uri: str, name: str = "alice") -> str:
        """Play the user through sign-in and consent; the redirect URL the app receives."""
        return self.scripted_user(name).sign_in(auth_uri)

    def approve_device_code(self, flow: Dict[str, Any], name: str = "alice") -> str:
        """Enter the device flow's user code on the verification page, sign in, confirm."""
        return self.scripted_user(name, flow["user_code"]).sign_in(flow["verification_uri"])


def _npm_ci() -> None:
    npm_ci(HERE)


def _clients(client_cert_path: str) -> Dict[str, Dict[str, Any]]:
    no_redirects = dict(grant_types=["client_credentials"], response_types=[], redirect_uris=[])
    return {
        "secret": dict(
            client_id="daemon-secret",
            client_secret=secrets.token_urlsafe(24),
            token_endpoint_auth_method="client_secret_post",
            **no_redirects,
        ),
        "certificate": dict(
            client_id="daemon-certificate",
            certificates=[client_cert_path],
            token_endpoint_auth_method="private_key_jwt",
            **no_redirects,
        ),
        "native": dict(
            client_id="native-app",
            application_type="native",
            token_endpoint_auth_method="none",
            redirect_uris=["http://localhost"],
            grant_types=["authorization_code", "refresh_token", DEVICE_CODE_GRANT],
            response_types=["code"],
        ),
        "web": dict(
            client_id="web-app",
            client_secret=secrets.token_urlsafe(24),
            token_endpoint_auth_method="client_secret_post",
            redirect_uris=[WEB_REDIRECT_URI],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
        ),
    }


def _users() -> Dict[str, Dict[str, str]]:
    return {
        "alice": dict(
            uid="6f3b0a52-91d4-4c1e-8a43-2f1d0c9e7b10",
            username="alice@contoso.example",
            password=secrets.token_urlsafe(12),
            name="Alice Example",
        ),
        "bob": dict(
            uid="0c8e2d6a-5b7f-4e09-9d21-7a3c4b5e6f81",
            username="bob@contoso.example",
            password=secrets.token_urlsafe(12),
            name="Bob Example",
        ),
    }


def _write_material(directory: str):
    ca = certs.CertificateAuthority("oidc-provider test CA")
    server = ca.issue("localhost", names=certs.SERVER_NAMES, server=True)
    client_cert = ca.issue("daemon-certificate")
    paths = dict(
        ca=certs.write_text(directory, "ca.pem", ca.cert_pem),
        cert=certs.write_text(directory, "server.pem", server.cert_pem),
        key=certs.write_text(directory, "server-key.pem", server.key_pem),
        client_cert=certs.write_text(directory, "client.pem", client_cert.cert_pem),
    )
    return paths, client_cert, ca.issue("unregistered")


def _wait_for_ready(process: subprocess.Popen, log_path: str) -> str:
    """The authority printed on the READY line (stdout is read by a helper thread)."""
    lines: "queue.Queue[str]" = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    try:
        while True:
            line = lines.get(timeout=START_TIMEOUT)
            if line.startswith("READY "):
                return line.split(" ", 1)[1].strip()
    except queue.Empty:
        pass
    process.kill()
    with open(log_path) as f:
        raise RuntimeError("oidc-provider did not start:\n" + f.read())


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory) -> Iterator[OidcProvider]:
    if not (shutil.which("node") and shutil.which("npm")):
        pytest.skip("node and npm are needed to run node-oidc-provider (install Node.js >= 20)")
    _npm_ci()
    directory = str(tmp_path_factory.mktemp("oidc-provider"))
    paths, client_cert, other_cert = _write_material(directory)
    clients, users = _clients(paths["client_cert"]), _users()
    settings = dict(
        tlsCert=paths["cert"],
        tlsKey=paths["key"],
        port=0,
        tenant=TENANT,
        tenantId=TENANT_ID,
        deviceInterval=1,
        resources=RESOURCES,
        clients=list(clients.values()),
        users=list(users.values()),
    )
    settings_path = os.path.join(directory, "settings.json")
    with open(settings_path, "w") as f:
        json.dump(settings, f)
    log_path = os.path.join(directory, "server.log")
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            ["node", os.path.join(HERE, "server.mjs"), settings_path],
            cwd=HERE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    try:
        authority = _wait_for_ready(process, log_path)
        yield OidcProvider(authority, paths["ca"], clients, users, client_cert, other_cert, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def op_app(oidc_provider):
    """Build an msal application for one of the provider's clients, with a fresh cache."""

    def make(name: str, **kwargs: Any):
        client = oidc_provider.clients[name]
        options = dict(
            authority=oidc_provider.authority,
            verify=oidc_provider.ca_path,
            validate_authority=False,
            instance_discovery=False,
        )
        options.update(kwargs)
        if client["token_endpoint_auth_method"] == "none":
            return msal.PublicClientApplication(client["client_id"], **options)
        options.setdefault("client_credential", client.get("client_secret"))
        return msal.ConfidentialClientApplication(client["client_id"], **options)

    return make
