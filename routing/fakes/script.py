"""How a fake provider server misbehaves: a queue of one-shot behaviours, then a standing one."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, fields

ERROR_STATUSES = frozenset({400, 401, 403, 404, 408, 422, 429, 500, 502, 503, 504, 529})


@dataclass(frozen=True)
class Behaviour:
    """One response's script. The default answers normally."""

    latency_ms: int = 0  # wait before answering
    status: int | None = None  # answer this error status with the provider's error body
    hang: bool = False  # never answer (until the server stops): the client times out
    malformed_json: bool = False  # a 200 whose body is not JSON
    schema_invalid: bool = False  # valid JSON, but the model output misses the capability's schema
    truncated: bool = False  # promise the whole body, send half of it, close the connection
    refusal: bool = False  # the provider's own refusal / safety block
    degraded: bool = False  # a schema-valid but worse answer (answers.degrade): a model regression
    output: dict | None = None  # answer exactly this model output (an untrusted answer a test needs)
    # streamed answers (`stream: true`, `:streamGenerateContent`): `truncated` closes the connection
    # after half the events; `stream_error` sends the provider's error event there instead
    stream_error: bool = False
    chunk_delay_ms: int = 0  # wait between two events of a streamed answer

    def __post_init__(self) -> None:
        if self.latency_ms < 0 or self.chunk_delay_ms < 0:
            raise ValueError("latency_ms and chunk_delay_ms must be >= 0")
        if self.status is not None and self.status not in ERROR_STATUSES:
            raise ValueError(f"status must be one of {sorted(ERROR_STATUSES)}")

    @classmethod
    def from_json(cls, data: dict) -> Behaviour:
        known = {item.name for item in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown behaviour fields: {sorted(unknown)}")
        return cls(**data)


NORMAL = Behaviour()


class Script:
    """Thread-safe: the handler threads take behaviours while a test adds them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[Behaviour] = deque()
        self._standing = NORMAL

    def add(self, behaviour: Behaviour, *, times: int | None = 1) -> None:
        """The next `times` responses follow `behaviour`; `times=None`: every response from now on."""
        with self._lock:
            if times is None:
                self._queue.clear()
                self._standing = behaviour
            elif times < 1:
                raise ValueError("times must be >= 1, or None for every response")
            else:
                self._queue.extend([behaviour] * times)

    def take(self) -> Behaviour:
        with self._lock:
            return self._queue.popleft() if self._queue else self._standing

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self._standing = NORMAL
