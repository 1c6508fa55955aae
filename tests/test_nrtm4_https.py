"""NRTMv4 over HTTPS only (issue 15): RFC 10063 section 5 says mirror clients MUST NOT use other
protocols than HTTPS. A plain http:// notification URL is refused before anything is fetched, in
the configuration and in the client; an https server may not redirect to http; file:// stays for
local repositories. And the files under /nrtm4/ go out with one Date header."""
from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import threading
import urllib.request

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import Flask, redirect
from werkzeug.serving import make_server

from irr.config import ConfigError, SourceConfig, load_config
from irr.server import BoundedHTTPServer
from mirror import nrtm4_client
from mirror.nrtm4_client import Nrtm4Client
from mirror.nrtm4_files import UNF_NAME, Nrtm4Error
from tests.conftest import cloned_store
from tests.test_nrtm4 import PUB1, ROUTE, Repo, objects


@pytest.fixture
def repo(store, tmp_path) -> Repo:
    repo = Repo(store, tmp_path / "repo")
    repo.change("ADD", ROUTE)
    repo.publish()
    return repo


@pytest.fixture
def mirror_store(pg_server_url, template_db):
    with cloned_store(pg_server_url, template_db) as s:
        yield s


class Served:
    """A WSGI app on a loopback port (https with `tls`), counting requests."""

    def __init__(self, app, tls: tuple[str, str] | None = None):
        self.requests = 0

        def counting(environ, start_response):
            self.requests += 1
            return app(environ, start_response)

        self.server = make_server("127.0.0.1", 0, counting, threaded=True, ssl_context=tls)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join()


def self_signed(tmp_path) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key (files), trusted through SSL_CERT_FILE."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def last_error(store) -> str | None:
    return next((s.last_error for s in store.sources() if s.name == "EXAMPLE"), None)


def test_a_plain_http_notification_url_is_refused_before_any_request(repo, mirror_store):
    served = Served(repo.app)
    try:
        url = f"http://127.0.0.1:{served.port}/nrtm4/EXAMPLE/{UNF_NAME}"
        with urllib.request.urlopen(url) as response:  # the repository is there, over http
            assert response.status == 200
        served.requests = 0
        client = Nrtm4Client(mirror_store, SourceConfig("EXAMPLE", nrtm4_url=url, nrtm4_public_key=PUB1))
        with pytest.raises(Nrtm4Error, match=r"only fetched over https://.*RFC 10063"):
            client.run_once()
        with pytest.raises(Nrtm4Error, match="only fetched over https://"):
            nrtm4_client.fetch_url(url)
    finally:
        served.close()
    assert served.requests == 0, "nothing was fetched over http"
    assert objects(mirror_store) == {} and "https://" in last_error(mirror_store)
    assert mirror_store.mirror_state("EXAMPLE").get("nrtm4_client") is None


def test_the_configuration_refuses_http(tmp_path):
    (tmp_path / "k.pem").write_text(PUB1)
    config = tmp_path / "irr.toml"
    for url, ok in (("http://nrtm.example.net/u.jose", False), ("HTTP://nrtm.example.net/u.jose", False),
                    ("https://nrtm.example.net/u.jose", True), (f"file://{tmp_path}/u.jose", True)):
        config.write_text(f'[sources.RADB]\nnrtm4_url = "{url}"\nnrtm4_public_key = "{tmp_path}/k.pem"\n')
        if ok:
            assert load_config(str(config), str(tmp_path)).sources["RADB"].nrtm4_url == url
        else:
            with pytest.raises(ConfigError, match="must be an https:// URL"):
                load_config(str(config), str(tmp_path))


def test_https_works_and_may_not_redirect_to_http(repo, mirror_store, tmp_path, monkeypatch):
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", cert)
    plain = Served(repo.app)
    hop = Flask("redirects")
    hop.add_url_rule("/down", "down", lambda: redirect(f"http://127.0.0.1:{plain.port}/nrtm4/EXAMPLE/{UNF_NAME}"))
    hop.add_url_rule("/up", "up", lambda: redirect(f"https://127.0.0.1:{secure.port}/nrtm4/EXAMPLE/{UNF_NAME}"))
    secure = Served(repo.app, (cert, key))
    hops = Served(hop, (cert, key))
    try:
        url = f"https://127.0.0.1:{secure.port}/nrtm4/EXAMPLE/{UNF_NAME}"
        client = Nrtm4Client(mirror_store, SourceConfig("EXAMPLE", nrtm4_url=url, nrtm4_public_key=PUB1))
        assert "snapshot 1 loaded (1 objects)" in client.run_once()
        assert objects(mirror_store) == objects(repo.store)
        assert nrtm4_client.fetch_url(f"https://127.0.0.1:{hops.port}/up") == (repo.dir / UNF_NAME).read_bytes()
        with pytest.raises(Nrtm4Error, match="only fetched over https://"):
            nrtm4_client.fetch_url(f"https://127.0.0.1:{hops.port}/down")
        assert plain.requests == 0
    finally:
        for s in (plain, secure, hops):
            s.close()


def raw_headers(port: int, path: str) -> list[str]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")


def test_nrtm4_files_carry_one_date_header(repo):
    """Through the server `irr serve` runs (werkzeug's, bounded): one Date, the server's."""
    httpd = BoundedHTTPServer("127.0.0.1", 0, repo.app)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        for name in (UNF_NAME, repo.unf().snapshot.url):
            headers = raw_headers(httpd.server_port, f"/nrtm4/EXAMPLE/{name}")
            assert headers[0].endswith("200 OK")
            dates = [h for h in headers if h.lower().startswith("date:")]
            assert len(dates) == 1, headers
            assert any(h.lower().startswith(("etag:", "last-modified:")) for h in headers)
    finally:
        httpd.shutdown()
        thread.join()
