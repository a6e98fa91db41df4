"""The named route table: every endpoint the emulator serves, declared once.

A route is (name, methods, path pattern, handler). Dispatch reads the table to find the
handler of a request, and fault injection (`msal_emulator.faults`) names routes from it: a
fault for `"token"` fires on every route named `token` (Entra's, the `/adfs` authority's and
B2C's user flows). Control routes (`/_emulator/...`) are never logged and never faulted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Pattern, Tuple

from .endpoints import (
    admin,
    authorize,
    b2c,
    device,
    discovery,
    federation,
    grants,
    managed_identity,
    userrealm,
)
from .endpoints.grants import (
    authorization_code,
    client_credentials,
    device_code,
    jwt_bearer_obo,
    password,
    refresh_token,
    saml_bearer,
    user_fic,
)
from .http import Handler

_TENANT = r"/(?P<tenant>[^/]+)"
_ADFS = r"/(?P<tenant>adfs)"
_B2C = r"/(?P<tenant>[^/]+)/(?P<policy>[Bb]2[Cc]_[^/]+)"  # a B2C tenant and user flow

# The token endpoint's grants, by `grant_type`; B2C user flows take the ones of B2C_GRANTS.
TOKEN_GRANTS: Dict[str, grants.Grant] = {
    "user_fic": user_fic.grant,
    "client_credentials": client_credentials.grant,
    "authorization_code": authorization_code.grant,
    "refresh_token": refresh_token.grant,
    jwt_bearer_obo.GRANT_TYPE: jwt_bearer_obo.grant,
    device_code.GRANT_TYPE: device_code.grant,
    "device_code": device_code.grant,  # the short name msal-node sends; Entra takes both
    "password": password.grant,
    saml_bearer.SAML1_GRANT: saml_bearer.grant,
    saml_bearer.SAML2_GRANT: saml_bearer.grant,
}
B2C_GRANTS: Dict[str, grants.Grant] = {
    "authorization_code": authorization_code.grant,
    "refresh_token": refresh_token.grant,
    "password": password.grant,  # on user flows with `password_grant` only
}


@dataclass(frozen=True)
class Route:
    """One endpoint at one place: path groups become the handler's keyword arguments."""

    name: str
    methods: Tuple[str, ...]
    path: str
    handler: Handler
    control: bool = False  # the emulator's own API: not logged, not faulted
    pattern: Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", re.compile("^" + self.path + "$"))


def route(name: str, methods: str, path: str, handler: Handler, control: bool = False) -> Route:
    return Route(name, tuple(m.strip().upper() for m in methods.split(",")), path, handler, control)


