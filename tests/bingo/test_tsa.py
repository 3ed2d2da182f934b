"""The local RFC 3161 authority: openssl and rfc3161-client accept its tokens; external TSAs."""

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
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
