"""Discovery: OpenID configuration, instance (cloud alias) discovery, JWKS and userinfo."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List
from urllib.parse import urlsplit

import jwt

from .. import errors
from ..config import CHINA_CLOUD_HOSTS, PUBLIC_CLOUD_HOSTS, REGIONAL_HOST_SUFFIX, US_GOV_CLOUD_HOSTS
from ..http import Request, Response, json_response
from ..tokens import issuer
from .common import resolve_tenant

if TYPE_CHECKING:  # pragma: no cover
    from ..server import Emulator


def openid_configuration(emu: "Emulator", req: Request, tenant: str) -> Response:
    """Entra's v2.0 discovery document; endpoint URLs use the Host the client addressed."""
    ref = resolve_tenant(emu.directory, tenant)
    base = "%s/%s" % (req.base_url, ref.segment)
    issuer_tenant = ref.tenant["id"] if ref.tenant else "{tenantid}"
    doc = {
        "token_endpoint": base + "/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "private_key_jwt",
            "client_secret_basic",
        ],
        "jwks_uri": base + "/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": issuer(req.host, issuer_tenant),
        "request_uri_parameter_supported": False,
        "userinfo_endpoint": req.base_url + "/oidc/userinfo",
        "authorization_endpoint": base + "/oauth2/v2.0/authorize",
        "device_authorization_endpoint": base + "/oauth2/v2.0/devicecode",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": base + "/oauth2/v2.0/logout",
        "claims_supported": [
            "sub",
            "iss",
            "cloud_instance_name",
            "cloud_instance_host_name",
            "cloud_graph_host_name",
            "msgraph_host",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "acr",
            "nonce",
            "preferred_username",
            "name",
            "tid",
            "ver",
            "at_hash",
            "c_hash",
            "email",
        ],
        "kerberos_endpoint": base + "/kerberos",
        "tenant_region_scope": ref.tenant.get("region_scope", "NA") if ref.tenant else None,
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
        "rbac_url": "https://pas.windows.net",
    }
    return json_response(doc)


def adfs_openid_configuration(emu: "Emulator", req: Request) -> Response:
    """ADFS 2019's discovery document (served at /adfs/.well-known/openid-configuration)."""
    base = req.base_url + "/adfs"
    return json_response(
        {
            "issuer": base,
            "authorization_endpoint": base + "/oauth2/authorize/",
            "token_endpoint": base + "/oauth2/token/",
            "jwks_uri": base + "/discovery/keys",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "client_secret_basic",
                "private_key_jwt",
                "windows_client_authentication",
            ],
            "response_types_supported": [
                "code",
                "id_token",
                "code id_token",
                "id_token token",
                "code token",
                "code id_token token",
            ],
            "response_modes_supported": ["query", "fragment", "form_post"],
            "grant_types_supported": [
                "authorization_code",
                "refresh_token",
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "implicit",
                "password",
                "srv_challenge",
                "urn:ietf:params:oauth:grant-type:device_code",
                "device_code",
            ],
            "subject_types_supported": ["pairwise"],
            "scopes_supported": [
                "openid",
                "profile",
                "email",
                "offline_access",
                "allatclaims",
                "user_impersonation",
                "logon_cert",
                "aza",
                "vpn_cert",
                "winhello_cert",
            ],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "access_token_issuer": "http://%s/adfs/services/trust" % req.host,
            "claims_supported": [
                "aud",
                "iss",
                "iat",
                "exp",
                "auth_time",
                "nonce",
                "at_hash",
                "c_hash",
                "sub",
                "upn",
                "unique_name",
                "pwd_url",
                "pwd_exp",
                "mfa_auth_time",
                "sid",
                "nbf",
            ],
            "microsoft_multi_refresh_token": True,
            "userinfo_endpoint": base + "/userinfo",
            "capabilities": [],
            "end_session_endpoint": base + "/oauth2/logout",
            "as_access_token_token_binding_supported": True,
            "as_refresh_token_token_binding_supported": True,
            "resource_access_token_token_binding_supported": True,
            "op_id_token_token_binding_supported": True,
            "rp_id_token_token_binding_supported": True,
            "frontchannel_logout_supported": True,
            "frontchannel_logout_session_supported": True,
            "device_authorization_endpoint": base + "/oauth2/devicecode",
        }
    )


