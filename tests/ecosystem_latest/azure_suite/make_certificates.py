"""Write the certificate files azure-identity's tests load but its sdist leaves out (its
repository keeps them): an RSA certificate as PEM and PKCS#12, each also with the password
the tests use, and an EC certificate."""

import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

PASSWORD = b"password"  # the tests' CERT_PASSWORD


def self_signed(key):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "azure-identity tests")])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )


def pem(key, cert, password=None):
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ) + cert.public_bytes(serialization.Encoding.PEM)


def main(folder):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = self_signed(key)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    files = {
        "certificate.pem": pem(key, cert),
        "certificate-with-password.pem": pem(key, cert, PASSWORD),
        "certificate.pfx": pkcs12.serialize_key_and_certificates(
            None, key, cert, None, serialization.NoEncryption()
        ),
        "certificate-with-password.pfx": pkcs12.serialize_key_and_certificates(
            None, key, cert, None, serialization.BestAvailableEncryption(PASSWORD)
        ),
        "ec-certificate.pem": pem(ec_key, self_signed(ec_key)),
    }
    for name, data in files.items():
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main(sys.argv[1])
