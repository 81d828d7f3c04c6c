"""POST one delivery to a receiver without letting its URL reach inside the network (SSRF).

`destination_check` is run when an endpoint is registered (a 400 that says why) and again right
before every attempt: DNS may have changed in between, so the connection goes to the very address
just checked (the TLS name and Host header stay the URL's host). Only https; http only to a
loopback address, and loopback only with WEBHOOK_ALLOW_LOOPBACK (development, tests). Private,
link-local, multicast, reserved and unspecified addresses (IPv4 and IPv6, IPv4-mapped included,
`melmastoon_ai.outbound`) are refused unless WEBHOOK_ALLOWED_HOSTS names them. Redirects are never
followed (a 3xx is a failed attempt), timeouts are short, and the response body is read only up to
RESPONSE_READ_BYTES: a receiver cannot hold a worker or fill its memory.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from melmastoon_ai.outbound import IPAddress, UnsafeDestination, checked_addresses

LOOPBACK_NETWORKS = ("127.0.0.0/8", "::1/128")
RESPONSE_READ_BYTES = 16 * 1024


@dataclass(frozen=True)
class Destination:
    scheme: str
    host: str
    port: int
    target: str  # path and query
    address: IPAddress | None  # None: a host allowed by name, connected to by name


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str = ""

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def destination_check(url: str) -> Destination:
    """The checked destination of a webhook URL; UnsafeDestination (a 400) says why not."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise UnsafeDestination(f"{url[:200]!r}: a webhook URL must be https", details={"url": url[:200]})
    if parts.username or parts.password:
        raise UnsafeDestination("a webhook URL must not carry credentials; the signature authenticates the gateway")
    loopback = settings.WEBHOOK_ALLOW_LOOPBACK
    if parts.scheme == "http" and not loopback:
        raise _http_refused(url)
    allowed = [*settings.WEBHOOK_ALLOWED_HOSTS, *(LOOPBACK_NETWORKS if loopback else ())]
    host, port, addresses = checked_addresses(url, allowed=allowed)
    if parts.scheme == "http" and not (addresses and all(address.is_loopback for address in addresses)):
        raise _http_refused(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(parts.scheme, host, port, target, addresses[0] if addresses else None)


def _http_refused(url: str) -> UnsafeDestination:
    return UnsafeDestination(
        f"{url[:200]!r}: a webhook URL must be https; http is accepted only to a loopback address, "
        "with WEBHOOK_ALLOW_LOOPBACK on (development)",
        details={"url": url[:200]},
    )


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, destination: Destination, timeout: float):
        super().__init__(destination.host, destination.port, timeout=timeout)
        self._address = str(destination.address) if destination.address else destination.host

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, destination: Destination, timeout: float):
        super().__init__(destination.host, destination.port, timeout=timeout, context=ssl.create_default_context())
        self._address = str(destination.address) if destination.address else destination.host

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def post(url: str, *, body: bytes, headers: dict[str, str]) -> Outcome:
    """One attempt: the URL checked again, the POST to the checked address, the status read."""
    try:
        destination = destination_check(url)
    except UnsafeDestination as exc:
        return Outcome(None, f"refused: {exc.message}"[:500])
    kind = _PinnedHTTPSConnection if destination.scheme == "https" else _PinnedHTTPConnection
    connection = kind(destination, timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    try:
        connection.request("POST", destination.target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(RESPONSE_READ_BYTES)  # bounded; the rest goes with the closed connection
    except (OSError, http.client.HTTPException) as exc:  # ssl.SSLError and timeouts are OSErrors
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:500])
    finally:
        connection.close()
    if 200 <= response.status < 300:
        return Outcome(response.status)
    if 300 <= response.status < 400:
        return Outcome(response.status, f"HTTP {response.status}: redirects are not followed")
    return Outcome(response.status, f"HTTP {response.status}")
