"""Trust stores (issue 17): ``--ca-bundle`` and ``SSL_CERT_FILE``/``SSL_CERT_DIR`` let a scan
verify a server behind an internal CA without ``--insecure``, over both transports (aiohttp and
httpx share one ``ssl.SSLContext``). The server is a loopback https server whose certificate a
throwaway CA made for this test signed."""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from support.cli import assert_clean, invoke

from cors_audit.core.errors import UsageError
from cors_audit.sending.options import EngineOptions
from cors_audit.sending.trust import tls_context

pytestmark = pytest.mark.usefixtures("cli_isolated", "scan_in_worker_thread")


@dataclass(frozen=True)
class Pki:
    ca_pem: Path
    cert_pem: Path
    key_pem: Path


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A throwaway CA and a certificate for 127.0.0.1 that it signed."""
    folder = tmp_path_factory.mktemp("pki")
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("cors-audit test CA"))
        .issuer_name(_name("cors-audit test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
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
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pki = Pki(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    pki.ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    pki.cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pki.key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return pki


class _Handler(BaseHTTPRequestHandler):
    """Answers everything with 200 and an empty JSON body, no CORS headers (a strict server)."""

    def _reply(self) -> None:
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _reply

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def https_url(pki: Pki) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.cert_pem, pki.key_pem)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/api"
    finally:
        server.shutdown()
        server.server_close()


def scan(url: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """Scan ``url`` trusting nothing from the outer environment but what ``env`` adds."""
    clean = {"SSL_CERT_FILE": "", "SSL_CERT_DIR": "", "CORS_AUDIT_CA_BUNDLE": ""}
    given = clean | (env or {})
    result = invoke("scan", url, "--json", "r.json", "-q", "--retries", "0", *args, env=given)
    assert_clean(result)
    report = json.loads(Path("r.json").read_text(encoding="utf-8"))
    return result.exit_code, report


TRANSPORTS = [
    pytest.param("--fast-transport", id="aiohttp"),
    pytest.param("--no-fast-transport", id="httpx"),
]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_an_unknown_ca_is_the_targets_tls_error(https_url: str, transport: str) -> None:
    code, report = scan(https_url, transport)
    assert code == 3
    (target,) = report["targets"]
    assert target["error"]["kind"] == "tls"


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_ca_bundle_makes_the_internal_ca_trusted(https_url: str, pki: Pki, transport: str) -> None:
    code, report = scan(https_url, transport, "--ca-bundle", str(pki.ca_pem))
    assert code == 0
    (target,) = report["targets"]
    assert target["error"] is None
    assert report["summary"]["requests"] > 1


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_ssl_cert_file_is_honoured(https_url: str, pki: Pki, transport: str) -> None:
    code, report = scan(https_url, transport, env={"SSL_CERT_FILE": str(pki.ca_pem)})
    assert code == 0
    (target,) = report["targets"]
    assert target["error"] is None


def test_ca_bundle_from_the_environment_and_the_scan_table(https_url: str, pki: Pki) -> None:
    code, _ = scan(https_url, env={"CORS_AUDIT_CA_BUNDLE": str(pki.ca_pem)})
    assert code == 0
    Path("conf").mkdir()
    (Path("conf") / "ca.pem").write_bytes(pki.ca_pem.read_bytes())
    Path("conf/p.toml").write_text('[scan]\nca_bundle = "ca.pem"\n', encoding="utf-8")
    code, _ = scan(https_url, "--policy", "conf/p.toml")
    assert code == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(None, "no such file", id="missing"),
        pytest.param(b"not a certificate\n", "not a PEM file of CA certificates", id="garbage"),
        pytest.param(b"", "not a PEM file of CA certificates", id="empty"),
        pytest.param(b"\xff\xfe\x00binary", "not a PEM file of CA certificates", id="binary"),
    ],
)
def test_an_unusable_bundle_is_a_usage_error_naming_the_file(
    https_url: str, content: bytes | None, message: str
) -> None:
    if content is not None:
        Path("bundle.pem").write_bytes(content)
    result = invoke("scan", https_url, "--ca-bundle", "bundle.pem")
    assert_clean(result)
    assert result.exit_code == 2, result.output
    assert f"--ca-bundle bundle.pem: {message}" in result.stderr
    assert not Path("r.json").exists()


def test_a_directory_as_bundle_is_a_usage_error(https_url: str) -> None:
    Path("certs").mkdir()
    result = invoke("scan", https_url, "--ca-bundle", "certs")
    assert result.exit_code == 2
    assert "--ca-bundle certs: is a directory" in result.stderr


def test_an_unusable_ssl_cert_file_is_a_usage_error(https_url: str) -> None:
    result = invoke("scan", https_url, env={"SSL_CERT_FILE": "nope.pem", "SSL_CERT_DIR": ""})
    assert_clean(result)
    assert result.exit_code == 2, result.output
    assert "SSL_CERT_FILE=nope.pem: no such file" in result.stderr


def test_both_transports_share_one_context(pki: Pki) -> None:
    options = EngineOptions(ca_bundle=pki.ca_pem)
    assert options.tls_context() is options.tls_context()
    assert tls_context(insecure=False, ca_bundle=pki.ca_pem, environ={}) is tls_context(
        insecure=False, ca_bundle=pki.ca_pem, environ={}
    )
    insecure = tls_context(insecure=True, ca_bundle=None)
    assert insecure.verify_mode is ssl.CERT_NONE


def test_engine_options_refuse_an_unusable_bundle(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"--ca-bundle .*missing\.pem: no such file"):
        EngineOptions(ca_bundle=tmp_path / "missing.pem")
    # --insecure verifies nothing, so the bundle is not read
    EngineOptions(ca_bundle=tmp_path / "missing.pem", insecure=True)


def test_a_full_system_style_bundle_is_accepted() -> None:
    # certifi's bundle has comments with non-ASCII names between its PEM blocks
    import certifi

    tls_context(insecure=False, ca_bundle=Path(certifi.where()), environ={})
