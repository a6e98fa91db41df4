"""Look-ups shared by endpoint groups: which tenant a path names, what a scope string asks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Set, Tuple

from .. import errors
from ..config import RESERVED_SCOPES, Directory

META_TENANTS = ("common", "organizations", "consumers")
ADFS = "adfs"


@dataclass
class TenantRef:
    """The tenant part of a URL path: a real tenant, a meta tenant, or the ADFS authority."""

    path: str
    tenant: Optional[Dict[str, Any]]
    adfs: bool = False
    policy: Optional[str] = None  # a B2C user flow's name, as configured

    @property
    def segment(self) -> str:
        """What Entra puts into endpoint URLs: the GUID for a real tenant, else the word."""
        if self.adfs:
            return ADFS
        return self.tenant["id"] if self.tenant else self.path.lower()


@dataclass
class PolicyRef(TenantRef):
    """A B2C tenant with one of its user flows: both are always known."""

    tenant: Dict[str, Any]
    policy: str = ""


def resolve_tenant(directory: Directory, segment: str) -> TenantRef:
    """The `/adfs` authority is the on-premises server of the first tenant's federated domains."""
    if segment.lower() == ADFS:
        return TenantRef(segment, directory.default_tenant, adfs=True)
    if segment.lower() in META_TENANTS:
        return TenantRef(segment, None)
    tenant = directory.tenant(segment)
    if tenant is None:
        raise errors.tenant_not_found(segment)
    return TenantRef(segment, tenant)


def resolve_policy(directory: Directory, segment: str, policy: str) -> PolicyRef:
    """A B2C tenant and one of its user flows (`/<tenant>/<policy>/...` paths)."""
    tenant = directory.tenant(segment)
    flow = directory.policy(tenant, policy) if tenant and tenant.get("kind") == "b2c" else None
    if tenant is None or flow is None:
        raise errors.B2CError(
            "invalid_request",
            90022,
            "Unable to return metadata for the policy '%s' in tenant '%s'." % (policy, segment),
            status=404,
        )
    return PolicyRef(segment, tenant, policy=flow["name"])


def resolve(directory: Directory, segment: str, policy: Optional[str] = None) -> TenantRef:
    """The tenant (and B2C user flow, when the path names one) a request addresses."""
    if policy is not None:
        return resolve_policy(directory, segment, policy)
    return resolve_tenant(directory, segment)


@dataclass
class Scopes:
    """A parsed `scope` parameter: at most one resource, plus the OIDC reserved scopes."""

    resource: Optional[Dict[str, Any]]
    requested: List[str] = field(default_factory=list)  # resource scopes as the client spelled them
    names: List[str] = field(default_factory=list)  # short names, for the `scp` claim
    reserved: Set[str] = field(default_factory=set)
    default: bool = False

    @property
    def audience(self) -> str:
        res = self.resource or {}
        audience: str = res.get("audience") or res.get("resource_id", "")
        return audience

    def response_scope(self) -> str:
        """The `scope` of a token response: granted resource scopes (Graph adds OIDC ones)."""
        granted = list(self.requested)
        if self.resource and self.resource.get("short_scope_names") and "openid" in self.reserved:
            granted += ["profile", "openid", "email"]
        return " ".join(granted) or " ".join(sorted(self.reserved - {"offline_access"}))

    @property
    def wants_refresh_token(self) -> bool:
        return "offline_access" in self.reserved

    @property
    def wants_id_token(self) -> bool:
        return "openid" in self.reserved


def _spell(resource: Dict[str, Any], name: str) -> str:
    """How a granted scope is written back: short for Graph, fully qualified for web APIs."""
    if resource.get("short_scope_names"):
        return name
    audience: str = resource.get("audience", resource["resource_id"])
    return audience.rstrip("/") + "/" + name


def _scope_named(resource: Dict[str, Any], name: str) -> Optional[str]:
    return next((s for s in resource["scopes"] if s.lower() == name.lower()), None)


def parse_scopes(directory: Directory, text: Optional[str], client_id: str = "") -> Scopes:
    """Split a scope string into its one resource and the reserved scopes; Entra's errors else."""
    items = (text or "").split()
    result = Scopes(resource=None)
    resources: List[Dict[str, Any]] = []
    for item in items:
        if item.lower() in RESERVED_SCOPES:
            result.reserved.add(item.lower())
            continue
        resource, name = _known_scope(directory, item)
        if resource["resource_id"] not in [r["resource_id"] for r in resources]:
            resources.append(resource)
        if name == ".default":
            result.default = True
            for default in resource.get("default_scopes", []):
                result.requested.append(_spell(resource, default))
                result.names.append(default)
        else:
            result.requested.append(item)
            result.names.append(name)
    if len(resources) > 1:
        raise errors.invalid_scope(
            "The provided value for the input parameter 'scope' is not valid because it contains "
            "more than one resource. Scope %s is not valid." % " ".join(items),
            code=28000,
        )
    if resources:
        result.resource = resources[0]
    else:
        result.resource = _graph_or_none(directory)
        result.names = sorted(result.reserved & {"openid", "profile", "email"})
    result.requested = list(dict.fromkeys(result.requested))
    result.names = list(dict.fromkeys(result.names))
    return result


def resources_of(directory: Directory, text: Optional[str]) -> List[Dict[str, Any]]:
    """Every resource a scope string names; authorize requests may name several (for consent)."""
    found: List[Dict[str, Any]] = []
    for item in (text or "").split():
        if item.lower() in RESERVED_SCOPES:
            continue
        resource, _ = _known_scope(directory, item)
        if resource["resource_id"] not in [r["resource_id"] for r in found]:
            found.append(resource)
    return found


def _graph_or_none(directory: Directory) -> Optional[Dict[str, Any]]:
    try:
        return directory.graph()
    except StopIteration:
        return None


def _known_scope(directory: Directory, item: str) -> Tuple[Dict[str, Any], str]:
    """(resource, scope name) for one scope item; Entra's invalid_scope when it names nothing."""
    resource, name = _resource_scope(directory, item)
    if resource is None or name is None:
        raise errors.invalid_scope(
            "The provided value for the input parameter 'scope' is not valid. The scope "
            "'%s' does not exist." % item
        )
    return resource, name


def _resource_scope(directory: Directory, item: str) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
    """(resource, scope name) for one scope item, or (None, None) when it names nothing known."""
    if "/" in item:
        prefix, name = item.rsplit("/", 1)
        resource = directory.resource_for(prefix)
        if resource is None:
            return None, None
        if name == ".default":
            return resource, name
        return resource, _scope_named(resource, name)
    graph = _graph_or_none(directory)
    if graph is None:
        return None, None
    return graph, _scope_named(graph, item)
