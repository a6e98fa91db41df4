"""Helpers shared by the emulator's own tests."""

import base64
import hashlib
import os
import time
import uuid
from urllib.parse import urlencode

import jwt
import requests

GRAPH = "00000003-0000-0000-c000-000000000000"
ALICE = ("alice@contoso.example", "Alice-Passw0rd!")


class Http:
    """requests calls with verify= passed per request (REQUESTS_CA_BUNDLE must not win)."""

    def __init__(self, emu):
        self.emu = emu

    def get(self, url, **kw):
        return requests.get(url, verify=self.emu.ca_path, allow_redirects=False, **kw)

    def post(self, url, **kw):
        return requests.post(url, verify=self.emu.ca_path, allow_redirects=False, **kw)

    def put(self, url, data):
        return requests.put(url, data=data, verify=self.emu.ca_path)

    def delete(self, url):
        return requests.delete(url, verify=self.emu.ca_path)

    def token(self, form, tenant=None, headers=None):
        return self.post(self.emu.token_endpoint(tenant), data=form, headers=headers)

    def claims(self, token):
        return jwt.decode(token, options={"verify_signature": False})


def pkce_pair():
    verifier = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def client_assertion(
    emu, app_name="confidential-cert", aud=None, lifetime=600, header=None, claims=None, key=None
):
    """A certificate credential signed with PyJWT, like msal makes it."""
    cred = emu.client_credential(app_name)
    client_id = emu.app(app_name)["client_id"]
    now = int(time.time())
    payload = {
        "aud": aud or emu.token_endpoint(),
        "iss": client_id,
        "sub": client_id,
        "iat": now,
        "nbf": now,
        "exp": now + lifetime,
        "jti": str(uuid.uuid4()),
    }
    payload.update(claims or {})
    thumb = bytes.fromhex(cred["thumbprint"])
    headers = {"x5t": base64.urlsafe_b64encode(thumb).decode()}
    if header is not None:
        headers = header
    return jwt.encode(payload, key or cred["private_key"], algorithm="RS256", headers=headers)


REDIRECT = "http://localhost:8400"
SCOPE = "User.Read openid profile offline_access"


def authorize_url(emu, app="public", redirect_uri=REDIRECT, scope=SCOPE, tenant=None, **extra):
    verifier, challenge = pkce_pair()
    params = {
        "client_id": emu.app(app)["client_id"],
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": scope,
        "state": "st-123",
        "nonce": "nonce-abc",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "client_info": "1",
    }
    params.update({k: v for k, v in extra.items() if v is not None})
    return emu.authority(tenant) + "/oauth2/v2.0/authorize?" + urlencode(params), verifier


def redeem(http, emu, code, verifier, app="public", redirect_uri=REDIRECT, scope=SCOPE, **extra):
    form = {
        "grant_type": "authorization_code",
        "client_id": emu.app(app)["client_id"],
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
        "scope": scope,
        "client_info": "1",
    }
    form.update(extra)
    return http.token(form)


DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
CAROL = ("carol@fabrikam.example", "Carol-Passw0rd!")
BOB = ("bob@contoso.example", "Bob-Passw0rd!")
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
TRUST = {
    "13": (
        "http://docs.oasis-open.org/ws-sx/ws-trust/200512",
        "http://docs.oasis-open.org/ws-sx/ws-trust/200512/Bearer",
    ),
    "2005": (
        "http://schemas.xmlsoap.org/ws/2005/02/trust",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/NoProofKey",
    ),
}


def start_device_flow(http, emu, app="public", scope="User.Read openid profile offline_access", tenant=None):
    resp = http.post(
        emu.authority(tenant) + "/oauth2/v2.0/devicecode",
        data={"client_id": emu.app(app)["client_id"], "scope": scope},
    )
    assert resp.status_code == 200, resp.text
    return resp.json()


def poll_device(http, emu, flow, app="public", tenant=None):
    """One poll, sending the code twice like msal does."""
    return http.token(
        {
            "grant_type": DEVICE_GRANT,
            "client_id": emu.app(app)["client_id"],
            "device_code": flow["device_code"],
            "code": flow["device_code"],
            "client_info": "1",
        },
        tenant=tenant,
    )


def rst(
    version,
    username,
    password,
    token_type=None,
    applies_to="urn:federation:MicrosoftOnline",
    request_type=None,
):
    """A SOAP 1.2 WS-Trust RequestSecurityToken with a username token, as clients send it."""
    ns, key_type = TRUST[version]
    request_type = request_type or ns + "/Issue"
    token_type_xml = "<wst:TokenType>%s</wst:TokenType>" % token_type if token_type else ""
    return (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:wsa="http://www.w3.org/2005/08/addressing" xmlns:wst="%s" xmlns:wsse="%s">'
        '<s:Header><wsa:Action s:mustUnderstand="1">%s/RST/Issue</wsa:Action>'
        '<wsse:Security s:mustUnderstand="1"><wsse:UsernameToken>'
        "<wsse:Username>%s</wsse:Username><wsse:Password>%s</wsse:Password>"
        "</wsse:UsernameToken></wsse:Security></s:Header><s:Body><wst:RequestSecurityToken>"
        '<wsp:AppliesTo xmlns:wsp="http://schemas.xmlsoap.org/ws/2004/09/policy">'
        "<wsa:EndpointReference><wsa:Address>%s</wsa:Address></wsa:EndpointReference>"
        "</wsp:AppliesTo><wst:KeyType>%s</wst:KeyType><wst:RequestType>%s</wst:RequestType>%s"
        "</wst:RequestSecurityToken></s:Body></s:Envelope>"
        % (ns, WSSE, ns, username, password, applies_to, key_type, request_type, token_type_xml)
    )


def raw_tls_exchange(emu, request_bytes):
    """Send bytes over TLS and read until the server closes; returns (data, exception).

    TLS runs in memory over a plain socket, so a TCP reset shows as ConnectionResetError
    (Python's ssl sockets report it like an EOF).
    """
    import socket
    import ssl

    context = ssl.create_default_context(cafile=emu.ca_path)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    sock = socket.create_connection(("127.0.0.1", emu.port), timeout=10)
    data = b""
    try:

        def pump():
            if outgoing.pending:
                sock.sendall(outgoing.read())
            chunk = sock.recv(65536)
            if not chunk:
                raise EOFError
            incoming.write(chunk)

        while True:
            try:
                tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                pump()
        tls.write(request_bytes)
        while True:
            try:
                data += tls.read(65536)
            except ssl.SSLWantReadError:
                pump()
    except (EOFError, ssl.SSLZeroReturnError):
        return data, None
    except OSError as exc:
        return data, exc
    finally:
        sock.close()


def run_original(python, script, cfg, answer):
    """Run one of this folder's scripts under the original msal's interpreter.

    The script reads `cfg` as one JSON line and prints one JSON line back; `answer(that)` may
    return a dict to send as the next line. Returns the script's final JSON line.
    """
    from support.original import Conversation

    with Conversation(python, [os.path.join(os.path.dirname(__file__), script)]) as child:
        child.send(cfg)
        reply = answer(child.receive())
        if reply is not None:
            child.send(reply)
        result = child.receive()
        assert child.close() == 0, child.errors()
    return result
