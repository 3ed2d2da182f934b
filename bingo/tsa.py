"""RFC 3161 time stamps: a local authority in-process, and a client for external authorities.

The local authority's key and self-signed certificate (extended key usage id-kp-timeStamping,
critical) are generated on first use into `LOBBY_DATA_DIR/bingo-tsa.pem` (one file, created
atomically, so two processes that start together agree on one authority). Tokens embed only
that certificate, sign with ECDSA P-256 / SHA-256, carry an ESS signingCertificateV2 attribute,
and verify with `openssl ts -verify -digest <hex> -in token.der -token_in -CAfile cert.pem`.

External authorities (BINGO_TSA_URLS) share one deadline per stamp for the whole exchange, and
their tokens are kept only once rfc3161-client verifies them against BINGO_TSA_TRUST_ANCHORS.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import logging
import os
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
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
from rfc3161_client import VerificationError, VerifierBuilder, decode_timestamp_response

logger = logging.getLogger(__name__)

LOCAL_AUTHORITY = "lobby.local"
# 2.25.<uuid as integer>: an OID anyone may mint (ITU-T X.667); the local TSA's policy.
POLICY_OID = "2.25.201918446287403014384051357322787415552"
TSA_FILE = "bingo-tsa.pem"
# Seconds for every external authority together, per stamp: connect, send, and the whole answer.
EXTERNAL_DEADLINE = 5.0
MAX_RESPONSE = 64 * 1024
SHA256_OID = cx509.ObjectIdentifier("2.16.840.1.101.3.4.2.1")


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
    key, cert = local_authority()
    token, gen_time = sign_token(digest, key=key, cert=cert, now=now, nonce=nonce)
    return Stamp(token=token, authority=LOCAL_AUTHORITY, gen_time=gen_time)


def sign_token(
    digest: bytes,
    *,
    key: ec.EllipticCurvePrivateKey,
    cert: cx509.Certificate,
    now: datetime | None = None,
    nonce: int | None = None,
) -> tuple[bytes, datetime]:
    """(DER TimeStampToken over a SHA-256 `digest` signed by `key`, embedding `cert`; genTime)."""
    if len(digest) != 32:
        raise TimestampError("the message imprint must be a SHA-256 digest")
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
    return token.dump(), gen_time


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


def trust_anchors() -> list[cx509.Certificate]:
    """The certificates in BINGO_TSA_TRUST_ANCHORS (PEM files); an unreadable file adds none."""
    anchors: list[cx509.Certificate] = []
    for path in settings.BINGO_TSA_TRUST_ANCHORS:
        try:
            found = _load_anchors(str(path), Path(path).stat().st_mtime_ns)
        except (OSError, ValueError) as exc:
            logger.error("bingo: TSA trust anchor file %s is unusable (%s); ignored", path, exc)
            continue
        anchors.extend(cert for cert in found if cert not in anchors)
    return anchors


@functools.lru_cache(maxsize=16)
def _load_anchors(path: str, mtime_ns: int) -> tuple[cx509.Certificate, ...]:
    return tuple(cx509.load_pem_x509_certificates(Path(path).read_bytes()))


def _post(url: str, body: bytes, deadline: float) -> bytes:
    """POST the request and read the answer, giving up at the monotonic `deadline`.

    Runs in a worker thread: a read blocks at most until the per-read timeout, so the thread
    ends soon after the deadline even if the caller stopped waiting for it at the deadline.
    """
    remaining = deadline - time.monotonic()
    with requests.post(
        url,
        data=body,
        headers={"Content-Type": "application/timestamp-query"},
        timeout=(remaining, remaining),
        stream=True,
    ) as response:
        response.raise_for_status()
        content = bytearray()
        for chunk in response.iter_content(4096):
            content += chunk
            if len(content) > MAX_RESPONSE:
                raise TimestampError("time-stamp response too large")
            if time.monotonic() > deadline:
                raise TimestampError("the answer was still arriving at the deadline")
    return bytes(content)


def _post_within(url: str, body: bytes, deadline: float) -> bytes:
    """`_post` with a hard stop: the caller never waits past `deadline` (DNS, connect, reads)."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimestampError("no time left for this authority")
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bingo-tsa")
    try:
        future = pool.submit(_post, url, body, deadline)
        try:
            return future.result(timeout=remaining)
        except TimeoutError as exc:
            raise TimestampError(f"no complete answer within {remaining:.1f} s") from exc
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def verify_response(
    content: bytes, digest: bytes, *, nonce: int, anchors: list[cx509.Certificate]
) -> bytes:
    """The token of a TimeStampResp that rfc3161-client verifies, else TimestampError.

    Checked: status granted; the CMS signature; the signer's certificate chains to one of
    `anchors` (valid at genTime); its extended key usage is id-kp-timeStamping, critical;
    our nonce; a SHA-256 imprint equal to `digest`.
    """
    if not anchors:
        raise TimestampError("no trust anchor configured")
    try:
        response = decode_timestamp_response(content)
        if response.tst_info.message_imprint.hash_algorithm != SHA256_OID:
            raise TimestampError("the imprint is not SHA-256")
        builder = VerifierBuilder().nonce(nonce)
        for anchor in anchors:
            builder = builder.add_root_certificate(anchor)
        builder.build().verify(response, digest)
        return response.time_stamp_token()
    except (VerificationError, ValueError) as exc:
        raise TimestampError(f"the token does not verify: {exc}") from exc


def external_stamp(
    url: str, digest: bytes, *, deadline: float, anchors: list[cx509.Certificate]
) -> Stamp:
    """Ask an RFC 3161 authority over HTTP, answering by `deadline`; verify before keeping."""
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
    content = _post_within(url, request.dump(), deadline)
    token = verify_response(content, digest, nonce=nonce, anchors=anchors)
    _, gen_time = token_info(token)
    return Stamp(token=token, authority=authority_name(url), gen_time=gen_time)


def deadline_after(seconds: float = EXTERNAL_DEADLINE) -> float:
    return time.monotonic() + seconds


def stamp(digest: bytes, *, deadline: float | None = None) -> Stamp:
    """A token over `digest`: the first external authority whose token verifies, else local.

    External authorities share one deadline (`deadline`, a time.monotonic() value; default
    EXTERNAL_DEADLINE seconds from now), so a slow or trickling one never holds the caller
    longer. Without a trust anchor no external token could be verified: none is asked.
    """
    if settings.BINGO_TSA_URLS:
        anchors = trust_anchors()
        if not anchors:
            logger.warning(
                "bingo: BINGO_TSA_URLS is set but BINGO_TSA_TRUST_ANCHORS names no certificate:"
                " no external authority is trusted; the local authority signs"
            )
        else:
            deadline = deadline_after() if deadline is None else deadline
            for url in settings.BINGO_TSA_URLS:
                try:
                    return external_stamp(url, digest, deadline=deadline, anchors=anchors)
                except (requests.RequestException, TimestampError, ValueError) as exc:
                    logger.warning(
                        "bingo: TSA %s not used: %s; trying the next, else the local authority",
                        authority_name(url),
                        exc,
                    )
    return local_stamp(digest)
