"""Is it safe for the gateway to send a request to this URL? (server-side request forgery)

An operator or an attacker who can register an endpoint (a self-hosted model deployment today,
webhooks later) must not make the gateway POST to itself, to Redis on loopback, to the cloud
metadata service or into the private network. `check_destination` resolves the host (so
`localhost`, `2130706433`, `[::ffff:127.0.0.1]` and a name pointing at 10.0.0.5 are all seen as
what they are) and refuses any address that is not publicly routable: loopback, private,
link-local (169.254.169.254, the metadata service, lives there), carrier-grade NAT, multicast,
reserved, unspecified; IPv4-mapped and 6to4 IPv6 addresses are judged by the IPv4 address inside.

An operator allows the private hosts that are meant to be reached with an allow-list, one
setting per purpose (MODEL_ENDPOINT_ALLOWED_HOSTS for model deployments): an entry is a host name
(`vllm.internal`), a domain suffix (`.svc.cluster.local`), an IP address or a network in CIDR
(`10.20.0.0/16`). A host allowed by name is trusted whatever it resolves to; an address is allowed
when a network entry holds it.

Callers check at registration and again right before each call (DNS can change in between).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from melmastoon_ai.errors import ApplicationError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeDestination(ApplicationError):
    status = 400
    code = "invalid_request"


@dataclass(frozen=True)
class AllowList:
    hosts: frozenset[str]
    suffixes: tuple[str, ...]
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        hosts, suffixes, networks = set(), [], []
        for raw in entries:
            entry = raw.strip().lower().strip("[]")
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            if entry.startswith("."):
                suffixes.append(entry)
            else:
                hosts.add(entry.rstrip("."))
        return cls(frozenset(hosts), tuple(suffixes), tuple(networks))

    def allows_host(self, host: str) -> bool:
        return host in self.hosts or any(host.endswith(suffix) for suffix in self.suffixes)

    def allows_address(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks if network.version == address.version)


def _embedded_ipv4(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address carries (IPv4-mapped, 6to4, NAT64), else the address itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def refusal_reason(address: IPAddress) -> str | None:
    """Why the gateway must not connect to this address, or None for a public one."""
    inner = _embedded_ipv4(address)
    checks = (
        ("loopback", inner.is_loopback),
        ("link-local (cloud metadata)", inner.is_link_local),
        ("unspecified", inner.is_unspecified),
        ("multicast", inner.is_multicast),
        ("private", inner.is_private),
        ("reserved", inner.is_reserved),
        ("not public", not inner.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address `host` resolves to now (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise UnsafeDestination(f"{host} does not resolve", details={"host": host}) from exc
    return sorted({ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos}, key=str)


def check_destination(url: str, *, allowed: Iterable[str] = ()) -> None:
    """Raise UnsafeDestination unless `url` is http(s) to a public address or an allowed host."""
    checked_addresses(url, allowed=allowed)


def checked_addresses(url: str, *, allowed: Iterable[str] = ()) -> tuple[str, int, list[IPAddress]]:
    """`check_destination`, returning the host, port and the addresses it checked: a caller that
    connects to one of these (webhooks) cannot be sent elsewhere by a DNS answer that changed
    between the check and the connection. No addresses for a host allowed by name."""
    parts = urlsplit(url)
    try:
        host, port = (parts.hostname or "").lower(), parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:  # a port that is not a number
        raise UnsafeDestination(f"{url!r} has an invalid port") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise UnsafeDestination(f"{url!r} is not an http(s) URL with a host")
    allow = AllowList.parse(allowed)
    if allow.allows_host(host):
        return host, port, []  # trusted by name, whatever it resolves to (and it need not resolve here)
    addresses = resolve(host, port)
    for address in addresses:
        reason = refusal_reason(address)
        if reason is not None and not allow.allows_address(address):
            raise UnsafeDestination(
                f"{host} resolves to {address}, a {reason} address; the gateway does not send requests there "
                "unless the host is allowed",
                details={"host": host, "address": str(address), "reason": reason},
            )
    return host, port, addresses
