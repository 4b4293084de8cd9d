"""Fake inference servers on loopback that answer with the bodies each runtime documents (fixtures/runtimes)."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

RUNTIME_FIXTURES = Path(__file__).parent / "fixtures" / "runtimes"


def body(name: str) -> bytes:
    return (RUNTIME_FIXTURES / name).read_bytes()


# path -> (status, fixture file); what each runtime answers on the routes the probe reads
LLAMACPP = {"/props": (200, "llamacpp_props.json"), "/slots": (200, "llamacpp_slots.json"),
            "/metrics": (200, "llamacpp_metrics.txt"), "/health": (200, None)}  # fmt: skip
LLAMACPP_NO_METRICS = {**LLAMACPP, "/metrics": (501, "llamacpp_metrics_disabled.json")}
OLLAMA = {"/api/version": (200, "ollama_version.json"), "/api/tags": (200, "ollama_tags.json"),
          "/api/ps": (200, "ollama_ps.json"), "/": (200, None)}  # fmt: skip
VLLM = {"/v1/models": (200, "vllm_models.json"), "/version": (200, "vllm_version.json"),
        "/metrics": (200, "vllm_metrics.txt")}  # fmt: skip
SGLANG = {"/v1/models": (200, "sglang_models.json"), "/get_server_info": (200, "sglang_server_info.json"),
          "/metrics": (200, "sglang_metrics.txt")}  # fmt: skip
LMSTUDIO = {"/v1/models": (200, "lmstudio_models.json"), "/api/v0/models": (200, "lmstudio_api_v0_models.json")}


class FakeRuntime:
    """A real HTTP server on 127.0.0.1 that answers GETs from a route table; `delay` makes every answer slow."""

    def __init__(self, routes: dict[str, tuple[int, str | None]], *, delay: float = 0.0) -> None:
        self.routes = routes
        self.delay = delay
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeRuntime:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                owner.requests.append(("GET", self.path, dict(self.headers.items())))
                if owner.delay:
                    time.sleep(owner.delay)
                status, name = owner.routes.get(self.path.split("?")[0], (404, None))
                data = body(name) if name else (b"Not Found" if status == 404 else b"OK")
                kind = "text/plain; version=0.0.4" if name and name.endswith(".txt") else "application/json"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass

            def do_POST(self) -> None:  # noqa: N802
                owner.requests.append(("POST", self.path, dict(self.headers.items())))
                self.send_response(405)
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class Blackhole:
    """A port that accepts connections and never answers (a hung server)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self.sock.close()


def closed_port_url() -> str:
    """A loopback port with nothing listening on it (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"
