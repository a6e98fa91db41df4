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

    def token(self, form, tenant=None, headers=None):
        return self.post(self.emu.token_endpoint(tenant), data=form, headers=headers)

    def claims(self, token):
        return jwt.decode(token, options={"verify_signature": False})


def pkce_pair():
    verifier = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def client_assertion(emu, app_name="confidential-cert", aud=None, lifetime=600, header=None,
                     claims=None, key=None):
    """A certificate credential signed with PyJWT, like msal makes it."""
    cred = emu.client_credential(app_name)
    client_id = emu.app(app_name)["client_id"]
    now = int(time.time())
    payload = {"aud": aud or emu.token_endpoint(), "iss": client_id, "sub": client_id,
               "iat": now, "nbf": now, "exp": now + lifetime, "jti": str(uuid.uuid4())}
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
    params = {"client_id": emu.app(app)["client_id"], "response_type": "code",
              "redirect_uri": redirect_uri, "scope": scope, "state": "st-123",
              "nonce": "nonce-abc", "code_challenge": challenge,
              "code_challenge_method": "S256", "client_info": "1"}
    params.update({k: v for k, v in extra.items() if v is not None})
    return emu.authority(tenant) + "/oauth2/v2.0/authorize?" + urlencode(params), verifier


def redeem(http, emu, code, verifier, app="public", redirect_uri=REDIRECT, scope=SCOPE, **extra):
    form = {"grant_type": "authorization_code", "client_id": emu.app(app)["client_id"],
            "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier,
            "scope": scope, "client_info": "1"}
    form.update(extra)
    return http.token(form)
