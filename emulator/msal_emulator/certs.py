"""Throw-away X.509 material: a CA, the HTTPS server certificate and app certificates.

Everything is generated in memory at start-up; clients trust the CA (written to a PEM file)
instead of turning certificate verification off.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import os
from dataclasses import dataclass
from typing import Callable, Iterable, List, Optional

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SERVER_NAMES = ("localhost", "127.0.0.1", "::1")


def new_rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def private_key_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def cert_der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def b64url(data: bytes, pad: bool = False) -> str:
    text = base64.urlsafe_b64encode(data).decode()
    return text if pad else text.rstrip("=")


def sha1_thumbprint_hex(cert: x509.Certificate) -> str:
    """The thumbprint the Azure portal shows (and msal's client_credential wants)."""
    return hashlib.sha1(cert_der(cert)).hexdigest().upper()


def x5t(cert: x509.Certificate) -> str:
    return b64url(hashlib.sha1(cert_der(cert)).digest())


def x5t_s256(cert: x509.Certificate) -> str:
    return b64url(hashlib.sha256(cert_der(cert)).digest())


def load_pem_certificate(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode() if isinstance(pem, str) else pem)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _validity(builder: x509.CertificateBuilder, days: int) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.timezone.utc)
    return builder.not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(
        now + datetime.timedelta(days=days)
    )


def _san(names: Iterable[str]) -> x509.SubjectAlternativeName:
    entries: List[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


@dataclass
class KeyPair:
    """A private key with its certificate, in the forms callers need."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate

    @property
    def key_pem(self) -> str:
        return private_key_pem(self.key)

    @property
    def cert_pem(self) -> str:
        return cert_pem(self.cert)

    @property
    def thumbprint(self) -> str:
        return sha1_thumbprint_hex(self.cert)


class CertificateAuthority:
    """A self-signed CA that issues the server and app certificates."""

    def __init__(self, common_name: str = "msal-emulator test CA", pair: Optional[KeyPair] = None):
        if pair is not None:  # an existing CA, e.g. one kept in a state directory
            self.pair = pair
            return
        key = new_rsa_key()
        builder = _validity(x509.CertificateBuilder(), days=3650)
        cert = (
            builder.subject_name(_name(common_name))
            .issuer_name(_name(common_name))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        self.pair = KeyPair(key, cert)

    @property
    def cert_pem(self) -> str:
        return self.pair.cert_pem

    def issue(
        self,
        common_name: str,
        names: Optional[Iterable[str]] = None,
        server: bool = False,
        days: int = 365,
        key: Optional[rsa.RSAPrivateKey] = None,
    ) -> KeyPair:
        """A leaf certificate signed by this CA (a TLS server one when server=True), for a
        new key unless one is given."""
        key = key or new_rsa_key()
        builder = _validity(x509.CertificateBuilder(), days=days)
        builder = (
            builder.subject_name(_name(common_name))
            .issuer_name(self.pair.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.pair.key.public_key()), critical=False
            )
        )
        if names:
            builder = builder.add_extension(_san(names), critical=False)
        if server:
            builder = builder.add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
        return KeyPair(key, builder.sign(self.pair.key, hashes.SHA256()))


def read_pair(path: str) -> Optional[KeyPair]:
    """A key and certificate from one PEM file; None when absent, unreadable or expired."""
    try:
        with open(path, "rb") as f:
            data = f.read()
        key = serialization.load_pem_private_key(data, password=None)
        cert = x509.load_pem_x509_certificate(data[data.index(b"-----BEGIN CERTIFICATE") :])
    except (OSError, ValueError, TypeError):
        return None
    now = datetime.datetime.now(datetime.timezone.utc)
    if not isinstance(key, rsa.RSAPrivateKey) or cert.not_valid_after_utc <= now:
        return None
    return KeyPair(key, cert)


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def stored_pair(
    directory: str, filename: str, make: Callable[[], KeyPair], issuer: Optional[KeyPair] = None
) -> KeyPair:
    """The pair kept in `directory/filename` (signed by `issuer`, when given), else a new one
    from `make`, written there for the next run."""
    path = os.path.join(directory, filename)
    pair = read_pair(path)
    if pair is not None and (issuer is None or _issued_by(pair.cert, issuer.cert)):
        return pair
    pair = make()
    write_text(directory, filename, pair.key_pem + pair.cert_pem)
    os.chmod(path, 0o600)
    return pair


def write_text(directory: str, filename: str, text: str) -> str:
    path = os.path.join(directory, filename)
    with open(path, "w", encoding="ascii") as f:
        f.write(text)
    return path
