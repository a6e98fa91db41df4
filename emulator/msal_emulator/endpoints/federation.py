"""The emulated ADFS of the federated domain: MEX metadata and the WS-Trust 1.3/2005 username
endpoints issuing SAML assertions (grants/saml_bearer.py redeems them at Entra).

Assertions carry no XML signature: the emulator remembers the ids it issued and trusts
only those, once each, until they expire.
"""

from __future__ import annotations

import base64
import datetime
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

from ..http import Request, Response
from ..store import IssuedAssertion
from .userrealm import AUDIENCE_URN
from . import mex_document

if TYPE_CHECKING:  # pragma: no cover
    from ..server import Emulator

SAML1_TOKEN_TYPE = "urn:oasis:names:tc:SAML:1.0:assertion"
SAML2_TOKEN_TYPE = "urn:oasis:names:tc:SAML:2.0:assertion"
SAML1_NS = SAML1_TOKEN_TYPE
SAML2_NS = SAML2_TOKEN_TYPE
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
ASSERTION_LIFETIME = 3600


@dataclass(frozen=True)
class TrustVersion:
    """What differs between the WS-Trust 1.3 and 2005 endpoints."""

    name: str
    namespace: str
    request_type: str
    key_type: str
    default_token_type: str
    response_action: str


WS_TRUST_13 = TrustVersion(
    "13",
    "http://docs.oasis-open.org/ws-sx/ws-trust/200512",
    "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Issue",
    "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Bearer",
    SAML2_TOKEN_TYPE,
    "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RSTRC/IssueFinal",
)
WS_TRUST_2005 = TrustVersion(
    "2005",
    "http://schemas.xmlsoap.org/ws/2005/02/trust",
    "http://schemas.xmlsoap.org/ws/2005/02/trust/Issue",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey",
    SAML1_TOKEN_TYPE,
    "http://schemas.xmlsoap.org/ws/2005/02/trust/RSTR/Issue",
)
VERSIONS = {"13": WS_TRUST_13, "2005": WS_TRUST_2005}


class SoapFault(Exception):
    def __init__(self, subcode: str, reason: str):
        super().__init__(reason)
        self.subcode, self.reason = subcode, reason


# ---- MEX ------------------------------------------------------------------------------


def mex(emu: "Emulator", req: Request) -> Response:
    text = emu.mex_override
    if text is None:
        text = mex_document.render(req.base_url)
    return Response(200, text.encode("utf-8"), [("Content-Type", "text/xml; charset=utf-8")])


# ---- WS-Trust -------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(root: ET.Element, name: str) -> Optional[ET.Element]:
    """The first element with that local name, whatever its namespace prefix."""
    return next((e for e in root.iter() if _local(e.tag) == name), None)


def _text(root: Optional[ET.Element], name: str) -> str:
    found = _find(root, name) if root is not None else None
    return (found.text or "").strip() if found is not None else ""


def wstrust(emu: "Emulator", req: Request, version: str) -> Response:
    trust = VERSIONS[version]
    try:
        user, token_type = _authenticate(emu, req, trust)
    except SoapFault as fault:
        return _soap(
            _fault_body(fault), status=500, action=("http://www.w3.org/2005/08/addressing/soap/fault")
        )
    return _soap(_rstr(emu, req, trust, user, token_type), action=trust.response_action)


