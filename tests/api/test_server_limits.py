"""`fleetfit serve` under many clients (issue 11): listen backlog, half-open connections, bounded threads.
Loopback only; 127.0.0.2 is another source address on the same loopback interface (Linux routes 127/8 there)."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fleetfit.server import LISTEN_BACKLOG, FleetfitHTTPServer

from .test_local_server import TOKEN, Client, client, server  # noqa: F401  (fixtures)


def _get(host: str, port: int, path: str, *, source: str = "127.0.0.1", token: bool = True) -> int:
    conn = http.client.HTTPConnection(host, port, timeout=20, source_address=(source, 0))
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {TOKEN}"} if token else {})
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def test_listen_backlog_takes_100_clients_at_once(server: FleetfitHTTPServer) -> None:  # noqa: F811
    assert LISTEN_BACKLOG >= 128 and server.request_queue_size == LISTEN_BACKLOG
    host, port = server.server_address[:2]
    errors: list[BaseException] = []
    start = threading.Barrier(100)

    def one() -> int:
        start.wait()
        try:
            return _get(host, port, "/health", token=False)
        except OSError as exc:  # a reset or a refused connection
            errors.append(exc)
            return 0

    with ThreadPoolExecutor(100) as pool:
        statuses = list(pool.map(lambda _: one(), range(100)))
    assert errors == [] and statuses == [200] * 100


def test_half_open_connections_do_not_starve_a_token_holder(
    server: FleetfitHTTPServer,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    host, port = server.server_address[:2]
    server.connection_timeout_s = 3.0
    threads_before = threading.active_count()
    attackers = []
    try:
        for _ in range(300):  # connect, send half a request line, then nothing
            sock = socket.create_connection((host, port), timeout=5, source_address=("127.0.0.2", 0))
            sock.sendall(b"GET /api/v1/nodes HT")
            attackers.append(sock)
        deadline = time.monotonic() + 2
        while server.refused < 300 - server.max_per_client and time.monotonic() < deadline:
            time.sleep(0.05)  # the accepting thread works through the backlog
        assert server.open_connections <= server.max_per_client
        assert threading.active_count() - threads_before <= server.max_per_client + 5
        assert server.refused > 100  # past the per-client bound: answered 503 and closed at once
        started = time.perf_counter()
        assert _get(host, port, "/api/v1/nodes") == 200  # another client is answered at once
        assert time.perf_counter() - started < 2.0
        deadline = time.monotonic() + 8  # past the connection timeout, the silent connections are closed
        while server.open_connections and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.open_connections == 0
    finally:
        for sock in attackers:
            sock.close()
    time.sleep(0.5)  # connections the attacker closed mid-request are routine: no traceback on stderr
    assert "Traceback" not in capsys.readouterr().err


def test_a_refused_connection_is_told_to_retry(server: FleetfitHTTPServer) -> None:  # noqa: F811
    host, port = server.server_address[:2]
    server.max_per_client = 1
    hold = socket.create_connection((host, port), timeout=5)
    try:
        time.sleep(0.1)
        conn = http.client.HTTPConnection(host, port, timeout=5)
        conn.request("GET", "/health")
        resp = conn.getresponse()
        assert resp.status == 503 and resp.getheader("Retry-After") == "1"
        conn.close()
    finally:
        hold.close()


def _raw_request(srv: FleetfitHTTPServer, data: bytes) -> tuple[int, dict[str, str], bytes]:
    host, port = srv.server_address[:2]
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return int(lines[0].split()[1]), headers, body


def test_errors_http_server_raises_itself_are_json_too(server: FleetfitHTTPServer) -> None:  # noqa: F811
    import json

    for data in (
        b"TRACE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"BREW /pot HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n",
        b"GET / HTTP/1.1\r\nX-Big: " + b"b" * 70_000 + b"\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
    ):
        status, headers, body = _raw_request(server, data)
        assert 400 <= status < 600 and headers.get("Content-Type") == "application/json", (data[:20], status)
        assert isinstance(json.loads(body)["error"], str)
