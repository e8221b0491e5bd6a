"""Local fake servers (Telegram Bot API, Twilio REST) + a no-external-network guard.

``block_external_network(monkeypatch)`` makes every socket connect/DNS lookup to a
non-loopback address raise :class:`ExternalNetworkBlockedError` (a ``ConnectionError``,
so HTTP clients see an ordinary connection failure -- PTB raises ``NetworkError``,
requests raises ``ConnectionError``).  Blocked attempts are also recorded on the
returned guard (``guard.attempts``), so a fixture can assert none happened even if the
code under test swallowed the error.  Unix sockets and 127.0.0.0/8 / ::1 / "localhost"
are allowed, so the fakes keep working.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.telegram_api import (
    FakeTelegram,
    TelegramCall,
    make_callback_update,
    make_location_update,
    make_message_update,
    make_sticker_update,
    make_voice_update,
)
from tests.fakes.twilio_api import (
    FakeTwilio,
    TwilioCall,
    make_whatsapp_inbound,
    sign_twilio_request,
)

__all__ = [
    "ExternalNetworkBlockedError",
    "FakeTelegram",
    "FakeTwilio",
    "NetworkGuard",
    "TelegramCall",
    "TwilioCall",
    "block_external_network",
    "make_callback_update",
    "make_location_update",
    "make_message_update",
    "make_sticker_update",
    "make_voice_update",
    "make_whatsapp_inbound",
    "sign_twilio_request",
]

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class ExternalNetworkBlockedError(ConnectionError):
    """Raised when a test tries to reach a non-loopback address."""


@dataclass
class NetworkGuard:
    attempts: list[str] = field(default_factory=list)


def _is_local_host(host: Any) -> bool:
    if host is None:
        return True  # getaddrinfo(None, port) -> wildcard/loopback
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    host = str(host).strip("[]")
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def block_external_network(monkeypatch: Any) -> NetworkGuard:
    """Patch socket connect/connect_ex/getaddrinfo to refuse non-loopback destinations."""
    guard = NetworkGuard()
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def _check(family: int, address: Any, what: str) -> None:
        if family not in (socket.AF_INET, socket.AF_INET6):
            return  # AF_UNIX etc.
        host = address[0] if isinstance(address, tuple) else address
        if not _is_local_host(host):
            guard.attempts.append(f"{what} {address!r}")
            raise ExternalNetworkBlockedError(
                f"external network access blocked in tests: {what} {address!r}"
            )

    def connect(self: socket.socket, address: Any) -> None:
        _check(self.family, address, "connect")
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        _check(self.family, address, "connect_ex")
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        _check(socket.AF_INET, (host,), "getaddrinfo")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return guard