def _authenticate(emu: "Emulator", req: Request, trust: TrustVersion) -> Tuple[Dict[str, Any], str]:
    try:
        root = ET.fromstring(req.body)
    except ET.ParseError:
        raise SoapFault("a:InvalidRequest", "ID3137: The request could not be parsed.")
    rst = _find(root, "RequestSecurityToken")
    if rst is None or not rst.tag.startswith("{%s}" % trust.namespace):
        raise SoapFault(
            "a:InvalidRequest",
            "ID3140: The request is not a WS-Trust %s "
            "RequestSecurityToken." % ("1.3" if trust.name == "13" else "2005"),
        )
    if _text(_find(rst, "AppliesTo"), "Address") != AUDIENCE_URN:
        raise SoapFault(
            "a:InvalidScope",
            "MSIS7007: The requested relying party trust "
            "'%s' is unspecified or unsupported." % _text(_find(rst, "AppliesTo"), "Address"),
        )
    if _text(rst, "RequestType") != trust.request_type or _text(rst, "KeyType") not in ("", trust.key_type):
        raise SoapFault("a:InvalidRequest", "ID3011: Unrecognized RequestType or KeyType.")
    token_type = _text(rst, "TokenType") or trust.default_token_type
    if token_type not in (SAML1_TOKEN_TYPE, SAML2_TOKEN_TYPE):
        raise SoapFault("a:UnsupportedTokenType", "ID3004: Unsupported token type.")
    token = _find(root, "UsernameToken")
    username, password = _text(token, "Username"), _text(token, "Password")
    user = emu.directory.user(username) if "@" in username else None
    if (
        user is None
        or not emu.directory.is_federated(user)
        or not emu.directory.check_password(user, password)
    ):
        raise SoapFault(
            "a:FailedAuthentication", "ID3242: The security token could not be authenticated or authorized."
        )
    return user, token_type


def _iso(now: float) -> str:
    return datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _rstr(emu: "Emulator", req: Request, trust: TrustVersion, user: Dict[str, Any], token_type: str) -> str:
    now = emu.clock()
    expires = now + ASSERTION_LIFETIME
    assertion_id = "_" + str(uuid.uuid4())
    saml1 = token_type == SAML1_TOKEN_TYPE
    render = _saml1_assertion if saml1 else _saml2_assertion
    assertion = render(assertion_id, "http://%s/adfs/services/trust" % req.host, user, now, expires)
    emu.store.remember_assertion(
        assertion_id,
        IssuedAssertion(user_oid=user["oid"], version="1.1" if saml1 else "2.0", not_on_or_after=expires),
    )
    response = (
        '<t:RequestSecurityTokenResponse xmlns:t="{ns}">'
        '<t:Lifetime><wsu:Created xmlns:wsu="{wsu}">{created}</wsu:Created>'
        '<wsu:Expires xmlns:wsu="{wsu}">{expires}</wsu:Expires></t:Lifetime>'
        '<wsp:AppliesTo xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy">'
        '<wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing">'
        "<wsa:Address>{aud}</wsa:Address></wsa:EndpointReference></wsp:AppliesTo>"
        "<t:RequestedSecurityToken>{assertion}</t:RequestedSecurityToken>"
        "<t:TokenType>{token_type}</t:TokenType><t:RequestType>{request_type}</t:RequestType>"
        "<t:KeyType>{key_type}</t:KeyType></t:RequestSecurityTokenResponse>"
    ).format(
        ns=trust.namespace,
        wsu=WSU_NS,
        created=_iso(now),
        expires=_iso(expires),
        aud=AUDIENCE_URN,
        assertion=assertion,
        token_type=token_type,
        request_type=trust.request_type,
        key_type=trust.key_type,
    )
    if trust is WS_TRUST_13:
        response = (
            '<t:RequestSecurityTokenResponseCollection xmlns:t="%s">%s'
            "</t:RequestSecurityTokenResponseCollection>" % (trust.namespace, response)
        )
    return response


