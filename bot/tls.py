"""The TLS settings of Baton's HTTPS clients, made once a process."""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    """What httpx gives a client by default (certifi's roots, or `SSL_CERT_FILE` /
    `SSL_CERT_DIR` when set; certificates and host names verified), made once: each client
    would load the roots again, some 30 ms of CPU. A context is safe to share between clients
    and threads."""
    return httpx.create_ssl_context()