ROUTES: Tuple[Route, ...] = (
    # the control API
    route("control_faults", "GET", r"/_emulator/faults", admin.list_faults, control=True),
    route("control_faults", "POST", r"/_emulator/faults", admin.add_fault, control=True),
    route("control_faults", "DELETE", r"/_emulator/faults", admin.clear_faults, control=True),
    route("control_requests", "GET", r"/_emulator/requests", admin.list_requests, control=True),
    route("control_config", "GET", r"/_emulator/config", admin.describe_config, control=True),
    route("control_mex", "PUT", r"/_emulator/mex", admin.set_mex, control=True),
    route("control_mex", "DELETE", r"/_emulator/mex", admin.reset_mex, control=True),
    # the on-premises ADFS: its OIDC authority and the WS-Trust side of federation
    route(
        "discovery", "GET", r"/adfs/\.well-known/openid-configuration", discovery.adfs_openid_configuration
    ),
    route("authorize", "GET", _ADFS + r"/oauth2/authorize/?", authorize.authorize_get),
    route("authorize", "POST", _ADFS + r"/oauth2/authorize/?", authorize.authorize_post),
    route("token", "POST", _ADFS + r"/oauth2/token/?", grants.token_endpoint(TOKEN_GRANTS)),
    route("devicecode", "POST", _ADFS + r"/oauth2/devicecode/?", device.devicecode),
    route("logout", "GET", _ADFS + r"/oauth2/logout/?", authorize.logout),
    route("mex", "GET", r"/adfs/services/trust/mex", federation.mex),
    route("wstrust", "POST", r"/adfs/services/trust/(?P<version>13|2005)/usernamemixed", federation.wstrust),
    # Azure AD B2C user flows; the sign-in pages are the shared ones
    route("discovery", "GET", _B2C + r"/v2\.0/\.well-known/openid-configuration", b2c.openid_configuration),
    route("jwks", "GET", _B2C + r"/discovery/v2\.0/keys", b2c.jwks),
    route("authorize", "GET", _B2C + r"/oauth2/v2\.0/authorize", authorize.authorize_get),
    route("authorize", "POST", _B2C + r"/oauth2/v2\.0/authorize", authorize.authorize_post),
    route("logout", "GET", _B2C + r"/oauth2/v2\.0/logout", authorize.logout),
    route("token", "POST", _B2C + r"/oauth2/v2\.0/token", b2c.token_endpoint(B2C_GRANTS)),
    # Entra ID
    route("instance_discovery", "GET", _TENANT + r"/discovery/instance", discovery.instance_discovery),
    route(
        "discovery",
        "GET",
        _TENANT + r"/v2\.0/\.well-known/openid-configuration",
        discovery.openid_configuration,
    ),
    route("jwks", "GET", _TENANT + r"/discovery/v2\.0/keys", discovery.jwks),
    route("jwks", "GET", _TENANT + r"/discovery/keys", discovery.jwks),
    route("authorize", "GET", _TENANT + r"/oauth2/v2\.0/authorize", authorize.authorize_get),
    route("authorize", "POST", _TENANT + r"/oauth2/v2\.0/authorize", authorize.authorize_post),
    route("logout", "GET", _TENANT + r"/oauth2/v2\.0/logout", authorize.logout),
    route("token", "POST", _TENANT + r"/oauth2/v2\.0/token", grants.token_endpoint(TOKEN_GRANTS)),
    route("userinfo", "GET,POST", r"/oidc/userinfo", discovery.userinfo),
    route("devicecode", "POST", _TENANT + r"/oauth2/v2\.0/devicecode", device.devicecode),
    route("deviceauth", "GET", _TENANT + r"/oauth2/deviceauth", device.deviceauth_get),
    route("deviceauth", "POST", _TENANT + r"/oauth2/deviceauth", device.deviceauth_post),
    route("userrealm", "GET", _TENANT + r"/userrealm/(?P<username>[^/]+)", userrealm.userrealm),
    # managed identity sources (Service Fabric on the HTTPS port, the others on their listener)
    route("imds", "GET", managed_identity.IMDS_PATH, managed_identity.imds),
    route("app_service", "GET", managed_identity.APP_SERVICE_PATH, managed_identity.app_service),
    route("arc", "GET", managed_identity.ARC_PATH, managed_identity.arc),
    route(
        "machine_learning", "GET", managed_identity.MACHINE_LEARNING_PATH, managed_identity.machine_learning
    ),
    route("cloud_shell", "POST", managed_identity.CLOUD_SHELL_PATH, managed_identity.cloud_shell),
    route("service_fabric", "GET", managed_identity.SERVICE_FABRIC_PATH, managed_identity.service_fabric),
)


class RouteTable:
    """Look-ups over the routes: the handler of a request, the routes a path reaches."""

    def __init__(self, routes: Iterable[Route] = ROUTES) -> None:
        self.routes: List[Route] = list(routes)

    def names(self, control: bool = False) -> List[str]:
        """Route names, in table order (faults may name those that are not control routes)."""
        return list(dict.fromkeys(r.name for r in self.routes if r.control == control))

    def at(self, path: str) -> List[Route]:
        """Every route serving this path, whatever its method."""
        return [r for r in self.routes if r.pattern.match(path)]

    def match(self, method: str, path: str) -> Tuple[Optional[Route], Dict[str, str], bool]:
        """(route, path groups, path known for some other method)."""
        path_known = False
        for candidate in self.routes:
            found = candidate.pattern.match(path)
            if found:
                if method in candidate.methods:
                    return candidate, found.groupdict(), True
                path_known = True
        return None, {}, path_known
