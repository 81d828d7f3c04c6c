"""Server-Sent Events on the wire (the WHATWG `text/event-stream` format), for the streamed views.

A streamed response holds one server thread (gunicorn gthread, melmastoon_ai/serve.py) for as
long as it streams, and no database connection: docs/architecture.md, "Streaming".
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from django.http import StreamingHttpResponse
from rest_framework.renderers import BaseRenderer

EVENT_STREAM = "text/event-stream"


class EventStreamRenderer(BaseRenderer):
    """Lets a view accept `Accept: text/event-stream`; the view itself answers with
    `event_stream_response` (an error before the stream starts is rendered as JSON)."""

    media_type = EVENT_STREAM
    format = "sse"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return frame(data if isinstance(data, dict) else {"data": data}, event="message")


def frame(data: object, *, event: str | None = None) -> bytes:
    """One event: an optional `event:` line and the data as one line of JSON (or as given)."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {text}\n\n".encode()


def wants_event_stream(accept: str) -> bool:
    return any(part.split(";", 1)[0].strip().lower() == EVENT_STREAM for part in accept.split(","))


def event_stream_response(frames: Iterable[bytes]) -> StreamingHttpResponse:
    """Django closes `frames` (a generator) when the server stops reading it, the caller gone or not."""
    response = StreamingHttpResponse(frames, content_type=f"{EVENT_STREAM}; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # a buffering proxy (nginx) would hold the first words back
    return response
