"""Key material generated at start: a CA, the HTTPS server certificate it signs, and the RSA key
that signs access tokens (published as a JWKS).  Nothing is reused between runs."""
from __future__ import annotations

import base64
import datetime
import hashlib
import ipaddress
import os
import ssl
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

VALIDITY = datetime.timedelta(days=2)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "tenantops sandbox"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _certificate(subject: str, public_key, issuer: x509.Name, signing_key, *, ca: bool,
                 san: list | None = None) -> x509.Certificate:
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(_name(subject)).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + VALIDITY)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    # Python 3.13's default TLS context (VERIFY_X509_STRICT) refuses a certificate without an Authority
    # Key Identifier, as public CAs' certificates all carry one (RFC 5280 4.2.1.1).
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), critical=False)
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
            critical=True)
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    else:
        builder = builder.add_extension(x509.SubjectAlternativeName(san or []), critical=False)
        builder = builder.add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@dataclass
class KeyMaterial:
    ca_file: str                 # PEM of the CA clients must trust
    server_cert_file: str
    server_key_file: str
    signing_key: rsa.RSAPrivateKey
    signing_cert: x509.Certificate
    kid: str

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.server_cert_file, self.server_key_file)
        return context

    def jwks(self) -> dict:
        numbers = self.signing_key.public_key().public_numbers()
        der = self.signing_cert.public_bytes(serialization.Encoding.DER)
        return {"keys": [{
            "kty": "RSA", "use": "sig", "kid": self.kid, "x5t": self.kid,
            "n": b64url(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
            "e": b64url(numbers.e.to_bytes(3, "big")),
            "x5c": [base64.b64encode(der).decode()],
        }]}


def generate(state_dir: str) -> KeyMaterial:
    """Create the CA, server certificate and token-signing key, writing the PEM files to state_dir."""
    os.makedirs(state_dir, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("tenantops sandbox CA")
    ca_cert = _certificate("tenantops sandbox CA", ca_key.public_key(), ca_name, ca_key, ca=True)

    server_key = ec.generate_private_key(ec.SECP256R1())
    san = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost"),
           x509.IPAddress(ipaddress.ip_address("::1"))]
    server_cert = _certificate("127.0.0.1", server_key.public_key(), ca_name, ca_key, ca=False, san=san)

    signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    signing_cert = _certificate("tenantops sandbox token signing", signing_key.public_key(), ca_name, ca_key,
                                ca=False, san=[x509.DNSName("localhost")])
    kid = b64url(hashlib.sha1(signing_cert.public_bytes(serialization.Encoding.DER)).digest())

    paths = {name: os.path.join(state_dir, name) for name in ("ca.pem", "server.pem", "server-key.pem")}
    _write(paths["ca.pem"], _pem(ca_cert))
    _write(paths["server.pem"], _pem(server_cert) + _pem(ca_cert))
    _write(paths["server-key.pem"], _key_pem(server_key), private=True)
    return KeyMaterial(paths["ca.pem"], paths["server.pem"], paths["server-key.pem"], signing_key, signing_cert, kid)


def _write(path: str, data: bytes, private: bool = False) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def thumbprints(cert_pem: str | bytes) -> tuple[str, str, object]:
    """(x5t, x5t#S256, public key) of a PEM certificate, as a client assertion's header names it."""
    cert = x509.load_pem_x509_certificate(cert_pem.encode() if isinstance(cert_pem, str) else cert_pem)
    der = cert.public_bytes(serialization.Encoding.DER)
    return b64url(hashlib.sha1(der).digest()), b64url(hashlib.sha256(der).digest()), cert.public_key()
