"""A small threaded HTTP server on 127.0.0.1 that every front end of the local cloud runs on.

A client that goes away (a timeout, Ctrl-C, a dropped connection) while its request is read or
its answer is written is nothing to report: the handler and the server end that connection
quietly instead of printing ``BrokenPipeError``/``ConnectionResetError`` tracebacks on stderr
(``is_disconnect``; ``QuietServerErrors`` gives any ``socketserver`` server the same manners).
Every other error still prints its traceback. Without this, Python prints one for every such
client: ``socketserver.BaseServer.handle_error`` "print[s] a traceback and continue[s]"
(https://docs.python.org/3/library/socketserver.html) and ``BaseHTTPRequestHandler.handle_one_request``
catches only timeouts (CPython ``Lib/http/server.py``).
"""

from __future__ import annotations

import socketserver
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: what a socket raises when the peer has gone: reset, closed before we wrote, or aborted
DISCONNECTS: tuple[type[OSError], ...] = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


def is_disconnect(exc: BaseException | None) -> bool:
    """Whether ``exc`` only says that the client went away."""
    return isinstance(exc, DISCONNECTS)


class QuietServerErrors(socketserver.BaseServer):
    """Mixin for a ``socketserver`` server: a client's disconnect is not an error worth a traceback."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if is_disconnect(sys.exc_info()[1]):
            return
        super().handle_error(request, client_address)


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive, Nagle off (about 1 ms a call instead of 40), no access log on stderr.

    A client that disconnects mid-request or mid-answer ends the connection without a traceback.
    """

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def handle(self) -> None:
        try:
            super().handle()
        except DISCONNECTS:
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        return

    def read_body(self) -> bytes:
        """The request body (Content-Length framed)."""
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send_bytes(self, status: int, body: bytes, content_type: str = "application/json;charset=utf-8",
                   headers: dict[str, str] | None = None) -> None:
        """Answer with a complete body."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class _Server(QuietServerErrors, ThreadingHTTPServer):
    """A listen backlog for many clients at once: with the default of 5, a burst of new connections
    (16 workers opening theirs together) overflows it and the kernel drops SYNs, which clients resend
    only after a second, so a call seems to take a second longer than it did."""

    request_queue_size = 128


class RunningServer:
    """A ``ThreadingHTTPServer`` serving in a daemon thread until ``stop``."""

    def __init__(self, handler_cls: type[BaseHTTPRequestHandler], host: str = "127.0.0.1", port: int = 0) -> None:
        self.httpd = _Server((host, port), handler_cls)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       name=f"localcloud-{handler_cls.__name__}", daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        """``host:port`` as clients should use it."""
        host, port = self.httpd.server_address[:2]
        return f"{host}:{port}"

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self.httpd.server_address[1])

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
