"""A plain HTTP receiver for Alertmanager's webhook notifications: logs each one as a JSON line.

Alertmanager's webhook body (version 4) is not signed, so there is nothing to verify here. docker-compose
runs it as the `alert-webhook` service (the URLs in alertmanager.yml); the integration test uses
:class:`AlertSink` to record what a real Alertmanager sends. Standard library only.

    python deploy/alertmanager/webhook_logger.py [--host 0.0.0.0] [--port 9099]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Notification:
    path: str
    body: dict[str, Any]
    at: float = field(default_factory=time.time)

    def alertnames(self) -> set[str]:
        return {str(a.get("labels", {}).get("alertname")) for a in self.body.get("alerts", [])}


class AlertSink:
    """``with AlertSink() as sink: ... sink.url ... sink.wait_for(predicate, timeout)``; records POSTs."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, echo: bool = False) -> None:
        self.notifications: list[Notification] = []
        self._cond = threading.Condition()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    self.send_response(400)
                    self.end_headers()
                    return
                note = Notification(self.path, body)
                with sink._cond:
                    sink.notifications.append(note)
                    sink._cond.notify_all()
                if echo:
                    print(json.dumps({"path": self.path, **body}), flush=True)
                self.send_response(200)
                self.end_headers()

            def do_GET(self) -> None:  # health check
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok\n")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def wait_for(self, predicate: Any, timeout: float) -> list[Notification]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate(self.notifications):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            return list(self.notifications)

    def __enter__(self) -> AlertSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Logs Alertmanager webhook notifications.")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=9099)
    args = parser.parse_args(argv)
    with AlertSink(args.host, args.port, echo=True) as sink:
        print(f"alert-webhook listening on {sink.url}", file=sys.stderr, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
