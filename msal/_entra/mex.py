"""WS-MetadataExchange: find the username/password WS-Trust endpoint of a federation server."""

from __future__ import annotations

from typing import Any, Dict, List, NamedTuple, Optional, Tuple

from ..oauth2cli.http import HttpClientProtocol, redirect_of

WSTRUST_13_ACTION = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue"
WSTRUST_2005_ACTION = "http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue"

NS = {
    "wsdl": "http://schemas.xmlsoap.org/wsdl/",
    "wsp": "http://schemas.xmlsoap.org/ws/2004/09/policy",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
    "sp": "http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702",
    "sp2005": "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy",
    "soap12": "http://schemas.xmlsoap.org/wsdl/soap12/",
    "wsa10": "http://www.w3.org/2005/08/addressing",
}


# A real MEX document is tens of kilobytes; anything far larger is refused before parsing.
MAX_DOCUMENT_CHARS = 1024 * 1024


class MexError(ValueError):
    """The federation metadata cannot be used for username/password sign-in."""


def fetch_endpoint(http_client: HttpClientProtocol, mex_url: Any) -> "WsTrustEndpoint":
    """GET the MEX document (https only, no redirect) and pick its username/password endpoint.

    The WS-Trust endpoint must be https; a document fetched over plain http could name any
    endpoint it likes, so the document itself must come over https too.
    """
    if not isinstance(mex_url, str) or not mex_url.lower().startswith("https://"):
        raise MexError(
            "The federation metadata (MEX) URL {!r} is not https; refusing to use it".format(mex_url)
        )
    resp = http_client.get(mex_url)
    redirect = redirect_of(resp)
    if redirect:
        raise MexError("The federation metadata (MEX) endpoint answered with {}".format(redirect))
    return username_password_endpoint(resp.text or "")


class WsTrustEndpoint(NamedTuple):
    address: str
    version: str  # "1.3" or "2005"


def username_password_endpoint(mex_document: str) -> WsTrustEndpoint:
    """The best username/password endpoint in a MEX document: WS-Trust 1.3 first, then 2005."""
    from defusedxml import ElementTree  # Refuses entity expansion and external entities

    if len(mex_document) > MAX_DOCUMENT_CHARS:
        raise MexError(
            "The federation metadata (MEX) document is larger than {} characters; "
            "refusing to parse it".format(MAX_DOCUMENT_CHARS)
        )
    try:
        root = ElementTree.fromstring(mex_document)
    except Exception as exc:  # defusedxml raises several types; all mean "unusable document"
        raise MexError(
            "The federation metadata (MEX) document is not valid XML: {}".format(type(exc).__name__)
        )
    policies = _username_policy_ids(root)
    bindings = _bindings_by_name(root, policies)
    endpoints = [
        WsTrustEndpoint(address, bindings[binding])
        for binding, address in _port_addresses(root)
        if binding in bindings and address.lower().startswith("https://")
    ]
    for version in ("1.3", "2005"):
        for endpoint in endpoints:
            if endpoint.version == version:
                return endpoint
    raise MexError(
        "The federation metadata (MEX) document offers no https username/password WS-Trust endpoint"
    )


def _username_policy_ids(root: Any) -> List[str]:
    ids = []
    for policy in root.iter("{%s}Policy" % NS["wsp"]):
        policy_id = policy.get("{%s}Id" % NS["wsu"])
        has_username = any(
            True for prefix in ("sp", "sp2005") for _ in policy.iter("{%s}WssUsernameToken10" % NS[prefix])
        )
        if policy_id and has_username:
            ids.append(policy_id)
    return ids


def _bindings_by_name(root: Any, policy_ids: List[str]) -> Dict[str, str]:
    """Bindings that use a username policy, by name, with their WS-Trust version."""
    found = {}
    for binding in root.findall("wsdl:binding", NS):
        reference = binding.find("wsp:PolicyReference", NS)
        uri = reference.get("URI", "") if reference is not None else ""
        if uri.lstrip("#") not in policy_ids:
            continue
        operation = binding.find("wsdl:operation/soap12:operation", NS)
        version = _version_of(operation.get("soapAction") if operation is not None else None)
        if version and binding.get("name"):
            found[binding.get("name")] = version
    return found


def _version_of(action: Optional[str]) -> Optional[str]:
    return {WSTRUST_13_ACTION: "1.3", WSTRUST_2005_ACTION: "2005"}.get(action or "")


def _port_addresses(root: Any) -> List[Tuple[str, str]]:
    pairs = []
    for port in root.findall("wsdl:service/wsdl:port", NS):
        binding = (port.get("binding") or "").split(":")[-1]
        address = port.find("wsa10:EndpointReference/wsa10:Address", NS)
        if address is not None and address.text:
            pairs.append((binding, address.text.strip()))
    return pairs
