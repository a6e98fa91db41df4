"""The emulated ADFS of fabrikam.example: MEX, WS-Trust 1.3/2005, and SAML bearer grants."""

import base64
import xml.etree.ElementTree as ET

import pytest

from emu_helpers import CAROL, rst

NS = {
    "wsdl": "http://schemas.xmlsoap.org/wsdl/",
    "wsp": "http://schemas.xmlsoap.org/ws/2004/09/policy",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
    "soap12": "http://schemas.xmlsoap.org/wsdl/soap12/",
    "wsa10": "http://www.w3.org/2005/08/addressing",
    "s": "http://www.w3.org/2003/05/soap-envelope",
}
SAML1 = "urn:oasis:names:tc:SAML:1.0:assertion"
SAML2 = "urn:oasis:names:tc:SAML:2.0:assertion"
GRANT = {
    SAML1: "urn:ietf:params:oauth:grant-type:saml1_1-bearer",
    SAML2: "urn:ietf:params:oauth:grant-type:saml2-bearer",
}


def username_endpoints(mex_text):
    """{address: soapAction} of the ports whose policy asks a WSS 1.0 username token."""
    root = ET.fromstring(mex_text)
    policies = {}
    for policy in root.findall("wsp:Policy", NS):
        tokens = [e for e in policy.iter() if e.tag.endswith("}WssUsernameToken10")]
        policies[policy.get("{%s}Id" % NS["wsu"])] = bool(tokens)
    bindings = {}
    for binding in root.findall("wsdl:binding", NS):
        ref = binding.find("wsp:PolicyReference", NS).get("URI").lstrip("#")
        action = binding.find("wsdl:operation/soap12:operation", NS).get("soapAction")
        bindings[binding.get("name")] = (policies[ref], action)
    found = {}
    for port in root.findall("wsdl:service/wsdl:port", NS):
        username, action = bindings[port.get("binding").split(":")[1]]
        if username:
            found[port.find("wsa10:EndpointReference/wsa10:Address", NS).text] = action
    return found, len(root.findall("wsdl:service/wsdl:port", NS))


def issue(http, emu, version="13", user=CAROL, **kw):
    url = "%s/adfs/services/trust/%s/usernamemixed" % (emu.base_url, version)
    return http.post(
        url,
        data=rst(version, user[0], user[1], **kw).encode(),
        headers={"Content-Type": "application/soap+xml; charset=utf-8"},
    )


def assertion_of(resp):
    """(token type, assertion XML text) from an RSTR, the way clients cut it out."""
    root = ET.fromstring(resp.content)
    token_type = next(e.text for e in root.iter() if e.tag.endswith("}TokenType"))
    holder = next(e for e in root.iter() if e.tag.endswith("}RequestedSecurityToken"))
    return token_type, ET.tostring(holder[0])


def redeem(http, emu, token_type, assertion, encode=base64.b64encode):
    return http.token(
        {
            "grant_type": GRANT[token_type],
            "client_id": emu.app("public")["client_id"],
            "assertion": encode(assertion).decode(),
            "client_info": "1",
            "scope": "User.Read openid profile offline_access",
        }
    )


def test_mex_lists_username_endpoints_among_others(emulator, http):
    resp = http.get(emulator.base_url + "/adfs/services/trust/mex")
    assert resp.status_code == 200 and "xml" in resp.headers["content-type"]
    found, ports = username_endpoints(resp.text)
    base = emulator.base_url + "/adfs/services/trust/"
    assert found == {
        base + "13/usernamemixed": "http://docs.oasis-open.org/ws-sx/ws-trust/200512/RST/Issue",
        base + "2005/usernamemixed": "http://schemas.xmlsoap.org/ws/2005/02/trust/RST/Issue",
    }
    assert ports == 5  # windowstransport and certificate ports must be skipped by clients


def test_mex_can_advertise_only_2005(emulator):
    found, _ = username_endpoints(emulator.mex_document(versions=["2005"]))
    assert list(found) == [emulator.base_url + "/adfs/services/trust/2005/usernamemixed"]


