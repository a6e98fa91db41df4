"""Which source serves this machine's managed identity, and how each one is asked.

Detection reads the environment, first match wins:

1. ``IDENTITY_ENDPOINT`` + ``IDENTITY_HEADER`` + ``IDENTITY_SERVER_THUMBPRINT``: Service Fabric;
2. ``IDENTITY_ENDPOINT`` + ``IDENTITY_HEADER``: App Service (and Functions);
3. ``MSI_ENDPOINT`` + ``MSI_SECRET``: Azure Machine Learning;
4. ``IDENTITY_ENDPOINT`` + ``IMDS_ENDPOINT``, or the Arc agent's ``himds`` installed: Azure Arc;
5. ``AZUREPS_HOST_ENVIRONMENT`` starting with ``cloud-shell``: Cloud Shell, whose tokens come
   from the VM metadata service like a VM's;
6. otherwise the VM metadata service (IMDS) at ``http://169.254.169.254``, or at
   ``AZURE_POD_IDENTITY_AUTHORITY_HOST`` when set (AKS pod identity).

Every request is a GET carrying ``resource`` and the source's ``api-version``:

==================  ===================  =========================================  ======================
source              api-version          headers                                    user-assigned id
==================  ===================  =========================================  ======================
IMDS                2018-02-01           Metadata: true, x-client-SKU, x-client-Ver, client_id, object_id,
                                         x-ms-client-request-id                     msi_res_id
App Service         2019-08-01           X-IDENTITY-HEADER, Metadata: true          client_id, object_id,
                                                                                    mi_res_id
Machine Learning    2017-09-01           secret                                     clientid, object_id,
                                                                                    msi_res_id
Azure Arc           2020-06-01           Metadata: true (+ Authorization, see arc)  client_id, object_id,
                                                                                    msi_res_id
Service Fabric      2019-07-01-preview   Secret                                     (not sent)
==================  ===================  =========================================  ======================

Answers: IMDS and Arc give ``expires_in``; the others ``expires_on`` (epoch seconds). Errors
come back as an ``error`` dict: IMDS's own JSON; ``invalid_request`` with the body for Arc;
``invalid_scope`` with ``"<statusCode>, <message>"`` for App Service and Machine Learning;
Service Fabric's ``error.code`` mapped to an OAuth error. An answer that is not JSON, or a
number that is not one, is a :class:`ManagedIdentityError`.
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable, Dict, Mapping, NamedTuple, Optional

from . import arc
from ..oauth2cli import jsontext
from ..oauth2cli.ids import random_uuid
from ..oauth2cli.tolerant import tolerant
from .errors import ManagedIdentityError


class Source(object):
    """A kind of host that serves managed identity tokens (compared by identity)."""

    def __init__(self, name: str) -> None:
        self.name = name

    @tolerant
    def __repr__(self) -> str:
        return "<managed identity source: %s>" % self.name


SERVICE_FABRIC = Source("Service Fabric")
APP_SERVICE = Source("App Service")
MACHINE_LEARNING = Source("Machine Learning")
AZURE_ARC = Source("Azure Arc")
CLOUD_SHELL = Source("Cloud Shell")
DEFAULT_TO_VM = Source("Azure VM metadata service")

IMDS_HOST = "http://169.254.169.254"
IMDS_PATH = "/metadata/identity/oauth2/token"
_FABRIC_ERRORS = {
    "SecretHeaderNotFound": "unauthorized_client",
    "ManagedIdentityNotFound": "invalid_client",
    "ArgumentNullOrEmpty": "invalid_scope",
}


def detect(environ: Mapping[str, str]) -> Source:
    """The source this environment points at (see the module docstring for the order)."""
    if "IDENTITY_ENDPOINT" in environ and "IDENTITY_HEADER" in environ:
        if "IDENTITY_SERVER_THUMBPRINT" in environ:
            return SERVICE_FABRIC
        return APP_SERVICE
    if "MSI_ENDPOINT" in environ and "MSI_SECRET" in environ:
        return MACHINE_LEARNING
    if arc.endpoint(environ):
        return AZURE_ARC
    if environ.get("AZUREPS_HOST_ENVIRONMENT", "").startswith("cloud-shell"):
        return CLOUD_SHELL
    return DEFAULT_TO_VM


class TokenRequest(NamedTuple):
    """One GET to a source, and how its answer reads."""

    source: Source
    url: str
    params: Dict[str, str]
    headers: Dict[str, str]
    parse: Callable[[int, Any], Dict[str, Any]]


def build(
    source: Source,
    environ: Mapping[str, str],
    id_type: Optional[str],
    id_value: Optional[str],
    resource: str,
    version: str,
) -> TokenRequest:
    """The request that asks `source` for a token of that identity for `resource`."""

    def ids(names: Dict[str, str]) -> Dict[str, str]:
        return {names[id_type]: id_value} if id_type in names and id_value else {}

    imds_ids = {"ClientId": "client_id", "ObjectId": "object_id", "ResourceId": "msi_res_id"}
    if source is SERVICE_FABRIC:
        return TokenRequest(
            source,
            environ["IDENTITY_ENDPOINT"],
            {"api-version": "2019-07-01-preview", "resource": resource},
            {"Secret": environ["IDENTITY_HEADER"]},
            _parse_fabric,
        )
    if source is APP_SERVICE:
        params = {"api-version": "2019-08-01", "resource": resource}
        params.update(ids({"ClientId": "client_id", "ObjectId": "object_id", "ResourceId": "mi_res_id"}))
        return TokenRequest(
            source,
            environ["IDENTITY_ENDPOINT"],
            params,
            {"X-IDENTITY-HEADER": environ["IDENTITY_HEADER"], "Metadata": "true"},
            _parse_status_shape,
        )
    if source is MACHINE_LEARNING:
        params = {"api-version": "2017-09-01", "resource": resource}
        params.update(ids({"ClientId": "clientid", "ObjectId": "object_id", "ResourceId": "msi_res_id"}))
        return TokenRequest(
            source, environ["MSI_ENDPOINT"], params, {"secret": environ["MSI_SECRET"]}, _parse_status_shape
        )
    if source is AZURE_ARC:
        params = {"api-version": "2020-06-01", "resource": resource}
        params.update(ids(imds_ids))
        return TokenRequest(
            source, arc.endpoint(environ) or arc.DEFAULT_ENDPOINT, params, {"Metadata": "true"}, _parse_arc
        )
    host = (environ.get("AZURE_POD_IDENTITY_AUTHORITY_HOST") or IMDS_HOST).rstrip("/")
    params = {"api-version": "2018-02-01", "resource": resource}
    params.update(ids(imds_ids))
    return TokenRequest(
        source,
        host + IMDS_PATH,
        params,
        {
            "Metadata": "true",
            "x-client-SKU": "MSAL.Python",
            "x-client-Ver": version,
            "x-ms-client-request-id": random_uuid(),
        },
        _parse_imds,
    )


# ---- answers --------------------------------------------------------------------------------


def _json(status: int, text: Any) -> Any:
    try:
        return jsontext.loads(text)
    except ValueError:
        raise ManagedIdentityError(
            "The managed identity endpoint answered HTTP %s with a body that is not JSON" % status
        ) from None


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ManagedIdentityError(
            "The managed identity endpoint answered a %s that is not a number" % name
        ) from None


def _token(payload: Dict[str, Any], expires_in: Optional[int]) -> Dict[str, Any]:
    """The fields a caller gets: access_token, expires_in, resource, token_type, refresh_in."""
    token: Dict[str, Any] = {"access_token": payload["access_token"]}
    if expires_in is not None:
        token["expires_in"] = expires_in
    for name in ("resource", "token_type"):
        if name in payload:
            token[name] = payload[name]
    if "refresh_in" in payload:
        token["refresh_in"] = _int(payload["refresh_in"], "refresh_in")
    return token


def _with_expires_on(payload: Dict[str, Any]) -> Dict[str, Any]:
    expires_on = _int(payload["expires_on"], "expires_on")
    return _token(payload, expires_on - int(time.time()))  # below 0 when already expired


def _parse_imds(status: int, text: Any) -> Dict[str, Any]:
    payload = _json(status, text)
    if not isinstance(payload, dict):
        raise ManagedIdentityError("The managed identity endpoint answered JSON that is no object")
    if 200 <= status < 300 and "access_token" in payload:
        if "expires_in" in payload:
            return _token(payload, _int(payload["expires_in"], "expires_in"))
        return _with_expires_on(payload) if "expires_on" in payload else _token(payload, None)
    if "error" in payload:
        return payload
    return {"error": "invalid_request", "error_description": json.dumps(payload)}


def _parse_arc(status: int, text: Any) -> Dict[str, Any]:
    if status == 200:
        result = _parse_imds(status, text)
        if "access_token" in result:
            return result
    return {"error": "invalid_request", "error_description": str(text or "")}


def _parse_status_shape(status: int, text: Any) -> Dict[str, Any]:
    """App Service and Machine Learning: expires_on, or statusCode and message."""
    payload = _json(status, text)
    if isinstance(payload, dict) and "access_token" in payload and "expires_on" in payload:
        return _with_expires_on(payload)
    if isinstance(payload, dict) and ("statusCode" in payload or "message" in payload):
        description = "%s, %s" % (payload.get("statusCode"), payload.get("message"))
    else:
        description = str(text)
    return {"error": "invalid_scope", "error_description": description}


def _parse_fabric(status: int, text: Any) -> Dict[str, Any]:
    payload = _json(status, text)
    if isinstance(payload, dict) and "access_token" in payload and "expires_on" in payload:
        return _with_expires_on(payload)
    inner = payload.get("error") if isinstance(payload, dict) else None
    code = inner.get("code") if isinstance(inner, dict) else None
    return {"error": _FABRIC_ERRORS.get(str(code), "invalid_request"), "error_description": str(text)}
