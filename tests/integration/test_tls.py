"""Baton's HTTPS clients share one TLS context (bot/tls.py) and it still verifies: a server whose
certificate no trusted root signed is refused, and `SSL_CERT_FILE` naming its authority (a company
proxy's, say) lets it in, as httpx's own default does. The server is real TLS on 127.0.0.1, its
certificate issued by a throwaway authority (trustme)."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme

from bot.agents.cursor.http import Api, CursorApiError

ROOT = Path(__file__).resolve().parents[2]


class _Me(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"apiKeyName": "ci"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server(authority: trustme.CA) -> Iterator[str]:
    """An HTTPS server for 127.0.0.1 with a certificate from `authority`; its URL."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Me)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_server_no_trusted_root_vouches_for_is_refused(server: str) -> None:
    api = Api(server, "key")
    try:
        with pytest.raises(CursorApiError, match="CERTIFICATE_VERIFY_FAILED"):
            api.send("GET", "/v0/me")
    finally:
        api.close()


def test_ssl_cert_file_naming_its_authority_lets_it_in(
    server: str, authority: trustme.CA, tmp_path: Path
) -> None:
    # A new process: the context is made once a process, from the environment it starts with.
    bundle = tmp_path / "company-ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    code = (
        "import sys; from bot.agents.cursor.http import Api; "
        "print(Api(sys.argv[1], 'key').send('GET', '/v0/me')['apiKeyName'])"
    )
    env = {**os.environ, "SSL_CERT_FILE": str(bundle)}
    done = subprocess.run(
        [sys.executable, "-c", code, server],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout.strip()) == (0, "ci"), done.stderr
