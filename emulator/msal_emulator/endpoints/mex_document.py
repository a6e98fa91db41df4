"""The WS-MetadataExchange document of the emulated ADFS, shaped like ADFS's own.

Username/password endpoints are found by following each wsdl:port → wsdl:binding →
wsp:PolicyReference → wsp:Policy with sp:UsernameToken/sp:WssUsernameToken10 over transport
security; the Windows-integrated and certificate bindings listed first must be skipped.
"""

from __future__ import annotations

from typing import Iterable, Iterator, Tuple

TRUST_PATH = "/adfs/services/trust/"
ACTION_13 = "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue"
ACTION_2005 = "http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue"
SP_13 = "http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702"
SP_2005 = "http://schemas.xmlsoap.org/ws/2005/07/securitypolicy"

_HEAD = """<?xml version="1.0" encoding="utf-8"?>
<wsdl:definitions name="SecurityTokenService" targetNamespace="http://tempuri.org/"
 xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
 xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy"
 xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
 xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/"
 xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
 xmlns:tns="http://tempuri.org/"
 xmlns:wsa10="http://www.w3.org/2005/08/addressing"
 xmlns:wsaw="http://www.w3.org/2006/05/addressing/wsdl"
 xmlns:wsam="http://www.w3.org/2007/05/addressing/metadata"
 xmlns:xsd="http://www.w3.org/2001/XMLSchema"
 xmlns:msc="http://schemas.microsoft.com/ws/2005/12/wsdl/contract">
"""

_TRANSPORT = """<sp:TransportBinding xmlns:sp="{sp}"><wsp:Policy><sp:TransportToken><wsp:Policy>
<sp:HttpsToken{https_attr}/></wsp:Policy></sp:TransportToken><sp:AlgorithmSuite><wsp:Policy>
<sp:Basic256/></wsp:Policy></sp:AlgorithmSuite><sp:Layout><wsp:Policy><sp:Strict/></wsp:Policy>
</sp:Layout><sp:IncludeTimestamp/></wsp:Policy></sp:TransportBinding>"""

_USERNAME = """<sp:{wrapper} xmlns:sp="{sp}"><wsp:Policy><sp:UsernameToken
 sp:IncludeToken="{sp}/IncludeToken/AlwaysToRecipient"><wsp:Policy><sp:WssUsernameToken10/>
</wsp:Policy></sp:UsernameToken></wsp:Policy></sp:{wrapper}>"""

_NEGOTIATE = (
    """<http:NegotiateAuthentication xmlns:http="http://schemas.microsoft.com/ws/06/2004/policy/http"/>"""
)


def _policy(policy_id: str, parts: str) -> str:
    return (
        '<wsp:Policy wsu:Id="%s"><wsp:ExactlyOne><wsp:All>%s<wsaw:UsingAddressing/>'
        "</wsp:All></wsp:ExactlyOne></wsp:Policy>\n" % (policy_id, parts)
    )


def _binding(name: str, action: str) -> str:
    port_type = "IWSTrust13Async" if action == ACTION_13 else "IWSTrustFeb2005Async"
    return (
        '<wsdl:binding name="{name}" type="tns:{port_type}"><wsp:PolicyReference '
        'URI="#{name}_policy"/><soap12:binding transport="http://schemas.xmlsoap.org/soap/'
        'http"/><wsdl:operation name="Trust{op}IssueAsync"><soap12:operation soapAction='
        '"{action}" style="document"/><wsdl:input><soap12:body use="literal"/></wsdl:input>'
        '<wsdl:output><soap12:body use="literal"/></wsdl:output></wsdl:operation>'
        "</wsdl:binding>\n"
    ).format(name=name, port_type=port_type, action=action, op="13" if action == ACTION_13 else "Feb2005")


def _port(name: str, address: str) -> str:
    return (
        '<wsdl:port name="{name}" binding="tns:{name}"><soap12:address location="{a}"/>'
        "<wsa10:EndpointReference><wsa10:Address>{a}</wsa10:Address>"
        "</wsa10:EndpointReference></wsdl:port>\n"
    ).format(name=name, a=address)


def _endpoints(versions: Iterable[str]) -> Iterator[Tuple[str, str, str, str]]:
    """(binding name, soap action, policy parts, endpoint path) for every advertised port."""
    yield (
        "WindowsTransportWSTrustBinding_IWSTrust13Async",
        ACTION_13,
        _NEGOTIATE + _TRANSPORT.format(sp=SP_13, https_attr=""),
        "13/windowstransport",
    )
    yield (
        "CertificateWSTrustBinding_IWSTrust13Async",
        ACTION_13,
        _TRANSPORT.format(sp=SP_13, https_attr=' RequireClientCertificate="true"'),
        "13/certificatemixed",
    )
    if "13" in versions:
        yield (
            "UserNameWSTrustBinding_IWSTrust13Async",
            ACTION_13,
            _TRANSPORT.format(sp=SP_13, https_attr="")
            + _USERNAME.format(sp=SP_13, wrapper="SignedEncryptedSupportingTokens"),
            "13/usernamemixed",
        )
    yield (
        "WindowsTransportWSTrustBinding_IWSTrustFeb2005Async",
        ACTION_2005,
        _NEGOTIATE + _TRANSPORT.format(sp=SP_2005, https_attr=""),
        "2005/windowstransport",
    )
    if "2005" in versions:
        yield (
            "UserNameWSTrustBinding_IWSTrustFeb2005Async",
            ACTION_2005,
            _TRANSPORT.format(sp=SP_2005, https_attr="")
            + _USERNAME.format(sp=SP_2005, wrapper="SignedSupportingTokens"),
            "2005/usernamemixed",
        )


def render(base_url: str, versions: Iterable[str] = ("13", "2005")) -> str:
    """The MEX document for an ADFS at base_url advertising the given username endpoints."""
    endpoints = list(_endpoints(tuple(versions)))
    policies = "".join(_policy(name + "_policy", parts) for name, _, parts, _ in endpoints)
    bindings = "".join(_binding(name, action) for name, action, _, _ in endpoints)
    ports = "".join(_port(name, base_url + TRUST_PATH + path) for name, _, _, path in endpoints)
    return (
        _HEAD
        + policies
        + bindings
        + '<wsdl:service name="SecurityTokenService">\n'
        + ports
        + "</wsdl:service>\n</wsdl:definitions>\n"
    )
