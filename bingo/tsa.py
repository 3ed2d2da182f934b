"""RFC 3161 time stamps: a local authority in-process, and a client for external authorities.

The local authority's key and self-signed certificate (extended key usage id-kp-timeStamping,
critical) are generated on first use into `LOBBY_DATA_DIR/bingo-tsa.pem` (one file, created
atomically, so two processes that start together agree on one authority). Tokens embed only
that certificate, sign with ECDSA P-256 / SHA-256, carry an ESS signingCertificateV2 attribute,
and verify with `openssl ts -verify -digest <hex> -in token.der -token_in -CAfile cert.pem`.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import requests
from asn1crypto import algos, cms, core, tsp, x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings

logger = logging.getLogger(__name__)

LOCAL_AUTHORITY = "lobby.local"
# 2.25.<uuid as integer>: an OID anyone may mint (ITU-T X.667); the local TSA's policy.
POLICY_OID = "2.25.201918446287403014384051357322787415552"
TSA_FILE = "bingo-tsa.pem"
EXTERNAL_TIMEOUT = 5


@dataclass(frozen=True)
class Stamp:
    token: bytes  # DER TimeStampToken (CMS ContentInfo)
    authority: str  # "lobby.local" or the external authority's host
    gen_time: datetime


class TimestampError(Exception):
    pass


# --- The local authority --------------------------------------------------------------------


def _authority_path() -> Path:
    return Path(settings.DATA_DIR) / TSA_FILE


def _generate_pem() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = cx509.Name(
        [
            cx509.NameAttribute(NameOID.COMMON_NAME, "Lobby Bingo Time-Stamping Authority"),
            cx509.NameAttribute(NameOID.ORGANIZATION_NAME, "Lobby"),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        cx509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(cx509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(cx509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            cx509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(cx509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(cx509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem + cert.public_bytes(serialization.Encoding.PEM)


def ensure_local_authority() -> Path:
    """Create the key + certificate file once (atomic create-if-absent); return its path.

    Also a LOBBY_SETUP_HOOKS entry, so `make run` generates it before serving.
    """
    path = _authority_path()
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{TSA_FILE}.{secrets.token_hex(6)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(_generate_pem())
        try:
            os.link(tmp, path)  # fails if another process won the race: use theirs
            logger.info("bingo: generated the local time-stamping authority in %s", path.parent)
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)
    return path


@functools.lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int) -> tuple[ec.EllipticCurvePrivateKey, cx509.Certificate]:
    data = Path(path).read_bytes()
    key = serialization.load_pem_private_key(data, password=None)
    cert = cx509.load_pem_x509_certificate(data[data.index(b"-----BEGIN CERTIFICATE-----") :])
    if not isinstance(key, ec.EllipticCurvePrivateKey):  # pragma: no cover - we write EC keys
        raise TimestampError("unexpected TSA key type")
    return key, cert


def local_authority() -> tuple[ec.EllipticCurvePrivateKey, cx509.Certificate]:
    path = ensure_local_authority()
    return _load(str(path), path.stat().st_mtime_ns)


def certificate_pem() -> bytes:
    _, cert = local_authority()
    return cert.public_bytes(serialization.Encoding.PEM)


def local_stamp(digest: bytes, *, now: datetime | None = None, nonce: int | None = None) -> Stamp:
    """Sign a TimeStampToken over a SHA-256 `digest` with the local authority."""
    if len(digest) != 32:
        raise TimestampError("the message imprint must be a SHA-256 digest")
    key, cert = local_authority()
    now = (now or datetime.now(UTC)).astimezone(UTC)
    gen_time = now.replace(microsecond=(now.microsecond // 1000) * 1000)
    cert_der = cert.public_bytes(serialization.Encoding.DER)
    asn1_cert = x509.Certificate.load(cert_der)
    tst_info = tsp.TSTInfo(
        {
            "version": "v1",
            "policy": POLICY_OID,
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": digest,
            },
            "serial_number": secrets.randbits(63),
            "gen_time": gen_time,
            "accuracy": {"millis": 1},
            "ordering": False,
            **({"nonce": nonce} if nonce is not None else {}),
        }
    )
    tst_der = tst_info.dump()
    signed_attrs = cms.CMSAttributes(
        [
            {"type": "content_type", "values": ["tst_info"]},
            {"type": "signing_time", "values": [cms.Time({"utc_time": gen_time})]},
            {"type": "message_digest", "values": [hashlib.sha256(tst_der).digest()]},
            {
                "type": "signing_certificate_v2",
                "values": [
                    {
                        "certs": [
                            {
                                "hash_algorithm": {"algorithm": "sha256"},
                                "cert_hash": hashlib.sha256(cert_der).digest(),
                            }
                        ]
                    }
                ],
            },
        ]
    )
    signature = key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256()))
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": asn1_cert.issuer,
                        "serial_number": asn1_cert.serial_number,
                    }
                }
            ),
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": signed_attrs,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
            "signature": signature,
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {
                "content_type": "tst_info",
                "content": core.ParsableOctetString(tst_der),
            },
            "certificates": [asn1_cert],
            "signer_infos": [signer_info],
        }
    )
    token = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
    return Stamp(token=token.dump(), authority=LOCAL_AUTHORITY, gen_time=gen_time)


# --- Tokens ---------------------------------------------------------------------------------


def token_info(token: bytes) -> tuple[bytes, datetime]:
    """(message imprint, genTime) of a DER TimeStampToken."""
    content = cms.ContentInfo.load(token)
    encap = content["content"]["encap_content_info"]
    info = encap["content"].parsed
    if not isinstance(info, tsp.TSTInfo):
        info = tsp.TSTInfo.load(encap["content"].native)
    return info["message_imprint"]["hashed_message"].native, info["gen_time"].native


def response_from_token(token: bytes) -> bytes:
    """Wrap a token in a granted TimeStampResp (what rfc3161-client decodes)."""
    resp = tsp.TimeStampResp(
        {"status": {"status": "granted"}, "time_stamp_token": cms.ContentInfo.load(token)}
    )
    return resp.dump()


def b64(token: bytes) -> str:
    return base64.b64encode(token).decode("ascii")


# --- External authorities -------------------------------------------------------------------


def authority_name(url: str) -> str:
    return (urlsplit(url).hostname or url).lower()


def external_stamp(url: str, digest: bytes) -> Stamp:
    """Ask an RFC 3161 authority over HTTP (timeout 5 s); check its answer covers `digest`."""
    nonce = secrets.randbits(63)
    request = tsp.TimeStampReq(
        {
            "version": "v1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": digest,
            },
            "nonce": nonce,
            "cert_req": True,
        }
    )
    response = requests.post(
        url,
        data=request.dump(),
        headers={"Content-Type": "application/timestamp-query"},
        timeout=EXTERNAL_TIMEOUT,
    )
    response.raise_for_status()
    if len(response.content) > 64 * 1024:
        raise TimestampError("time-stamp response too large")
    resp = tsp.TimeStampResp.load(response.content)
    status = resp["status"]["status"].native
    if status not in ("granted", "granted_with_mods"):
        raise TimestampError(f"authority answered {status}")
    token = resp["time_stamp_token"].dump()
    imprint, gen_time = token_info(token)
    info = resp["time_stamp_token"]["content"]["encap_content_info"]["content"].parsed
    if imprint != digest or info["nonce"].native != nonce:
        raise TimestampError("the authority stamped something else")
    return Stamp(token=token, authority=authority_name(url), gen_time=gen_time)


def stamp(digest: bytes) -> Stamp:
    """A token over `digest`: the first external authority that answers, else the local one."""
    for url in settings.BINGO_TSA_URLS:
        try:
            return external_stamp(url, digest)
        except (requests.RequestException, TimestampError, ValueError) as exc:
            logger.warning("bingo: TSA %s failed (%s); trying the next", authority_name(url), exc)
    return local_stamp(digest)
