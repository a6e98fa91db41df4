"""WS-Trust (1.3 and 2005): trade a username and password for a SAML assertion at a federation
server, to be redeemed at the token endpoint with a SAML bearer grant (RFC 7522)."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any, List, Optional, Tuple

from ..oauth2cli.http import HttpClientProtocol, redirect_of
from .mex import MAX_DOCUMENT_CHARS, WsTrustEndpoint
from ..oauth2cli.ids import random_uuid

if TYPE_CHECKING:
    from datetime import datetime

SAML1_GRANT = "urn:ietf:params:oauth:grant-type:saml1_1-bearer"
SAML2_GRANT = "urn:ietf:params:oauth:grant-type:saml2-bearer"
SAML1_TOKEN_TYPE = "urn:oasis:names:tc:SAML:1.0:assertion"
SAML2_TOKEN_TYPE = "urn:oasis:names:tc:SAML:2.0:assertion"
DEFAULT_AUDIENCE = "urn:federation:MicrosoftOnline"
# A real answer is a few kilobytes; a far larger one is refused before parsing.
MAX_RESPONSE_CHARS = MAX_DOCUMENT_CHARS

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


def build_request(
    endpoint: WsTrustEndpoint,
    username: str,
    password: str,
    audience: str = DEFAULT_AUDIENCE,
    now: Optional[datetime] = None,
) -> str:
    """A SOAP 1.2 RequestSecurityToken with a UsernameToken (WS-Security 1.0)."""
    from datetime import datetime, timedelta, timezone  # (not part of every import of msal)

    version = _VERSIONS[endpoint.version]
    now = now or datetime.now(timezone.utc)
    created = now.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    expires = (now + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:wsa="http://www.w3.org/2005/08/addressing" '
        'xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">'
        "<s:Header>"
        '<wsa:Action s:mustUnderstand="1">{action}</wsa:Action>'
        "<wsa:MessageID>urn:uuid:{message_id}</wsa:MessageID>"
        "<wsa:ReplyTo><wsa:Address>http://www.w3.org/2005/08/addressing/anonymous</wsa:Address></wsa:ReplyTo>"
        '<wsa:To s:mustUnderstand="1">{to}</wsa:To>'
        '<wsse:Security s:mustUnderstand="1" '
        'xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">'
        '<wsu:Timestamp wsu:Id="_0"><wsu:Created>{created}</wsu:Created>'
        "<wsu:Expires>{expires}</wsu:Expires></wsu:Timestamp>"
        '<wsse:UsernameToken wsu:Id="uuid-{token_id}">'
        "<wsse:Username>{username}</wsse:Username><wsse:Password>{password}</wsse:Password>"
        "</wsse:UsernameToken></wsse:Security>"
        "</s:Header>"
        '<s:Body><wst:RequestSecurityToken xmlns:wst="{trust}">'
        '<wsp:AppliesTo xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy">'
        "<wsa:EndpointReference><wsa:Address>{audience}</wsa:Address></wsa:EndpointReference>"
        "</wsp:AppliesTo>"
        "<wst:KeyType>{key_type}</wst:KeyType><wst:RequestType>{request_type}</wst:RequestType>"
        "</wst:RequestSecurityToken></s:Body></s:Envelope>"
    ).format(
        action=version["action"],
        message_id=random_uuid(),
        to=escape(endpoint.address),
        created=created,
        expires=expires,
        token_id=random_uuid(),
        username=escape(username),
        password=escape(password),
        trust=version["trust"],
        audience=escape(audience),
        key_type=version["key_type"],
        request_type=version["request_type"],
    )


def send(
    http_client: HttpClientProtocol,
    endpoint: WsTrustEndpoint,
    username: str,
    password: str,
    audience: str = DEFAULT_AUDIENCE,
) -> Tuple[str, str]:
    """Ask the federation server for an assertion; return (grant type, base64 assertion)."""
    resp = http_client.post(
        endpoint.address,
        data=build_request(endpoint, username, password, audience),
        headers={
            "Content-Type": "application/soap+xml; charset=utf-8",
            "SOAPAction": _VERSIONS[endpoint.version]["action"],
        },
    )
    redirect = redirect_of(resp)
    if redirect:
        raise WsTrustError("The federation server answered with {}".format(redirect))
    return parse_response(resp.text or "")


def parse_response(body: str) -> Tuple[str, str]:
    """The grant type and base64 assertion in an RSTR; ``WsTrustError`` for a fault or junk."""
    if len(body) > MAX_RESPONSE_CHARS:
        raise WsTrustError(
            "The federation server's answer is larger than {} characters; refusing to parse it".format(
                MAX_RESPONSE_CHARS
            )
        )
    raw = body.encode("utf-8")
    answer = _Rstr()
    try:
        answer.parse(raw)
    except Exception as exc:  # expat's errors, and _Rstr's refusal of a DTD
        raise WsTrustError("The federation server's answer is not XML ({})".format(type(exc).__name__))
    if answer.in_fault:
        raise CredentialsRefused(
            "The federation server refused the credentials: {} ({})".format(
                answer.fault_reason.strip() or "no reason given", ", ".join(answer.fault_codes) or "no code"
            )
        )
    grant = {SAML1_TOKEN_TYPE: SAML1_GRANT, SAML2_TOKEN_TYPE: SAML2_GRANT}.get(answer.token_type.strip())
    if not grant:
        raise WsTrustError(
            "The federation server issued an unsupported token type {!r}".format(answer.token_type.strip())
        )
    # The assertion is signed: redeem it byte for byte as it was sent, never re-serialised.
    assertion = raw[answer.token_start : answer.token_end].strip() if answer.token_end else b""
    if b"Assertion" not in assertion[:200]:
        raise WsTrustError("The federation server's answer carries no SAML assertion")
    return grant, base64.b64encode(assertion).decode("ascii")


class _Rstr(object):
    """One linear expat pass over an RSTR: the fault, the token type, and the byte offsets of
    the first RequestedSecurityToken's content (so the signed assertion is kept verbatim).
    A DTD is refused, so no entity can be declared, let alone expanded."""

    def __init__(self) -> None:
        self.in_fault = False
        self.fault_reason = ""
        self.fault_codes: List[str] = []
        self.token_type = ""
        self.token_start = 0
        self.token_end = 0
        self._stack: List[str] = []
        self._token_depth = 0  # depth of the open RequestedSecurityToken, 0 when none
        self._seen_token = False
        self._text: List[str] = []

    def parse(self, raw: bytes) -> None:
        from xml.parsers import expat

        parser = expat.ParserCreate("utf-8", " ")  # one encoding: the offsets are into `raw`
        parser.buffer_text = False
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = self._refuse_dtd
        self._parser = parser
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._characters
        for name in ("CommentHandler", "ProcessingInstructionHandler", "StartCdataSectionHandler"):
            setattr(parser, name, lambda *args: self._content_event())
        parser.Parse(raw, True)

    @staticmethod
    def _refuse_dtd(*args: Any) -> None:
        raise ValueError("a DTD is not allowed")

    def _content_event(self) -> None:
        if self._token_depth and len(self._stack) == self._token_depth and not self.token_start:
            self.token_start = self._parser.CurrentByteIndex

    def _start(self, name: str, attributes: Any) -> None:
        self._content_event()
        local = name.rsplit(" ", 1)[-1]
        self._stack.append(local)
        self._text = []
        if local == "Fault":
            self.in_fault = True
        elif local == "RequestedSecurityToken" and not self._seen_token and not self._token_depth:
            self._token_depth = len(self._stack)

    def _characters(self, data: str) -> None:
        self._content_event()
        self._text.append(data)

    def _end(self, name: str) -> None:
        local = self._stack.pop()
        text = "".join(self._text)
        self._text = []
        if local == "TokenType" and not self.token_type:
            self.token_type = text
        elif self.in_fault and local == "Text" and not self.fault_reason:
            self.fault_reason = text
        elif self.in_fault and local == "Value" and text.strip():
            self.fault_codes.append(text.strip())
        if self._token_depth and len(self._stack) + 1 == self._token_depth:
            self._seen_token, self._token_depth = True, 0
            if self.token_start:
                self.token_end = self._parser.CurrentByteIndex
