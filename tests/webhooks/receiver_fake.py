"""A webhook receiver on 127.0.0.1 for the tests: a real HTTP server in a thread that verifies
each POST's signature as docs/events.md tells a hotel to, and answers what the test scripts."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 300


def verify(*, secret: str, headers, body: bytes, now: float | None = None) -> bool:
    """The receiver's check (the snippet of docs/events.md): a fresh timestamp and a v1 signature
    that matches HMAC-SHA256(secret, "{timestamp}.{body}")."""
    timestamp = headers.get("X-Melmastoon-Timestamp", "")
    if not timestamp.isdigit() or abs((now or time.time()) - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    offered = [part.strip().removeprefix("v1=") for part in headers.get("X-Melmastoon-Signature", "").split(",")]
    return any(hmac.compare_digest(expected, candidate) for candidate in offered if candidate)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class FakeWebhookReceiver:
    """`answers`: the status of each successive POST (the last one repeats); a 3xx carries
    `Location: redirect_to`. `secret` is set by the test once the endpoint is registered."""

    answers: list[int] = field(default_factory=lambda: [200])
    redirect_to: str = ""
    secret: str = ""
    stall_seconds: float = 0  # wait this long before answering (a receiver that hangs)
    received: list[Received] = field(default_factory=list)

    def start(self) -> FakeWebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {name: value for name, value in self.headers.items()}
                ok = bool(receiver.secret) and verify(secret=receiver.secret, headers=self.headers, body=body)
                receiver.received.append(Received(self.path, headers, body, ok))
                if receiver.stall_seconds:
                    time.sleep(receiver.stall_seconds)
                index = min(len(receiver.received) - 1, len(receiver.answers) - 1)
                code = receiver.answers[index]
                self.send_response(code)
                if 300 <= code < 400:
                    self.send_header("Location", receiver.redirect_to)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/melmastoon"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
