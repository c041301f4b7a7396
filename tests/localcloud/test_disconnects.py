"""A client that goes away mid-request or mid-answer is ended quietly: no traceback, and the server serves on."""

from __future__ import annotations

import socket
import struct
import time

import requests
from dnslib import DNSRecord

from localcloud.httpserver import QuietHandler, RunningServer
from support import INSTANCE_NAME, REGION

VPC_DOMAIN = f"{INSTANCE_NAME}-registry-vpc.{REGION}.cr.aliyuncs.com"
BIG = 16 * 2**20  # far more than the socket buffers hold, so the answer is still being written


class _Big(QuietHandler):
    def do_GET(self) -> None:
        if self.path == "/boom":
            raise ValueError("a real bug")
        self.send_bytes(200, b"x" * BIG, "application/octet-stream")


def _connect(address: str) -> socket.socket:
    host, port = address.split(":")
    return socket.create_connection((host, int(port)), timeout=5)


def _reset(sock: socket.socket) -> None:
    """Close with a TCP reset (SO_LINGER 0), as a client killed mid-transfer does."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _quiet(capfd) -> str:
    time.sleep(0.3)  # let the server threads finish with the dead connections
    return capfd.readouterr().err


def test_a_client_leaving_mid_answer_prints_nothing(capfd):
    """A client that reads part of a large answer, then resets or closes, leaves stderr empty."""
    server = RunningServer(_Big)
    try:
        for ending in (_reset, socket.socket.close):
            for _ in range(3):
                sock = _connect(server.address)
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                assert sock.recv(1024).startswith(b"HTTP/1.1 200")
                ending(sock)
        err = _quiet(capfd)
        assert "Traceback" not in err and "BrokenPipe" not in err and "ConnectionReset" not in err, err
        assert requests.get(f"http://{server.address}/", timeout=5).content == b"x" * BIG
    finally:
        server.stop()


def test_other_errors_still_print_their_traceback(capfd):
    """Only disconnects are quiet: a handler's bug still shows on stderr."""
    server = RunningServer(_Big)
    try:
        sock = _connect(server.address)
        sock.sendall(b"GET /boom HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.recv(1024)
        sock.close()
        assert "ValueError: a real bug" in _quiet(capfd)
    finally:
        server.stop()


def test_every_front_end_of_the_cloud_ends_reset_connections_quietly(cloud, capfd):
    """OpenAPI (admin), OSS, registry, chat and DNS over TCP: requests whose clients reset print nothing."""
    endpoints = cloud.endpoints()
    query = DNSRecord.question(VPC_DOMAIN).pack()
    requests_by_front_end = {
        "openapi": b"GET /_localcloud/requests HTTP/1.1\r\nHost: x\r\n\r\n",
        "oss": b"GET /bucket/key HTTP/1.1\r\nHost: x\r\n\r\n",
        "registry": f"GET /v2/ HTTP/1.1\r\nHost: {VPC_DOMAIN}\r\n\r\n".encode(),
        "chat": b"POST /webhook/none HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
        "dns": struct.pack("!H", len(query)) + query,
    }
    for name, request in requests_by_front_end.items():
        for pause in (0.0, 0.05):  # reset before the answer is written, and after it was
            for _ in range(3):
                sock = _connect(endpoints[name])
                sock.sendall(request)
                time.sleep(pause)
                _reset(sock)
    err = _quiet(capfd)
    assert "Traceback" not in err and "Exception occurred" not in err, err
    assert requests.get(f"http://{endpoints['openapi']}/_localcloud/faults", timeout=5).json() == {"faults": []}
