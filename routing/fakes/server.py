"""The base of the fake provider servers: a real HTTP server on 127.0.0.1 in a background thread.

A subclass lists its routes and answers them in the provider's wire format; this base records
every request, applies the scripted behaviour (latency, error status, hang, malformed or
truncated body) and serves the control endpoint:

    POST /__control__  {"times": 2, "status": 429}   script the next 2 responses (times null: all)
    POST /__control__  {"reset": true}                forget the script and the received requests
    GET  /__control__                                 {"received": [...], "pending": <scripted left>}
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar, Self
from urllib.parse import urlsplit

from routing.fakes.script import Behaviour, Script

CONTROL_PATH = "/__control__"
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str  # with the query string
    headers: dict[str, str]  # names in lower case
    body: object | None  # the JSON body; None when there was none or it was not JSON


@dataclass
class Reply:
    payload: object
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    # a streamed answer: its Server-Sent Events, already framed, sent one by one (chunked), and the
    # event the provider sends when it fails in the middle of one
    events: list[bytes] | None = None
    error_event: bytes = b""
    # a binary body (a Cloud Storage object's media download) sent as is, with this content type
    raw: bytes | None = None
    content_type: str = "application/json"


@dataclass(frozen=True)
class Call:
    """What a route handler gets: the request, the path's named groups, the behaviour to follow."""

    body: dict
    headers: dict[str, str]
    params: dict[str, str]
    behaviour: Behaviour


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a hanging handler must not hold up stop()

    def __init__(self, address: tuple[str, int], fake: FakeProviderServer) -> None:
        self.fake = fake
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' connection pools expect
    server: _HTTPServer

    def do_GET(self) -> None:
        self.server.fake.serve(self, "GET")

    def do_POST(self) -> None:
        self.server.fake.serve(self, "POST")

    def log_message(self, fmt: str, *args: object) -> None:
        """Quiet: requests carry prompts; tests read `received` instead."""


