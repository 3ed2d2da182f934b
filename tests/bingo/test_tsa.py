"""The local RFC 3161 authority: openssl and rfc3161-client accept its tokens; external TSAs."""

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from asn1crypto import tsp
from cryptography import x509
from rfc3161_client import VerificationError, VerifierBuilder, decode_timestamp_response

from bingo import tsa

DIGEST = hashlib.sha256(b"seed").digest()


@pytest.fixture
def data_dir(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.DATA_DIR = tmp_path
    return tmp_path


def openssl_verify(tmp_path: Path, token: bytes, digest_hex: str) -> subprocess.CompletedProcess:
    (tmp_path / "token.der").write_bytes(token)
    (tmp_path / "cert.pem").write_bytes(tsa.certificate_pem())
    return subprocess.run(
        [
            "openssl",
            "ts",
            "-verify",
            "-digest",
            digest_hex,
            "-in",
            str(tmp_path / "token.der"),
            "-token_in",
            "-CAfile",
            str(tmp_path / "cert.pem"),
        ],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )


def test_openssl_verifies_a_local_token(data_dir, tmp_path):
    stamp = tsa.local_stamp(DIGEST)
    assert stamp.authority == "lobby.local"
    result = openssl_verify(tmp_path, stamp.token, DIGEST.hex())
    assert result.returncode == 0, result.stderr
    assert "Verification: OK" in result.stdout
    wrong = openssl_verify(tmp_path, stamp.token, hashlib.sha256(b"other").hexdigest())
    assert wrong.returncode != 0


def test_rfc3161_client_verifies_a_local_token(data_dir):
    stamp = tsa.local_stamp(DIGEST)
    response = decode_timestamp_response(tsa.response_from_token(stamp.token))
    root = x509.load_pem_x509_certificate(tsa.certificate_pem())
    verifier = VerifierBuilder().add_root_certificate(root).build()
    assert verifier.verify(response, DIGEST)
    with pytest.raises(VerificationError):
        verifier.verify(response, hashlib.sha256(b"other").digest())
    imprint, gen_time = tsa.token_info(stamp.token)
    assert imprint == DIGEST and gen_time == stamp.gen_time


def test_certificate_has_critical_timestamping_eku(data_dir):
    cert = x509.load_pem_x509_certificate(tsa.certificate_pem())
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical
    assert x509.oid.ExtendedKeyUsageOID.TIME_STAMPING in eku.value
    assert (data_dir / tsa.TSA_FILE).stat().st_mode & 0o077 == 0  # key file is private


def test_two_processes_starting_together_agree_on_one_authority(tmp_path):
    code = (
        "import os, django; os.environ['DJANGO_SETTINGS_MODULE']='config.settings';"
        "django.setup(); from bingo import tsa; print(tsa.certificate_pem().decode())"
    )
    env = {"LOBBY_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "DJANGO_SECRET_KEY": "x"}
    root = Path(__file__).resolve().parents[2]
    procs = [
        subprocess.Popen([sys.executable, "-c", code], cwd=root, env=env, stdout=subprocess.PIPE)
        for _ in range(3)
    ]
    outputs = {p.communicate(timeout=60)[0] for p in procs}
    assert all(p.returncode == 0 for p in procs)
    assert len(outputs) == 1
    assert list(tmp_path.glob(".bingo-tsa*")) == []


def test_a_digest_of_the_wrong_size_is_refused(data_dir):
    with pytest.raises(tsa.TimestampError):
        tsa.local_stamp(b"short")


class FakeResponse:
    def __init__(self, content: bytes, status: int = 200) -> None:
        self.content = content
        self.status_code = status

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise requests.HTTPError(str(self.status_code))


def test_a_token_without_our_nonce_is_refused(data_dir, settings, monkeypatch):
    """A remote TSA (mocked: the outside world) that does not echo the nonce is not trusted."""
    settings.BINGO_TSA_URLS = ["https://tsa.example.org/tsr"]
    calls = []

    def post(url, data, headers, timeout):  # type: ignore[no-untyped-def]
        calls.append((url, timeout, headers))
        digest = tsp.TimeStampReq.load(data)["message_imprint"]["hashed_message"].native
        return FakeResponse(tsa.response_from_token(tsa.local_stamp(digest).token))

    monkeypatch.setattr(tsa.requests, "post", post)
    stamp = tsa.stamp(DIGEST)
    assert calls and calls[0][1] == 5
    assert calls[0][2]["Content-Type"] == "application/timestamp-query"
    assert stamp.authority == "lobby.local"


def test_external_authority_failure_falls_back_to_local(data_dir, settings, monkeypatch):
    settings.BINGO_TSA_URLS = ["https://down.example.org/tsr", "https://bad.example.org/tsr"]
    seen = []

    def post(url, data, headers, timeout):  # type: ignore[no-untyped-def]
        seen.append(url)
        if "down" in url:
            raise requests.Timeout("timed out")
        return FakeResponse(b"not DER", 200)

    monkeypatch.setattr(tsa.requests, "post", post)
    stamp = tsa.stamp(DIGEST)
    assert seen == settings.BINGO_TSA_URLS
    assert stamp.authority == "lobby.local"
    assert tsa.token_info(stamp.token)[0] == DIGEST


def test_external_authority_granted_token_is_kept(data_dir, settings, monkeypatch):
    """An authority whose token covers our digest and nonce is accepted as is."""
    settings.BINGO_TSA_URLS = ["https://tsa.example.org/tsr"]
    monkeypatch.setattr(tsa.secrets, "randbits", lambda bits: 424242)
    original = tsa.local_stamp

    def post(url, data, headers, timeout):  # type: ignore[no-untyped-def]
        request = tsp.TimeStampReq.load(data)
        assert request["cert_req"].native is True
        token = original(request["message_imprint"]["hashed_message"].native, nonce=424242).token
        return FakeResponse(tsa.response_from_token(token))

    monkeypatch.setattr(tsa.requests, "post", post)
    stamp = tsa.stamp(DIGEST)
    assert stamp.authority == "tsa.example.org"
    assert tsa.token_info(stamp.token)[0] == DIGEST
