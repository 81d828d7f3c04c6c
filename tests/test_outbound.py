"""melmastoon_ai.outbound: the address check every outbound call to a registered URL goes through."""

from __future__ import annotations

import ipaddress

import pytest

from melmastoon_ai.outbound import UnsafeDestination, check_destination, refusal_reason


@pytest.mark.parametrize(
    "address, reason",
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("2002:7f00:1::", "loopback"),
        ("169.254.169.254", "link-local (cloud metadata)"),
        ("64:ff9b::a9fe:a9fe", "link-local (cloud metadata)"),
        ("fe80::1", "link-local (cloud metadata)"),
        ("10.0.0.5", "private"),
        ("172.16.0.1", "private"),
        ("192.168.0.1", "private"),
        ("fd00:ec2::254", "private"),
        ("0.0.0.0", "unspecified"),  # noqa: S104
        ("224.0.0.1", "multicast"),
        ("100.64.0.1", "not public"),
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
    ],
)
def test_every_non_public_address_has_a_reason(address, reason):
    assert refusal_reason(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize(
    "url",
    ["http://2130706433/", "http://0x7f.1/", "http://127.1:6379/", "http://localhost/", "http://[::ffff:7f00:1]/"],
)
def test_numeric_and_short_forms_of_loopback_are_seen_after_resolution(url):
    with pytest.raises(UnsafeDestination, match="loopback"):
        check_destination(url)


def test_schemes_other_than_http_and_names_that_do_not_resolve_are_refused():
    for url in ("file:///etc/passwd", "gopher://127.0.0.1:6379/", "http:///nohost", "http://x:notaport/"):
        with pytest.raises(UnsafeDestination):
            check_destination(url)
    with pytest.raises(UnsafeDestination, match="does not resolve"):
        check_destination("http://no-such-host.invalid/v1")


def test_the_allow_list_takes_hosts_suffixes_addresses_and_networks():
    check_destination("http://127.0.0.1:8000/v1", allowed=["127.0.0.1"])
    check_destination("http://localhost:8000/v1", allowed=["127.0.0.0/8"])
    check_destination("http://phi.system.svc.cluster.local/v1", allowed=[".svc.cluster.local"])
    check_destination("http://[::1]:8000/", allowed=["[::1]"])
    with pytest.raises(UnsafeDestination):
        check_destination("http://169.254.169.254/", allowed=["127.0.0.0/8", ".svc.cluster.local"])
