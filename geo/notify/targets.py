"""Where a notification may go. Webhook and robot URLs must resolve only to public
addresses, unless the operator allows a private network (``allow_private_targets``); this
is checked when a subscription is made and again before every send (DNS may change)."""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit, urlunsplit

from geo.kernel.errors import InvalidInput
from geo.notify.settings import NotifySettings

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
EMAIL = re.compile(r"^[^@\s<>,;]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,}$")


class TargetRefused(InvalidInput):
    """A target that is malformed or points where notifications may not go."""


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """
    >>> ip = ipaddress.ip_address
    >>> _is_public(ip("127.0.0.1")), _is_public(ip("10.1.2.3")), _is_public(ip("8.8.8.8"))
    (False, False, True)
    """
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def _allowed(ip, settings: NotifySettings) -> bool:
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped
    if _is_public(ip):
        return True
    return any(ip in ipaddress.ip_network(n, strict=False) for n in settings.allow_private_targets)


def resolve(url: str, settings: NotifySettings) -> list[IP]:
    """The addresses of the URL's host (IPv4 first), if it is http(s) without credentials
    and every address may be reached; raises TargetRefused naming the reason otherwise.
    Plain http only for hosts in an allowed private network."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise TargetRefused("target: an http(s) URL with a host is required")
    if parts.username or parts.password:
        raise TargetRefused("target: credentials in the URL are not accepted")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as exc:
        raise TargetRefused(f"target: host {parts.hostname!r} does not resolve") from exc
    addresses = {ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos}
    refused = sorted(str(ip) for ip in addresses if not _allowed(ip, settings))
    if refused:
        raise TargetRefused(
            f"target: {parts.hostname} resolves to a private, loopback or link-local address "
            f"({', '.join(refused)}); an operator may allow it (RM_NOTIFY_ALLOW_PRIVATE_TARGETS)"
        )
    if parts.scheme == "http" and any(_is_public(ip) for ip in addresses):
        raise TargetRefused("target: use https for a public host")
    return sorted(addresses, key=lambda ip: (ip.version, str(ip)))


def check_url(url: str, settings: NotifySettings) -> str:
    resolve(url, settings)
    return url


def pin(url: str, address: IP) -> tuple[str, dict[str, str], dict[str, str]]:
    """The URL with its host replaced by the checked ``address`` (so DNS cannot change
    between the check and the connection), the Host header and the TLS server name.

    >>> from ipaddress import ip_address
    >>> url, host, tls = pin("https://robot.example:8443/s?k=1", ip_address("203.0.113.7"))
    >>> url
    'https://203.0.113.7:8443/s?k=1'
    >>> host, tls
    ({'Host': 'robot.example:8443'}, {'sni_hostname': 'robot.example'})
    """
    parts = urlsplit(url)
    host = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{host}:{parts.port}" if parts.port else host
    tls = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    return urlunsplit(parts._replace(netloc=netloc)), {"Host": parts.netloc}, tls


def check_target(channel: str, target: str | None, settings: NotifySettings) -> str | None:
    """Validates the target of ``channel`` (atom has none)."""
    if channel == "atom":
        if target:
            raise TargetRefused("target: an atom subscription has no target (it is polled)")
        return None
    if not target:
        raise TargetRefused(f"target: required for channel {channel!r}")
    if channel == "email":
        if not EMAIL.match(target):
            raise TargetRefused("target: not an e-mail address")
        return target
    return check_url(target, settings)


def hint(channel: str, target: str | None) -> str | None:
    """What may be shown of a target: the host, never the key in a robot URL's query.

    >>> hint("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET")
    'https://qyapi.weixin.qq.com/…'
    >>> hint("email", "office@example.org")
    'o…@example.org'
    """
    if target is None:
        return None
    if channel == "email":
        local, _, domain = target.partition("@")
        return f"{local[:1]}…@{domain}"
    parts = urlsplit(target)
    return f"{parts.scheme}://{parts.netloc}/…"
