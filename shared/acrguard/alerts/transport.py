"""Sending one HTTP POST to a webhook, behind a small interface that tests and callers can swap.

The default ``HttpClientTransport`` uses the standard library's ``http.client``, not ``requests``
(which the SDKs already install): urllib3 logs every request line at DEBUG level, query string
and all, and its exceptions embed the full URL, so the webhook token would reach the logs of
anyone who turns on debug logging. ``http.client`` logs nothing and its errors name no URL; one
POST with a timeout needs nothing more. Errors raised here carry only the kind of failure.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import urlsplit

from acrguard.redact import redact_url

#: Webhook answers are small; read no more than this.
MAX_RESPONSE_BYTES = 1 << 20


@dataclass(frozen=True)
class HttpRequest:
    """A POST to a webhook. ``repr`` shows the URL with its token removed."""

    url: str = field(repr=False)
    body: bytes = field(repr=False)
    headers: Mapping[str, str] = field(default_factory=lambda: {"Content-Type": "application/json; charset=utf-8"})

    def __repr__(self) -> str:
        return f"HttpRequest(url={redact_url(self.url)!r}, {len(self.body)} bytes)"


@dataclass(frozen=True)
class HttpResponse:
    """A webhook's answer (header names in lower case)."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


class TransportError(Exception):
    """The request got no HTTP answer. ``kind``: ``connect`` (not sent), ``timeout`` or ``network``."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        super().__init__(message)


class Transport(Protocol):
    """Anything that can POST a request and return the answer (or raise ``TransportError``)."""

    def send(self, request: HttpRequest, timeout: float) -> HttpResponse:
        """POST ``request`` and return the response."""
        ...


class HttpClientTransport:
    """POST with ``http.client``; one connection per request (webhook sends are rare)."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._ssl = ssl_context

    def send(self, request: HttpRequest, timeout: float) -> HttpResponse:
        """POST the request; ``TransportError`` (naming no URL) when no HTTP answer arrives."""
        parts = urlsplit(request.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise TransportError("connect", "the webhook URL is not an http(s) URL")
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            connection = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout,
                                                     context=self._ssl or ssl.create_default_context())
        else:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        try:
            connection.request("POST", target, body=request.body, headers=dict(request.headers))
            response = connection.getresponse()
            body = response.read(MAX_RESPONSE_BYTES)
            return HttpResponse(response.status, body, {k.lower(): v for k, v in response.getheaders()})
        except TimeoutError:
            raise TransportError("timeout", f"no answer within {timeout:g} s") from None
        except ConnectionRefusedError:
            raise TransportError("connect", "connection refused") from None
        except socket.gaierror:
            raise TransportError("connect", "the webhook host name does not resolve") from None
        except ssl.SSLError as exc:
            raise TransportError("connect", f"TLS failure ({exc.reason or 'handshake'})") from None
        except (OSError, http.client.HTTPException) as exc:
            raise TransportError("network", f"{type(exc).__name__}: {getattr(exc, 'strerror', None) or 'failed'}"
                                 ) from None
        finally:
            connection.close()
