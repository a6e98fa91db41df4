"""WS-Trust (1.3 and 2005): trade a username and password for a SAML assertion at a federation
server, to be redeemed at the token endpoint with a SAML bearer grant (RFC 7522)."""
from __future__ import annotations

import base64
import re
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Optional, Tuple

from .mex import WsTrustEndpoint

SAML1_GRANT = "urn:ietf:params:oauth:grant-type:saml1_1-bearer"
SAML2_GRANT = "urn:ietf:params:oauth:grant-type:saml2-bearer"
SAML1_TOKEN_TYPE = "urn:oasis:names:tc:SAML:1.0:assertion"
SAML2_TOKEN_TYPE = "urn:oasis:names:tc:SAML:2.0:assertion"
DEFAULT_AUDIENCE = "urn:federation:MicrosoftOnline"

_VERSIONS = {
    "1.3": {
        "action": "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue",
        "trust": "http://docs.oasis-open.org/ws-sx/ws-trust/200512",
        "key_type": "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Bearer",
        "request_type": "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue",
    },
    "2005": {
        "action": "http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue",
        "trust": "http://schemas.xmlsoap.org/ws/2005/02/trust",
        "key_type": "http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey",
        "request_type": "http://schemas.xmlsoap.org/ws/2005/02/trust/Issue",
    },
}


class WsTrustError(ValueError):
    """The federation server refused the request or answered something unusable."""


class CredentialsRefused(WsTrustError):
    """The federation server answered with a SOAP fault: the user's credentials were refused."""


def escape(text: str) -> str:
    """XML character data escaping (as xml.sax.saxutils.escape, whose import pulls in
    urllib.request and would slow every ``import msal``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def build_request(endpoint: WsTrustEndpoint, username: str, password: str,
                  audience: str = DEFAULT_AUDIENCE, now: Optional[datetime] = None) -> str:
    """A SOAP 1.2 RequestSecurityToken with a UsernameToken (WS-Security 1.0)."""
    version = _VERSIONS[endpoint.version]
    now = now or datetime.now(timezone.utc)
    created = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    expires = (now + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:wsa="http://www.w3.org/2005/08/addressing" '
        'xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">'
        '<s:Header>'
        '<wsa:Action s:mustUnderstand="1">{action}</wsa:Action>'
        '<wsa:MessageID>urn:uuid:{message_id}</wsa:MessageID>'
        '<wsa:ReplyTo><wsa:Address>http://www.w3.org/2005/08/addressing/anonymous</wsa:Address></wsa:ReplyTo>'
        '<wsa:To s:mustUnderstand="1">{to}</wsa:To>'
        '<wsse:Security s:mustUnderstand="1" '
        'xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">'
        '<wsu:Timestamp wsu:Id="_0"><wsu:Created>{created}</wsu:Created>'
        '<wsu:Expires>{expires}</wsu:Expires></wsu:Timestamp>'
        '<wsse:UsernameToken wsu:Id="uuid-{token_id}">'
        '<wsse:Username>{username}</wsse:Username><wsse:Password>{password}</wsse:Password>'
        '</wsse:UsernameToken></wsse:Security>'
        '</s:Header>'
        '<s:Body><wst:RequestSecurityToken xmlns:wst="{trust}">'
        '<wsp:AppliesTo xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy">'
        '<wsa:EndpointReference><wsa:Address>{audience}</wsa:Address></wsa:EndpointReference>'
        '</wsp:AppliesTo>'
        '<wst:KeyType>{key_type}</wst:KeyType><wst:RequestType>{request_type}</wst:RequestType>'
        '</wst:RequestSecurityToken></s:Body></s:Envelope>'
    ).format(action=version["action"], message_id=uuid.uuid4(), to=escape(endpoint.address),
             created=created, expires=expires, token_id=uuid.uuid4(), username=escape(username),
             password=escape(password), trust=version["trust"], audience=escape(audience),
             key_type=version["key_type"], request_type=version["request_type"])


def send(http_client: Any, endpoint: WsTrustEndpoint, username: str, password: str,
         audience: str = DEFAULT_AUDIENCE) -> Tuple[str, str]:
    """Ask the federation server for an assertion; return (grant type, base64 assertion)."""
    resp = http_client.post(
        endpoint.address, data=build_request(endpoint, username, password, audience),
        headers={"Content-Type": "application/soap+xml; charset=utf-8",
                 "SOAPAction": _VERSIONS[endpoint.version]["action"]})
    return parse_response(resp.text or "")


def parse_response(body: str) -> Tuple[str, str]:
    """The grant type and base64 assertion in an RSTR; ``WsTrustError`` for a fault or junk."""
    from defusedxml import ElementTree
    try:
        root = ElementTree.fromstring(body)
    except Exception as exc:
        raise WsTrustError("The federation server's answer is not XML ({})".format(type(exc).__name__))
    fault = _first(root, "Fault")
    if fault is not None:
        reason = _first(fault, "Text")
        code = [e.text for e in fault.iter() if e.tag.endswith("}Value") and e.text]
        raise CredentialsRefused("The federation server refused the credentials: {} ({})".format(
            (reason.text or "").strip() if reason is not None else "no reason given",
            ", ".join(code) or "no code"))
    token_type_element = _first(root, "TokenType")
    token_type = (token_type_element.text or "").strip() if token_type_element is not None else ""
    grant = {SAML1_TOKEN_TYPE: SAML1_GRANT, SAML2_TOKEN_TYPE: SAML2_GRANT}.get(token_type)
    if not grant:
        raise WsTrustError("The federation server issued an unsupported token type {!r}".format(
            token_type))
    # The assertion is signed: redeem it byte for byte as it was sent, never re-serialised.
    match = re.search(r"<(?:[\w.-]+:)?RequestedSecurityToken\b[^>]*>(.*?)"
                      r"</(?:[\w.-]+:)?RequestedSecurityToken>", body, re.DOTALL)
    assertion = match.group(1).strip() if match else ""
    if "Assertion" not in assertion[:200]:
        raise WsTrustError("The federation server's answer carries no SAML assertion")
    return grant, base64.b64encode(assertion.encode("utf-8")).decode("ascii")


def _first(root: Any, local_name: str) -> Any:
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.rsplit("}", 1)[-1] == local_name:
            return element
    return None
