"""Fake RFC 3161 authorities: real HTTP servers on loopback, run in a thread of the test.

Mock only the outside world (STYLE.md): the client under test speaks real HTTP to these, and
they answer with real tokens signed by certificates made here (a CA, authorities it issued,
and authorities nobody vouches for), or trickle their answer a byte at a time.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import cms, tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from bingo import tsa

Signer = tuple[ec.EllipticCurvePrivateKey, x509.Certificate]


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Trust Services"),
        ]
    )


def _builder(subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey):  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
    )


def make_ca(common_name: str = "Test Root CA") -> Signer:
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _builder(_name(common_name), _name(common_name), key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_tsa(
    issuer: Signer | None, *, time_stamping: bool = True, common_name: str = "Test TSA"
) -> Signer:
    """A time-stamping certificate issued by `issuer` (None: self-signed)."""
    key = ec.generate_private_key(ec.SECP256R1())
    issuer_key, issuer_name = (
        (issuer[0], issuer[1].subject) if issuer else (key, _name(common_name))
    )
    usage = ExtendedKeyUsageOID.TIME_STAMPING if time_stamping else ExtendedKeyUsageOID.CODE_SIGNING
    builder = (
        _builder(_name(common_name), issuer_name, key)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer[1].public_key()),
            critical=False,
        )
    return key, builder.sign(issuer_key, hashes.SHA256())


def write_pem(path: Path, *certs: x509.Certificate) -> Path:
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
    return path


def granted(token: bytes) -> bytes:
    return tsp.TimeStampResp(
        {"status": {"status": "granted"}, "time_stamp_token": cms.ContentInfo.load(token)}
    ).dump()


Answer = Callable[[BaseHTTPRequestHandler, tsp.TimeStampReq], None]


def signs_with(signer: Signer, *, nonce_delta: int = 0, digest: bytes | None = None) -> Answer:
    """Answer with a granted token by `signer` (optionally another nonce or imprint)."""

    def answer(handler: BaseHTTPRequestHandler, request: tsp.TimeStampReq) -> None:
        imprint = digest or request["message_imprint"]["hashed_message"].native
        token, _ = tsa.sign_token(
            imprint, key=signer[0], cert=signer[1], nonce=request["nonce"].native + nonce_delta
        )
        body = granted(token)
        handler.send_response(200)
        handler.send_header("Content-Type", "application/timestamp-reply")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return answer


def trickles(stop: threading.Event, *, every: float = 0.2, for_seconds: float = 30) -> Answer:
    """Promise a 4 KiB answer and send one byte every `every` s, for up to `for_seconds`."""

    def answer(handler: BaseHTTPRequestHandler, request: tsp.TimeStampReq) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/timestamp-reply")
        handler.send_header("Content-Length", "4096")
        handler.end_headers()
        handler.wfile.flush()
        for _ in range(int(for_seconds / every)):
            if stop.wait(every):
                return
            handler.wfile.write(b"\x30")
            handler.wfile.flush()

    return answer


class Authority:
    def __init__(self, url: str) -> None:
        self.url = url
        self.requests = 0


@contextmanager
def authority(answer: Answer) -> Iterator[Authority]:
    """A loopback HTTP time-stamping authority answering with `answer`; stopped on exit."""
    served: list[Authority] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            served[0].requests += 1
            length = int(self.headers.get("Content-Length", "0"))
            request = tsp.TimeStampReq.load(self.rfile.read(length))
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                answer(self, request)  # a client that gives up (its deadline) closes early

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    served.append(Authority(f"http://127.0.0.1:{server.server_address[1]}/tsr"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served[0]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