def _saml1_assertion(assertion_id: str, issuer: str, user: Dict[str, Any], now: float, expires: float) -> str:
    subject = (
        '<saml:Subject><saml:NameIdentifier Format="urn:oasis:names:tc:SAML:1.1:nameid-format:'
        'unspecified">{immutable}</saml:NameIdentifier><saml:SubjectConfirmation>'
        "<saml:ConfirmationMethod>urn:oasis:names:tc:SAML:1.0:cm:bearer</saml:ConfirmationMethod>"
        "</saml:SubjectConfirmation></saml:Subject>"
    )
    return (
        '<saml:Assertion MajorVersion="1" MinorVersion="1" AssertionID="{id}" Issuer="{issuer}" '
        'IssueInstant="{now}" xmlns:saml="{ns}"><saml:Conditions NotBefore="{now}" '
        'NotOnOrAfter="{expires}"><saml:AudienceRestrictionCondition><saml:Audience>{aud}'
        "</saml:Audience></saml:AudienceRestrictionCondition></saml:Conditions>"
        "<saml:AttributeStatement>"
        + subject
        + '<saml:Attribute AttributeName="UPN" AttributeNamespace="http://schemas.xmlsoap.org/claims">'
        "<saml:AttributeValue>{upn}</saml:AttributeValue></saml:Attribute>"
        '<saml:Attribute AttributeName="ImmutableID" AttributeNamespace='
        '"http://schemas.microsoft.com/LiveID/Federation/2008/05"><saml:AttributeValue>{immutable}'
        "</saml:AttributeValue></saml:Attribute></saml:AttributeStatement>"
        '<saml:AuthenticationStatement AuthenticationMethod="urn:oasis:names:tc:SAML:1.0:am:password" '
        'AuthenticationInstant="{now}">' + subject + "</saml:AuthenticationStatement>"
        "</saml:Assertion>"
    ).format(
        id=assertion_id,
        issuer=issuer,
        now=_iso(now),
        expires=_iso(expires),
        ns=SAML1_NS,
        aud=AUDIENCE_URN,
        upn=user["username"],
        immutable=_immutable_id(user),
    )


def _saml2_assertion(assertion_id: str, issuer: str, user: Dict[str, Any], now: float, expires: float) -> str:
    return (
        '<Assertion ID="{id}" IssueInstant="{now}" Version="2.0" xmlns="{ns}">'
        '<Issuer>{issuer}</Issuer><Subject><NameID Format="urn:oasis:names:tc:SAML:1.1:'
        'nameid-format:unspecified">{immutable}</NameID><SubjectConfirmation Method='
        '"urn:oasis:names:tc:SAML:2.0:cm:bearer"><SubjectConfirmationData NotOnOrAfter='
        '"{expires}"/></SubjectConfirmation></Subject><Conditions NotBefore="{now}" '
        'NotOnOrAfter="{expires}"><AudienceRestriction><Audience>{aud}</Audience>'
        '</AudienceRestriction></Conditions><AttributeStatement><Attribute Name="UPN">'
        '<AttributeValue>{upn}</AttributeValue></Attribute><Attribute Name="ImmutableID">'
        "<AttributeValue>{immutable}</AttributeValue></Attribute></AttributeStatement>"
        '<AuthnStatement AuthnInstant="{now}"><AuthnContext><AuthnContextClassRef>'
        "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
        "</AuthnContextClassRef></AuthnContext></AuthnStatement></Assertion>"
    ).format(
        id=assertion_id,
        issuer=issuer,
        now=_iso(now),
        expires=_iso(expires),
        ns=SAML2_NS,
        aud=AUDIENCE_URN,
        upn=user["username"],
        immutable=_immutable_id(user),
    )


def _immutable_id(user: Dict[str, Any]) -> str:
    return user.get("immutable_id") or base64.b64encode(uuid.UUID(user["oid"]).bytes).decode()


def _soap(body: str, action: str, status: int = 200) -> Response:
    envelope = (
        '<s:Envelope xmlns:s="{s}" xmlns:a="http://www.w3.org/2005/08/addressing">'
        '<s:Header><a:Action s:mustUnderstand="1">{action}</a:Action></s:Header>'
        "<s:Body>{body}</s:Body></s:Envelope>"
    ).format(s=SOAP12_NS, action=action, body=body)
    return Response(
        status, envelope.encode("utf-8"), [("Content-Type", "application/soap+xml; charset=utf-8")]
    )


def _fault_body(fault: SoapFault) -> str:
    return (
        "<s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value "
        'xmlns:a="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd">'
        '{subcode}</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">{reason}'
        "</s:Text></s:Reason></s:Fault>"
    ).format(subcode=fault.subcode, reason=fault.reason)
