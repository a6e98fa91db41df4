"""How a confidential client proves who it is at the token endpoint (RFC 6749 §2.3, RFC 7523)."""

from __future__ import annotations

import base64
import re
import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Union

from .tolerant import tolerant
from .ids import random_uuid

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME = 600


class ClientAuth(object):
    """Adds client authentication fields to a token request form. Public clients add none."""

    def apply(self, form: Dict[str, Any], token_endpoint: str) -> None:
        """Add this client's credentials to ``form``, for a request to ``token_endpoint``."""


class SecretAuth(ClientAuth):
    """``client_secret`` in the request body (``client_secret_post``)."""

    def __init__(self, secret: str) -> None:
        self._secret = secret

    def apply(self, form: Dict[str, Any], token_endpoint: str) -> None:
        form["client_secret"] = self._secret

    def __repr__(self) -> str:
        return "SecretAuth(<redacted>)"


class AssertionAuth(ClientAuth):
    """A pre-signed assertion, or a callable that makes one for each request."""

    def __init__(self, assertion: Union[str, Callable[[], str]]) -> None:
        self._assertion = assertion

    def apply(self, form: Dict[str, Any], token_endpoint: str) -> None:
        form["client_assertion_type"] = ASSERTION_TYPE
        form["client_assertion"] = self._assertion() if callable(self._assertion) else self._assertion

    def __repr__(self) -> str:
        return "AssertionAuth(<redacted>)"


class PrivateKeyJwtAuth(ClientAuth):
    """A fresh RS256 JWT signed with the certificate's private key for every request (RFC 7523 §2.2)."""

    def __init__(
        self,
        client_id: str,
        private_key: str,
        thumbprint: str,
        public_certificate: Optional[str] = None,
        passphrase: Optional[str] = None,
        extra_claims: Optional[Mapping[str, Any]] = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._client_id = client_id
        self._key = load_private_key(private_key, passphrase)
        self._headers: Dict[str, Any] = {"x5t": thumbprint_to_x5t(thumbprint)}
        if public_certificate:
            self._headers["x5c"] = pem_chain_to_x5c(public_certificate)
        self._extra_claims = dict(extra_claims or {})
        self._now = now

    def apply(self, form: Dict[str, Any], token_endpoint: str) -> None:
        form["client_assertion_type"] = ASSERTION_TYPE
        form["client_assertion"] = self.sign(token_endpoint)

    def sign(self, audience: str) -> str:
        import jwt  # PyJWT; imported here so that "import msal" stays cheap

        now = int(self._now())
        claims = {
            "aud": audience,
            "iss": self._client_id,
            "sub": self._client_id,
            "exp": now + ASSERTION_LIFETIME,
            "iat": now,
            "nbf": now,
            "jti": random_uuid(),
        }
        claims.update(self._extra_claims)
        return jwt.encode(claims, self._key, algorithm="RS256", headers=self._headers)

    @tolerant
    def __repr__(self) -> str:
        return "PrivateKeyJwtAuth(client_id={!r}, x5t={!r})".format(self._client_id, self._headers["x5t"])


def load_private_key(pem: str, passphrase: Optional[str] = None) -> Any:
    """Load a PEM private key; ``ValueError`` that says what is wrong (never echoing the key)."""
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    if not isinstance(pem, (str, bytes)) or not pem:
        raise ValueError("client_credential['private_key'] must be a PEM string")
    _refuse_file_name(pem, "private_key")
    data = pem.encode("utf-8") if isinstance(pem, str) else pem
    password = passphrase.encode("utf-8") if isinstance(passphrase, str) else passphrase
    try:
        return load_pem_private_key(data, password=password)
    except TypeError as exc:  # Encrypted key without passphrase, or vice versa
        raise ValueError(
            "client_credential['private_key'] could not be loaded: {}".format(
                "it is encrypted; give its 'passphrase'"
                if "encrypted" in str(exc)
                else "a 'passphrase' was given but the key is not encrypted"
            )
        )
    except ValueError:
        raise ValueError(
            "client_credential['private_key'] could not be loaded: not a PEM "
            "private key, or the passphrase is wrong"
        )


def thumbprint_to_x5t(thumbprint: str) -> str:
    """The SHA-1 thumbprint (hex) as the ``x5t`` header: base64url, padding kept as Entra expects."""
    if not isinstance(thumbprint, str) or not re.fullmatch(r"[0-9a-fA-F]{40}", thumbprint.replace(":", "")):
        raise ValueError(
            "client_credential['thumbprint'] must be the certificate's SHA-1 "
            "thumbprint as 40 hexadecimal digits"
        )
    return base64.urlsafe_b64encode(bytes.fromhex(thumbprint.replace(":", ""))).decode("ascii")


def pem_chain_to_x5c(pem_chain: str) -> List[str]:
    """The certificates of a PEM chain as the ``x5c`` header: base64 DER, leaf first (RFC 7515 §4.1.6)."""
    _refuse_file_name(pem_chain, "public_certificate")
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", pem_chain, re.DOTALL)
    if not blocks:
        raise ValueError("client_credential['public_certificate'] must contain a PEM certificate")
    return ["".join(block.split()) for block in blocks]


def _refuse_file_name(value: Any, key: str) -> None:
    """A one-line value without a PEM header is most likely the name of the PEM file: say so
    (without echoing the value, which could be a key after all)."""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    if isinstance(text, str) and "-----BEGIN" not in text and "\n" not in text.strip():
        raise ValueError(
            "client_credential[{0!r}] must be the PEM text itself (starting with -----BEGIN), "
            "not the name of a file: read the file first, e.g. open('{1}.pem').read()".format(
                key, "key" if key == "private_key" else "cert"
            )
        )
