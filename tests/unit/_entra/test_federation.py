"""MEX and WS-Trust parsing, on documents shaped like those ADFS serves."""

import base64

import pytest

from msal._entra import mex, wstrust

MEX = """<?xml version="1.0"?>
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
  xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy"
  xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
  xmlns:sp="http://docs.oasis-open.org/ws-sx/ws-securitypolicy/200702"
  xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/"
  xmlns:wsa10="http://www.w3.org/2005/08/addressing" xmlns:tns="http://tempuri.org/">
 <wsp:Policy wsu:Id="UserNameWSTrustBinding_IWSTrust13Async_policy"><wsp:ExactlyOne><wsp:All>
   <sp:SignedEncryptedSupportingTokens><wsp:Policy><sp:UsernameToken><wsp:Policy>
     <sp:WssUsernameToken10/></wsp:Policy></sp:UsernameToken></wsp:Policy>
   </sp:SignedEncryptedSupportingTokens></wsp:All></wsp:ExactlyOne></wsp:Policy>
 <wsp:Policy wsu:Id="UserNameWSTrustBinding_IWSTrustFeb2005Async_policy"><wsp:ExactlyOne><wsp:All>
   <sp:SignedSupportingTokens><wsp:Policy><sp:UsernameToken><wsp:Policy>
     <sp:WssUsernameToken10/></wsp:Policy></sp:UsernameToken></wsp:Policy>
   </sp:SignedSupportingTokens></wsp:All></wsp:ExactlyOne></wsp:Policy>
 <wsp:Policy wsu:Id="WindowsTransport_policy"><wsp:ExactlyOne><wsp:All>
   <sp:TransportBinding/></wsp:All></wsp:ExactlyOne></wsp:Policy>
 <wsdl:binding name="UserNameWSTrustBinding_IWSTrust13Async">
   <wsp:PolicyReference URI="#UserNameWSTrustBinding_IWSTrust13Async_policy"/>
   <wsdl:operation name="Trust13IssueAsync">
     <soap12:operation soapAction="http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue"/>
   </wsdl:operation></wsdl:binding>
 <wsdl:binding name="UserNameWSTrustBinding_IWSTrustFeb2005Async">
   <wsp:PolicyReference URI="#UserNameWSTrustBinding_IWSTrustFeb2005Async_policy"/>
   <wsdl:operation name="IssueAsync">
     <soap12:operation soapAction="http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue"/>
   </wsdl:operation></wsdl:binding>
 <wsdl:binding name="WindowsTransport">
   <wsp:PolicyReference URI="#WindowsTransport_policy"/>
   <wsdl:operation name="Trust13IssueAsync">
     <soap12:operation soapAction="http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue"/>
   </wsdl:operation></wsdl:binding>
 <wsdl:service name="SecurityTokenService">
   <wsdl:port name="WindowsTransport" binding="tns:WindowsTransport"><wsa10:EndpointReference>
     <wsa10:Address>https://sts.fabrikam.example/adfs/services/trust/13/windowstransport</wsa10:Address>
   </wsa10:EndpointReference></wsdl:port>
   <wsdl:port name="UserName2005" binding="tns:UserNameWSTrustBinding_IWSTrustFeb2005Async">
     <wsa10:EndpointReference><wsa10:Address>https://sts.fabrikam.example/adfs/services/trust/2005/usernamemixed</wsa10:Address></wsa10:EndpointReference></wsdl:port>
   <wsdl:port name="UserName13" binding="tns:UserNameWSTrustBinding_IWSTrust13Async">
     <wsa10:EndpointReference><wsa10:Address>{address13}</wsa10:Address></wsa10:EndpointReference></wsdl:port>
 </wsdl:service>
</wsdl:definitions>"""


def test_mex_prefers_wstrust_13_username_endpoint():
    endpoint = mex.username_password_endpoint(
        MEX.format(address13="https://sts.fabrikam.example/adfs/services/trust/13/usernamemixed")
    )
    assert endpoint == mex.WsTrustEndpoint(
        "https://sts.fabrikam.example/adfs/services/trust/13/usernamemixed", "1.3"
    )


def test_mex_falls_back_to_2005_and_never_to_plain_http():
    endpoint = mex.username_password_endpoint(
        MEX.format(address13="http://sts.fabrikam.example/adfs/services/trust/13/usernamemixed")
    )
    assert endpoint.version == "2005" and endpoint.address.endswith("/2005/usernamemixed")


@pytest.mark.parametrize(
    "document",
    [
        "not xml at all",
        "<wsdl:definitions xmlns:wsdl='http://schemas.xmlsoap.org/wsdl/'/>",
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><d>&b;</d>',
    ],
)
def test_unusable_mex_is_a_clear_error(document):
    with pytest.raises(mex.MexError, match="MEX"):
        mex.username_password_endpoint(document)


@pytest.mark.parametrize(
    "version,key_type",
    [
        ("1.3", "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Bearer"),
        ("2005", "http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey"),
    ],
)
def test_request_escapes_credentials_and_names_the_audience(version, key_type):
    body = wstrust.build_request(
        mex.WsTrustEndpoint("https://sts/x", version), "carol@fabrikam.example", "p<&>ss"
    )
    assert "<wsse:Password>p&lt;&amp;&gt;ss</wsse:Password>" in body
    assert key_type in body and "urn:federation:MicrosoftOnline" in body


RSTR = """<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>
<trust:RequestSecurityTokenResponseCollection xmlns:trust="http://docs.oasis-open.org/ws-sx/ws-trust/200512">
<trust:RequestSecurityTokenResponse><trust:TokenType>{token_type}</trust:TokenType>
<trust:RequestedSecurityToken>{assertion}</trust:RequestedSecurityToken>
</trust:RequestSecurityTokenResponse></trust:RequestSecurityTokenResponseCollection></s:Body></s:Envelope>"""
ASSERTION = (
    '<saml:Assertion MajorVersion="1" AssertionID="_a1" '
    'xmlns:saml="urn:oasis:names:tc:SAML:1.0:assertion"><saml:Issuer>x</saml:Issuer></saml:Assertion>'
)


def test_response_assertion_is_kept_byte_for_byte():
    grant, assertion = wstrust.parse_response(
        RSTR.format(token_type="urn:oasis:names:tc:SAML:1.0:assertion", assertion=ASSERTION)
    )
    assert grant == "urn:ietf:params:oauth:grant-type:saml1_1-bearer"
    assert base64.b64decode(assertion).decode() == ASSERTION
    grant, _ = wstrust.parse_response(
        RSTR.format(token_type="urn:oasis:names:tc:SAML:2.0:assertion", assertion=ASSERTION)
    )
    assert grant == "urn:ietf:params:oauth:grant-type:saml2-bearer"


def test_fault_and_junk_are_clear_errors():
    fault = (
        "<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope'><s:Body><s:Fault>"
        "<s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>a:FailedAuthentication</s:Value>"
        "</s:Subcode></s:Code><s:Reason><s:Text xml:lang='en-US'>ID3242: The security token "
        "could not be authenticated or authorized.</s:Text></s:Reason></s:Fault></s:Body></s:Envelope>"
    )
    with pytest.raises(wstrust.WsTrustError, match="refused.*ID3242.*FailedAuthentication"):
        wstrust.parse_response(fault)
    with pytest.raises(wstrust.WsTrustError, match="not XML"):
        wstrust.parse_response("<html")
    with pytest.raises(wstrust.WsTrustError, match="token type"):
        wstrust.parse_response(RSTR.format(token_type="urn:other", assertion=ASSERTION))
