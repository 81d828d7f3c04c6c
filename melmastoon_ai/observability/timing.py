"""Time spent waiting on providers during this request, so the gateway can report its own overhead."""

from __future__ import annotations

import contextvars

_provider_ms: contextvars.ContextVar[float] = contextvars.ContextVar("provider_ms", default=0.0)


def reset_provider_time() -> None:
    _provider_ms.set(0.0)


def add_provider_time(milliseconds: float) -> None:
    _provider_ms.set(_provider_ms.get() + milliseconds)


def provider_time_ms() -> float:
    return _provider_ms.get()
