"""Managed identity sources: the local token endpoints Azure hosts give their workloads.

Each source answers in its own shape, as the real hosts do:

==================  =====================================  ===============================
source              request                                 answer
==================  =====================================  ===============================
VM metadata (IMDS)  GET /metadata/identity/oauth2/token,   expires_in/expires_on strings,
                    api-version 2018-02-01, Metadata: true  refresh_in when configured
App Service         GET /msi/token, api-version 2019-08-01, expires_on (epoch string);
                    X-IDENTITY-HEADER                       errors: statusCode + message
Azure Arc           GET /arc/metadata/identity/oauth2/      first 401 + WWW-Authenticate
                    token, api-version 2020-06-01           Basic realm=<key file>, then
                                                            IMDS-shaped with the key
Machine Learning    GET /ml/msi/token, api-version          expires_on; errors: statusCode
                    2017-09-01, header secret               + message
Cloud Shell         POST /cloudshell/oauth2/token, form     IMDS-shaped
                    resource, Metadata: true
Service Fabric      GET /servicefabric/metadata/identity/   expires_on (number); errors:
                    oauth2/token (HTTPS only), api-version  {"error": {"code", "message"}}
                    2019-07-01-preview, header Secret
==================  =====================================  ===============================

The plain-HTTP sources are served by a second listener on 127.0.0.1 (`emu.managed_identity`),
Service Fabric by the emulator's HTTPS port, whose certificate thumbprint plays the part of
`IDENTITY_SERVER_THUMBPRINT`. Identities: a system-assigned one and one user-assigned one
(client id, object id, resource id); Azure Arc knows only the system-assigned identity and
ignores any other id, as the real agent does.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import threading
import uuid
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional

from ..http import Request, Response, json_response
from ..tokens import random_id, time_claims

if TYPE_CHECKING:  # pragma: no cover
    from ..server import Emulator

IMDS_PATH = "/metadata/identity/oauth2/token"
APP_SERVICE_PATH = "/msi/token"
ARC_PATH = "/arc/metadata/identity/oauth2/token"
MACHINE_LEARNING_PATH = "/ml/msi/token"
CLOUD_SHELL_PATH = "/cloudshell/oauth2/token"
SERVICE_FABRIC_PATH = "/servicefabric/metadata/identity/oauth2/token"

SYSTEM_ASSIGNED = {
    "name": "system-assigned",
    "client_id": "5d7a8f4e-3c2b-4a1d-9e8f-7b6c5d4e3f21",
    "object_id": "a3b4c5d6-e7f8-4a9b-8c0d-1e2f3a4b5c6d",
    "resource_id": None,
}
USER_ASSIGNED = {
    "name": "user-assigned",
    "client_id": "8e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b",
    "object_id": "c7d8e9f0-1a2b-4c3d-8e4f-5a6b7c8d9e0f",
    "resource_id": "/subscriptions/0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e/resourcegroups"
    "/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/app-id",
}
DEFAULT_LIFETIME = 86399  # what IMDS reports for its 24 hour tokens


# ---- the sources ----------------------------------------------------------------------------


class _Refused(Exception):
    """A request the source refuses: the answer is ready-made."""

    def __init__(self, response: Response):
        super().__init__(response.status)
        self.response = response


def _imds_error(status: int, description: str, error: str = "invalid_request") -> _Refused:
    return _Refused(json_response({"error": error, "error_description": description}, status))


def _status_error(status: int, message: str) -> _Refused:
    """App Service and Machine Learning errors: statusCode, message, correlationId."""
    return _Refused(
        json_response({"statusCode": status, "message": message, "correlationId": str(uuid.uuid4())}, status)
    )


def _fabric_error(status: int, code: str, message: str) -> _Refused:
    return _Refused(json_response({"error": {"code": code, "message": message}}, status))


def _imds_refusal(text: str) -> _Refused:
    """A 400 in the shape of IMDS (and of Cloud Shell and Arc, which imitate it)."""
    return _imds_error(400, text)


def _answer(handler: Callable[["Emulator", Request], Response]) -> Callable[..., Response]:
    """Wrap a source so that a _Refused becomes its ready-made answer."""

    def endpoint(emu: "Emulator", req: Request, **groups: str) -> Response:
        try:
            return handler(emu, req)
        except _Refused as refused:
            return refused.response

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint


def _find_identity(host: "ManagedIdentityHost", by: Dict[str, Optional[str]]) -> Optional[Dict[str, Any]]:
    """The identity named by one of the id parameters; the system-assigned one without any."""
    given: Dict[str, str] = {k: v for k, v in by.items() if v}
    if len(given) > 1:
        return None
    if not given:
        return host.system_assigned
    ((kind, value),) = given.items()
    for identity in (host.system_assigned, host.user_assigned):
        named = identity.get(kind)
        if named and named.lower() == value.lower():
            return identity
    return None


def _resource(req: Request, refuse: Callable[[str], _Refused]) -> str:
    resource = req.param("resource")
    if not resource:
        raise refuse("Required audience parameter not specified")
    return resource


def _mint(emu: "Emulator", identity: Dict[str, Any], resource: str) -> Dict[str, Any]:
    """A signed token for the identity, with its expiry facts (epoch seconds)."""
    host = emu.managed_identity
    now = int(emu.clock())
    claims = {
        "aud": resource,
        "iss": "https://sts.windows.net/%s/" % emu.tenant_id,
        "appid": identity["client_id"],
        "appidacr": "2",
        "idp": "https://sts.windows.net/%s/" % emu.tenant_id,
        "idtyp": "app",
        "oid": identity["object_id"],
        "sub": identity["object_id"],
        "tid": emu.tenant_id,
        "uti": random_id(),
        "ver": "1.0",
    }
    if identity.get("resource_id"):
        claims["xms_mirid"] = identity["resource_id"]
    claims.update(time_claims(now, host.lifetime))
    return {
        "access_token": emu.signing_key.sign(claims),
        "expires_in": host.lifetime,
        "expires_on": now + host.lifetime,
        "not_before": now,
        "resource": resource,
        "token_type": "Bearer",
        "client_id": identity["client_id"],
    }


def _imds_shape(emu: "Emulator", token: Dict[str, Any]) -> Response:
    body = {k: str(v) for k, v in token.items()}
    body["ext_expires_in"] = body["expires_in"]
    refresh_in = emu.managed_identity.refresh_in
    if refresh_in is not None:
        body["refresh_in"] = str(refresh_in)
    return json_response(body)


@_answer
def imds(emu: "Emulator", req: Request) -> Response:
    """The Azure VM instance metadata service (also what AKS pod identity answers with)."""
    refuse = _imds_refusal
    if req.headers.get("metadata", "").lower() != "true":
        raise refuse("Required metadata header not specified")
    if req.query.get("api-version") != "2018-02-01":
        raise refuse("Invalid api-version")
    resource = _resource(req, refuse)
    identity = _find_identity(
        emu.managed_identity,
        {
            "client_id": req.query.get("client_id"),
            "object_id": req.query.get("object_id"),
            "resource_id": req.query.get("msi_res_id"),
        },
    )
    if identity is None:
        raise refuse("Identity not found")
    return _imds_shape(emu, _mint(emu, identity, resource))


@_answer
def cloud_shell(emu: "Emulator", req: Request) -> Response:
    """Azure Cloud Shell's local MSI endpoint: the signed-in user's token (here the VM's)."""
    refuse = _imds_refusal
    if req.headers.get("metadata", "").lower() != "true":
        raise refuse("Required metadata header not specified")
    resource = _resource(req, refuse)
    return _imds_shape(emu, _mint(emu, emu.managed_identity.system_assigned, resource))


def _expires_on_shape(token: Dict[str, Any], *, as_text: bool, extra: Dict[str, Any]) -> Response:
    body = {
        "access_token": token["access_token"],
        "expires_on": str(token["expires_on"]) if as_text else token["expires_on"],
        "resource": token["resource"],
        "token_type": token["token_type"],
    }
    body.update(extra)
    return json_response(body)


def _status_shaped(
    emu: "Emulator",
    req: Request,
    *,
    header: str,
    secret: str,
    api_version: str,
    id_params: Dict[str, str],
    client_id_field: str,
) -> Response:
    """App Service and Machine Learning: a secret header, expires_on, statusCode errors."""
    if req.headers.get(header) != secret:
        raise _status_error(401, "The request is missing or has a wrong %s header." % header)
    if req.query.get("api-version") != api_version:
        raise _status_error(400, "The api-version is not supported.")
    resource = _resource(req, lambda text: _status_error(400, text))
    identity = _find_identity(
        emu.managed_identity, {kind: req.query.get(name) for kind, name in id_params.items()}
    )
    if identity is None:
        raise _status_error(400, "No managed identity matches the requested id.")
    token = _mint(emu, identity, resource)
    return _expires_on_shape(token, as_text=True, extra={client_id_field: identity["client_id"]})


@_answer
def app_service(emu: "Emulator", req: Request) -> Response:
    """App Service and Azure Functions (IDENTITY_ENDPOINT, IDENTITY_HEADER)."""
    return _status_shaped(
        emu,
        req,
        header="x-identity-header",
        secret=emu.managed_identity.identity_header,
        api_version="2019-08-01",
        client_id_field="client_id",
        id_params={"client_id": "client_id", "object_id": "object_id", "resource_id": "mi_res_id"},
    )


@_answer
def machine_learning(emu: "Emulator", req: Request) -> Response:
    """Azure Machine Learning compute (MSI_ENDPOINT, MSI_SECRET)."""
    return _status_shaped(
        emu,
        req,
        header="secret",
        secret=emu.managed_identity.ml_secret,
        api_version="2017-09-01",
        client_id_field="clientid",
        id_params={"client_id": "clientid", "object_id": "object_id", "resource_id": "msi_res_id"},
    )


@_answer
def service_fabric(emu: "Emulator", req: Request) -> Response:
    """Service Fabric's managed identity token service (IDENTITY_ENDPOINT over HTTPS)."""
    host = emu.managed_identity
    if not req.headers.get("secret"):
        raise _fabric_error(401, "SecretHeaderNotFound", "Secret is not found in the request headers.")
    if req.headers["secret"] != host.service_fabric_secret:
        raise _fabric_error(401, "SecretHeaderNotFound", "The secret does not match.")
    if req.query.get("api-version") != "2019-07-01-preview":
        raise _fabric_error(400, "ArgumentNullOrEmpty", "The api-version is not supported.")
    resource = _resource(req, lambda text: _fabric_error(400, "ArgumentNullOrEmpty", text))
    token = _mint(emu, host.system_assigned, resource)
    return _expires_on_shape(token, as_text=False, extra={})


@_answer
def arc(emu: "Emulator", req: Request) -> Response:
    """The Azure Arc agent (himds): a challenge file only local administrators can read."""
    host = emu.managed_identity
    if req.headers.get("metadata", "").lower() != "true":
        raise _imds_error(400, "Required metadata header not specified")
    if req.query.get("api-version") != "2020-06-01":
        raise _imds_error(400, "Invalid api-version")
    resource = _resource(req, _imds_refusal)
    authorization = req.headers.get("authorization")
    if authorization is None:
        realm = host.arc_realm or host.new_arc_challenge()
        return Response(401, b"", [("WWW-Authenticate", "Basic realm=%s" % realm)])
    if not host.take_arc_secret(authorization):
        raise _imds_error(401, "The challenge key is wrong or was used already.", error="unauthorized_client")
    token = _mint(emu, host.system_assigned, resource)
    token.pop("client_id")  # the agent never says which identity the token is for
    return _imds_shape(emu, token)


# ---- the plain-HTTP listener and the test controls ---------------------------------------


class ManagedIdentityHost:
    """The managed identity side of an emulator: a plain-HTTP listener plus its settings.

    `environ(source)` gives the environment variables a workload of that source sees. Test
    controls (undone by `emu.reset_overrides()`): `lifetime` of the tokens, `refresh_in`
    (None: not sent), `arc_realm` (a path the Arc agent names instead of a file it wrote).
    """

    def __init__(self, emu: "Emulator", directory: str):
        self._emu = emu
        self.arc_key_folder = os.path.join(directory, "azcmagent-tokens")
        os.makedirs(self.arc_key_folder, exist_ok=True)
        self.system_assigned = dict(SYSTEM_ASSIGNED)
        self.user_assigned = dict(USER_ASSIGNED)
        self.identity_header = secrets.token_urlsafe(16)
        self.ml_secret = secrets.token_urlsafe(16)
        self.service_fabric_secret = secrets.token_urlsafe(16)
        self._arc_secrets: Dict[str, str] = {}
        self._lock = threading.Lock()
        self.reset()
        from ..lifecycle import HTTPSServer, serve_in_background

        self._server = HTTPSServer(("127.0.0.1", 0), emu, None)  # the emulator's server, no TLS
        self._thread = serve_in_background(self._server, "msal-emulator-managed-identity")

    def reset(self) -> None:
        """Back to the defaults: 24 hour tokens, refresh_in at half their life."""
        self.lifetime = DEFAULT_LIFETIME
        self.refresh_in: Optional[int] = DEFAULT_LIFETIME // 2
        self.arc_realm: Optional[str] = None  # a path for the agent to name instead of its own

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    @property
    def base_url(self) -> str:
        return "http://127.0.0.1:%d" % self._server.server_address[1]

    def environ(self, source: str) -> Dict[str, str]:
        """The variables a workload sees: `imds` (via AZURE_POD_IDENTITY_AUTHORITY_HOST),
        `app_service`, `arc`, `machine_learning`, `cloud_shell`, `service_fabric`."""
        base = self.base_url
        variables = {
            "imds": {"AZURE_POD_IDENTITY_AUTHORITY_HOST": base},
            "app_service": {
                "IDENTITY_ENDPOINT": base + APP_SERVICE_PATH,
                "IDENTITY_HEADER": self.identity_header,
            },
            "arc": {"IDENTITY_ENDPOINT": base + ARC_PATH, "IMDS_ENDPOINT": base},
            "machine_learning": {"MSI_ENDPOINT": base + MACHINE_LEARNING_PATH, "MSI_SECRET": self.ml_secret},
            "cloud_shell": {
                "MSI_ENDPOINT": base + CLOUD_SHELL_PATH,
                "AZUREPS_HOST_ENVIRONMENT": "cloud-shell/1.0",
                "AZURE_POD_IDENTITY_AUTHORITY_HOST": base,
            },
            "service_fabric": {
                "IDENTITY_ENDPOINT": self._emu.base_url + SERVICE_FABRIC_PATH,
                "IDENTITY_HEADER": self.service_fabric_secret,
                "IDENTITY_SERVER_THUMBPRINT": self._emu.server_pair.thumbprint,
            },
        }
        if source not in variables:
            raise KeyError(
                "unknown managed identity source %r; choose one of %s" % (source, ", ".join(variables))
            )
        return dict(variables[source])

    def new_arc_challenge(self) -> str:
        """Write a fresh key file, as the Arc agent does on each first request; its path."""
        name = uuid.uuid4().hex + ".key"
        secret = secrets.token_urlsafe(24)
        path = os.path.join(self.arc_key_folder, name)
        with open(path, "w") as handle:
            handle.write(secret)
        with self._lock:
            self._arc_secrets[secret] = path
        return path

    def take_arc_secret(self, authorization: str) -> bool:
        """True (once) for `Basic <key file content>` of a challenge this agent issued."""
        scheme, _, secret = authorization.partition(" ")
        with self._lock:
            path = self._arc_secrets.pop(secret.strip(), None) if scheme.lower() == "basic" else None
        if path is None:
            return False
        try:
            os.remove(path)
        except OSError:
            pass
        return True


def new_host(emu: "Emulator", directory: Optional[str] = None) -> ManagedIdentityHost:
    return ManagedIdentityHost(emu, directory or tempfile.mkdtemp(prefix="msal-emulator-mi-"))
