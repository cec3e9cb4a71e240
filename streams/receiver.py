"""A real local HTTP webhook receiver that verifies Standard Webhooks signatures.

Used by ``tension demo``, the integration tests and the benchmarks; also a working example of what a
receiver must do (see the README). Scripted responses (e.g. ``[503, 503, 200]``) let tests exercise the
retry path against a real socket.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    payload: Any
    status: int
    at: float = field(default_factory=time.time)


class WebhookReceiver:
    """``with WebhookReceiver(secret) as rx: ... rx.url ... rx.wait_for(n)``."""

    def __init__(
        self,
        secret: str,
        host: str = "127.0.0.1",
        port: int = 0,
        responses: Iterable[int | tuple[int, dict[str, str]]] = (),
    ) -> None:
        self._webhook = Webhook(secret)
        self._responses: deque[int | tuple[int, dict[str, str]]] = deque(responses)
        self._lock = threading.Condition()
        self.requests: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver._handle(self, self.path, headers, body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def _handle(
        self, handler: BaseHTTPRequestHandler, path: str, headers: dict[str, str], body: bytes
    ) -> None:
        extra: dict[str, str] = {}
        with self._lock:
            scripted = self._responses.popleft() if self._responses else 200
        status, extra = scripted if isinstance(scripted, tuple) else (scripted, {})
        try:
            payload = self._webhook.verify(body, headers)
            verified = True
        except WebhookVerificationError:
            payload, verified = None, False
            status = 401 if status < 300 else status
        handler.send_response(status)
        for name, value in extra.items():
            handler.send_header(name, value)
        handler.send_header("content-length", "0")
        handler.end_headers()
        with self._lock:
            self.requests.append(Received(path, headers, body, verified, payload, status))
            self._lock.notify_all()

    @property
    def delivered(self) -> list[Received]:
        """Requests answered 2xx with a valid signature: the alerts actually delivered."""
        with self._lock:
            return [r for r in self.requests if r.verified and 200 <= r.status < 300]

    def wait_for(self, count: int, timeout: float) -> list[Received]:
        """Wait until ``count`` alerts were delivered (or the timeout); return what was delivered."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                done = [r for r in self.requests if r.verified and 200 <= r.status < 300]
                remaining = deadline - time.monotonic()
                if len(done) >= count or remaining <= 0:
                    return done
                self._lock.wait(remaining)

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def alert_of(received: Received) -> dict[str, Any]:
    """The alert inside a generic-JSON delivery."""
    payload = received.payload if received.payload is not None else json.loads(received.body)
    return dict(payload["data"])
