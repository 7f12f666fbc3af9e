"""The digital seal: every issued paper is signed as PAdES with the organisation's key.

The key and its certificate come from a PKCS#12 file named in the configuration
(``SEAL_PKCS12_PATH``, ``SEAL_PKCS12_PASSWORD``). Development and the tests make their own,
self-signed and named for what it is ("DEVELOPMENT ONLY"), the first time it is needed; a
production server never does.

Checking a file answers two questions: did this certificate seal it, and is every byte as it
was sealed (the signature covers the whole file, and nothing was appended after it).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from flask import current_app

log = logging.getLogger(__name__)

FIELD_NAME = "TizimSeal"


class SealUnavailable(RuntimeError):
    """No usable key: the PKCS#12 file is missing, unreadable or its password wrong."""


@dataclass(frozen=True)
class Seal:
    signer: object  # pyhanko SimpleSigner
    certificate_der: bytes
    fingerprint: str  # sha256 of the certificate, hex
    subject: str


def create_development_seal(path: Path, password: str, *, label: str = "DEVELOPMENT ONLY") -> bool:
    """Write a fresh key and self-signed certificate to ``path``; False if it already exists.

    The certificate's names say it is not the Assembly's: a paper sealed with it is worth
    nothing outside a laptop or a test run.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    if path.exists():
        return False
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, f"Tizim seal — {label} — not valid"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"Tizim {label}"),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
    ])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=True, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        f"tizim-{label.lower().replace(' ', '-')}".encode(), key, certificate, None,
        serialization.BestAvailableEncryption(password.encode()))
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed: two processes starting at once never read half a file.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".seal-")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    try:
        os.link(temporary, path)  # fails if another process made it first: theirs stands
    except FileExistsError:
        return False
    finally:
        os.unlink(temporary)
    os.chmod(path, 0o600)
    return True


@lru_cache(maxsize=4)
def _load(path: str, password: str | None, modified: float) -> Seal:
    from cryptography.hazmat.primitives.serialization import Encoding
    from pyhanko.sign.signers import SimpleSigner

    try:
        data = Path(path).read_bytes()
        signer = SimpleSigner.load_pkcs12_data(
            data, other_certs=[], passphrase=password.encode() if password else None)
    except (OSError, ValueError) as error:
        raise SealUnavailable(f"cannot read the seal's PKCS#12 file {path}: {error}") from None
    from cryptography.hazmat.primitives.serialization import pkcs12

    _key, certificate, _others = pkcs12.load_key_and_certificates(
        data, password.encode() if password else None)
    der = certificate.public_bytes(Encoding.DER)
    return Seal(signer=signer, certificate_der=der, fingerprint=hashlib.sha256(der).hexdigest(),
                subject=certificate.subject.rfc4514_string())


def current_seal() -> Seal:
    """The configured seal, loaded once per process (again when the file changes).

    :raise SealUnavailable: not configured, missing or unreadable.
    """
    config = current_app.config
    path = config.get("SEAL_PKCS12_PATH")
    if not path:
        raise SealUnavailable("SEAL_PKCS12_PATH is not set")
    password = config.get("SEAL_PKCS12_PASSWORD") or ""
    if config.get("SEAL_DEVELOPMENT") and create_development_seal(Path(path), password):
        log.warning("created a DEVELOPMENT-ONLY seal at %s: not for production", path)
    try:
        modified = Path(path).stat().st_mtime
    except OSError:
        raise SealUnavailable(f"the seal's PKCS#12 file {path} does not exist") from None
    return _load(path, password, modified)


def seal_pdf(data: bytes, *, reason: str, location: str) -> tuple[bytes, Seal]:
    """Sign ``data`` (a PDF) as PAdES with the configured seal; return the signed bytes.

    The signature is an incremental update: the bytes given come first, unchanged.

    :raise SealUnavailable: no usable key.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    seal = current_seal()
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME, subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256",
        reason=reason, location=location)
    out = signers.sign_pdf(writer, meta, signer=seal.signer)
    return out.getvalue(), seal


@dataclass(frozen=True)
class SealCheck:
    signed: bool  # the file carries a signature at all
    intact: bool  # the signed bytes are as they were signed, and they are the whole file
    fingerprint: str | None  # sha256 of the signer's certificate
    signed_at: datetime | None
    keywords: str  # the file's keywords (where Tizim writes the verification code)


NOT_SIGNED = SealCheck(False, False, None, None, "")


def check_pdf(data: bytes) -> SealCheck:
    """Whether ``data`` carries an intact signature over every byte, and whose.

    Never raises on a malformed file: it is simply not an intact sealed paper.
    """
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
        trailer = reader.trailer_view
        info = trailer.get("/Info")
        info = info.get_object() if info is not None else None
        keywords = str(info.get("/Keywords", "")) if info is not None else ""
    except Exception:  # noqa: BLE001 - any parse failure means "not an intact paper"
        return NOT_SIGNED
    if len(signatures) != 1:
        return NOT_SIGNED if not signatures else SealCheck(True, False, None, None, keywords)
    embedded = signatures[0]
    try:
        certificate = embedded.signer_cert
        # The signer's own certificate is the only root: whether it is Tizim's is decided by
        # its fingerprint against the registry, not by a chain to some authority.
        context = ValidationContext(trust_roots=[certificate], allow_fetching=False)
        status = validate_pdf_signature(embedded, context)
        intact = bool(status.intact and status.valid
                      and status.coverage == SignatureCoverageLevel.ENTIRE_FILE)
        fingerprint = hashlib.sha256(certificate.dump()).hexdigest()
        signed_at = status.signer_reported_dt
    except Exception:  # noqa: BLE001 - a broken signature structure is not an intact seal
        return SealCheck(True, False, None, None, keywords)
    return SealCheck(True, intact, fingerprint, signed_at, keywords)