# The clouds Entra's instance discovery lists besides the public one (host aliases per cloud).
OTHER_CLOUDS = [
    CHINA_CLOUD_HOSTS,
    ["login.microsoftonline.de"],
    US_GOV_CLOUD_HOSTS,
    ["login-us.microsoftonline.com"],
    ["login.sovcloud-identity.fr"],
    ["login.sovcloud-identity.de"],
    ["login.sovcloud-identity.sg"],
]
LOCAL_HOSTS = ["localhost", "127.0.0.1"]


def _cloud_metadata(req: Request) -> List[Dict[str, Any]]:
    """Entra's list of clouds; the emulator's own address is a cloud of its own, listed only to
    clients that reach it there (under the real host names the list is Entra's)."""

    def entry(hosts: List[str]) -> Dict[str, Any]:
        return {"preferred_network": hosts[0], "preferred_cache": hosts[0], "aliases": list(hosts)}

    public = {
        "preferred_network": "login.microsoftonline.com",
        "preferred_cache": "login.windows.net",
        "aliases": list(PUBLIC_CLOUD_HOSTS),
    }
    clouds = [public] + [entry(hosts) for hosts in OTHER_CLOUDS]
    if req.hostname.lower() in LOCAL_HOSTS:
        clouds.append(entry(LOCAL_HOSTS))
    return clouds


def is_trusted_host(emu: "Emulator", host: str) -> bool:
    host = host.lower()
    return host in emu.directory.trusted_hosts or host.endswith(REGIONAL_HOST_SUFFIX)


def instance_discovery(emu: "Emulator", req: Request, tenant: str) -> Response:
    """Which hosts are aliases of one cloud, and whether an authority's host is known."""
    body: Dict[str, Any] = {"api-version": req.query.get("api-version", "1.1")}
    endpoint = req.query.get("authorization_endpoint")
    if endpoint:
        parts = urlsplit(endpoint)
        if parts.scheme != "https" or not parts.hostname or not is_trusted_host(emu, parts.hostname):
            raise errors.EntraError("invalid_instance", 50049, "Unknown or invalid instance.")
        path_tenant = (parts.path.strip("/").split("/") or ["common"])[0] or "common"
        body["tenant_discovery_endpoint"] = "https://%s/%s/v2.0/.well-known/openid-configuration" % (
            parts.netloc,
            path_tenant,
        )
    body["metadata"] = _cloud_metadata(req)
    return json_response(body)


def jwks(emu: "Emulator", req: Request, tenant: str) -> Response:
    ref = resolve_tenant(emu.directory, tenant)
    issuer_tenant = ref.tenant["id"] if ref.tenant else "{tenantid}"
    named = req.base_url + "/adfs" if ref.adfs else issuer(req.host, issuer_tenant)
    return json_response({"keys": [emu.signing_key.jwk(named)]})


def userinfo(emu: "Emulator", req: Request) -> Response:
    """OIDC userinfo for a Graph access token the emulator issued."""
    auth = req.headers.get("authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
    try:
        claims = emu.signing_key.verify(token, emu.clock())
    except jwt.InvalidTokenError:
        return json_response(
            {"error": {"code": "InvalidAuthenticationToken", "message": "Access token validation failure."}},
            status=401,
            headers=[("WWW-Authenticate", 'Bearer error="invalid_token"')],
        )
    user = emu.directory.user_by_oid(claims.get("oid", "")) or {}
    return json_response(
        {
            "sub": claims.get("sub"),
            "name": user.get("name"),
            "family_name": user.get("family_name"),
            "given_name": user.get("given_name"),
            "email": user.get("email", user.get("username")),
        }
    )