@pytest.mark.parametrize(
    "version,asked,expected", [("13", None, SAML2), ("2005", None, SAML1), ("13", SAML1, SAML1)]
)
def test_ws_trust_issues_saml_that_redeems_once(emulator, http, version, asked, expected):
    resp = issue(http, emulator, version, token_type=asked)
    assert resp.status_code == 200, resp.text
    root = ET.fromstring(resp.content)
    outer = root.find("s:Body", NS)[0].tag
    assert outer.endswith(
        "RequestSecurityTokenResponseCollection" if version == "13" else "}RequestSecurityTokenResponse"
    )
    token_type, assertion = assertion_of(resp)
    assert token_type == expected
    saml = ET.fromstring(assertion)
    assert saml.tag == "{%s}Assertion" % expected
    values = [e.text for e in saml.iter() if e.tag.endswith("}AttributeValue")]
    assert CAROL[0] in values and emulator.user("carol")["immutable_id"] in values
    body = redeem(http, emulator, token_type, assertion).json()
    idt = http.claims(body["id_token"])
    assert idt["preferred_username"] == CAROL[0] and idt["tid"] == emulator.tenant_id
    assert body["refresh_token"] and body["client_info"]
    again = redeem(http, emulator, token_type, assertion).json()
    assert again["error"] == "invalid_grant" and again["error_codes"] == [50008]


def test_url_safe_unpadded_assertion_accepted(emulator, http):
    token_type, assertion = assertion_of(issue(http, emulator))
    urlsafe = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=")
    assert "access_token" in redeem(http, emulator, token_type, assertion, encode=urlsafe).json()


def test_bad_password_is_a_soap_fault(emulator, http):
    resp = issue(http, emulator, user=(CAROL[0], "wrong"))
    assert resp.status_code == 500
    root = ET.fromstring(resp.content)
    fault = root.find("s:Body/s:Fault", NS)
    assert fault.find("s:Code/s:Value", NS).text == "s:Sender"
    assert fault.find("s:Code/s:Subcode/s:Value", NS).text == "a:FailedAuthentication"
    assert fault.find("s:Reason/s:Text", NS).text.startswith("ID3242")


def test_managed_user_is_unknown_to_adfs(emulator, http):
    assert issue(http, emulator, user=("alice@contoso.example", "Alice-Passw0rd!")).status_code == 500


def test_wrong_audience_and_request_version(emulator, http):
    assert b"MSIS7007" in issue(http, emulator, applies_to="urn:other").content
    url = emulator.base_url + "/adfs/services/trust/2005/usernamemixed"
    resp = http.post(url, data=rst("13", *CAROL).encode())  # a 1.3 request at the 2005 endpoint
    assert resp.status_code == 500 and b"InvalidRequest" in resp.content


def test_forged_expired_and_mismatched_assertions(emulator, http, clock):
    token_type, assertion = assertion_of(issue(http, emulator))
    forged = assertion.replace(b'ID="_', b'ID="_forged')
    assert redeem(http, emulator, token_type, forged).json()["error_codes"] == [50008]
    assert redeem(http, emulator, SAML1, assertion).json()["error_codes"] == [50008]
    assert redeem(http, emulator, token_type, b"not xml").json()["error_codes"] == [50008]
    clock.advance(3601)
    assert redeem(http, emulator, token_type, assertion).json()["error_codes"] == [500133]


def test_mex_document_can_be_replaced(emulator_clean, http):
    emu = emulator_clean
    url = emu.base_url + "/adfs/services/trust/mex"
    emu.set_mex_document("<not-a-wsdl")
    assert http.get(url).text == "<not-a-wsdl"
    emu.reset_mex()
    assert "wsdl:definitions" in http.get(url).text
    assert http.put(emu.base_url + "/_emulator/mex", "garbage").status_code == 200
    assert http.get(url).text == "garbage"
    assert http.delete(emu.base_url + "/_emulator/mex").status_code == 200
    assert "wsdl:definitions" in http.get(url).text
    assert all("/_emulator/" not in r["path"] for r in emu.requests)
