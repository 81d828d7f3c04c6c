"""The request id of the running request or task, for logs and error envelopes."""

from __future__ import annotations

import contextvars
import re
import uuid

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def current_request_id() -> str | None:
    return _request_id.get()


def new_request_id(inbound: str | None = None) -> str:
    """Keep a caller's well-formed id (so traces join up); otherwise make one."""
    if inbound and _VALID.match(inbound):
        return inbound
    return uuid.uuid4().hex


def bind_request_id(value: str) -> contextvars.Token:
    return _request_id.set(value)


def unbind_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)