class FakeProviderServer:
    """Start with `start()` or `with FakeXServer() as server:`; point a client at `base_url`."""

    provider: ClassVar[str] = "fake"
    routes: ClassVar[tuple[tuple[str, str, str], ...]] = ()  # (method, path regex, handler method name)

    def __init__(self, *, host: str = LOOPBACK, port: int = 0, hang_seconds: float = 30.0) -> None:
        self.host = host
        self.port = port
        self.hang_seconds = hang_seconds
        self._script = Script()
        self._received: list[ReceivedRequest] = []
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._compiled = [(method, re.compile(pattern), name) for method, pattern, name in self.routes]

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> Self:
        if self._httpd is not None:
            return self
        self._released.clear()
        self._httpd = _HTTPServer((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name=f"fake-{self.provider}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._released.set()  # wakes hanging handlers
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd, self._thread = None, None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- control --------------------------------------------------------------------------------

    def script(
        self,
        *,
        times: int | None = 1,
        latency_ms: int = 0,
        status: int | None = None,
        hang: bool = False,
        malformed_json: bool = False,
        schema_invalid: bool = False,
        truncated: bool = False,
        refusal: bool = False,
        degraded: bool = False,
        output: dict | None = None,
        stream_error: bool = False,
        chunk_delay_ms: int = 0,
    ) -> None:
        """The next `times` responses (every response when `times` is None) behave so."""
        behaviour = Behaviour(
            latency_ms=latency_ms,
            status=status,
            hang=hang,
            malformed_json=malformed_json,
            schema_invalid=schema_invalid,
            truncated=truncated,
            refusal=refusal,
            degraded=degraded,
            output=output,
            stream_error=stream_error,
            chunk_delay_ms=chunk_delay_ms,
        )
        self._script.add(behaviour, times=times)

    def reset(self) -> None:
        self._script.reset()
        with self._lock:
            self._received.clear()

    @property
    def received(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._received)

    # --- provider hooks -------------------------------------------------------------------------

    def error_payload(self, status: int) -> dict:
        return {"error": {"code": status, "message": f"fake {self.provider} error"}}

    # --- serving --------------------------------------------------------------------------------

    def serve(self, handler: _Handler, method: str) -> None:
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        path = urlsplit(handler.path).path
        if path == CONTROL_PATH:
            self._send(handler, self._control(method, raw), Behaviour())
            return
        body = _json_or_none(raw)
        headers = {name.lower(): value for name, value in handler.headers.items()}
        with self._lock:
            self._received.append(ReceivedRequest(method, handler.path, headers, body))
        behaviour = self._script.take()
        if behaviour.latency_ms:
            self._released.wait(behaviour.latency_ms / 1000)
        if behaviour.hang:
            self._released.wait(self.hang_seconds)
            handler.close_connection = True
            return
        if behaviour.status is not None:
            reply = Reply(self.error_payload(behaviour.status), behaviour.status)
        else:
            reply = self._route(method, path, body, headers, behaviour)
        self._send(handler, reply, behaviour)

    def _route(self, method: str, path: str, body: object, headers: dict[str, str], behaviour: Behaviour) -> Reply:
        for route_method, pattern, name in self._compiled:
            match = pattern.fullmatch(path)
            if match is None or route_method != method:
                continue
            if method == "POST" and not isinstance(body, dict):
                return Reply(self.error_payload(400), 400)
            call = Call(body if isinstance(body, dict) else {}, headers, match.groupdict(), behaviour)
            return getattr(self, name)(call)
        return Reply(self.error_payload(404), 404)

    def _control(self, method: str, raw: bytes) -> Reply:
        if method == "GET":
            return Reply({"received": [asdict(item) for item in self.received], "pending": self._script.pending()})
        command = _json_or_none(raw)
        if not isinstance(command, dict):
            return Reply({"error": "send a JSON object"}, 400)
        if command.get("reset"):
            self.reset()
            return Reply({"ok": True})
        times = command.pop("times", 1)
        try:
            self._script.add(Behaviour.from_json(command), times=times)
        except (TypeError, ValueError) as exc:
            return Reply({"error": str(exc)}, 400)
        return Reply({"ok": True, "pending": self._script.pending()})

    def _send(self, handler: _Handler, reply: Reply, behaviour: Behaviour) -> None:
        if reply.events is not None:
            self._send_stream(handler, reply, behaviour)
            return
        data = reply.raw if reply.raw is not None else json.dumps(reply.payload).encode()
        if behaviour.malformed_json:
            data = data[: len(data) // 2]  # an honest length, an unparseable body
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Content-Length", str(len(data)))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        if behaviour.truncated:
            data = data[: len(data) // 2]  # the length promised the whole body
            handler.close_connection = True
        handler.wfile.write(data)
        handler.wfile.flush()

    def _send_stream(self, handler: _Handler, reply: Reply, behaviour: Behaviour) -> None:
        """Server-Sent Events in HTTP/1.1 chunks, one event a chunk, as the providers stream."""
        handler.send_response(reply.status)
        handler.send_header("Content-Type", "text/event-stream")
        handler.send_header("Cache-Control", "no-cache")
        handler.send_header("Transfer-Encoding", "chunked")
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        events = reply.events
        broken = behaviour.truncated or behaviour.stream_error
        if broken:
            events = events[: max(1, len(events) // 2)]
        for index, event in enumerate(events):
            if index and behaviour.chunk_delay_ms:
                self._released.wait(behaviour.chunk_delay_ms / 1000)
            _write_chunk(handler, event)
        if behaviour.truncated:  # no terminating chunk: the client sees the answer break off
            handler.close_connection = True
            return
        if behaviour.stream_error:
            _write_chunk(handler, reply.error_event)
        _write_chunk(handler, b"")


def _write_chunk(handler: _Handler, data: bytes) -> None:
    handler.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
    handler.wfile.flush()


def sse_frame(data: object, event: str | None = None) -> bytes:
    """One Server-Sent Event: `data` as JSON (or as given, when a string)."""
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    return (f"event: {event}\n" if event else "").encode() + f"data: {text}\n\n".encode()


def text_pieces(text: str, size: int = 4) -> list[str]:
    """A model's answer as it streams: about a token (four characters) a piece."""
    return [text[start : start + size] for start in range(0, len(text), size)] or [""]


def _json_or_none(raw: bytes) -> object | None:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
