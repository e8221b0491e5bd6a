"""A lean HTTP/1.1 transport for python-telegram-bot: the Bot API over a few keep-alive
connections on asyncio streams.

python-telegram-bot's own transport (httpx, httpcore, anyio, h11) cost about 1 ms of CPU per
message sent, most of a broadcast's budget: at a 300/s cap that alone is a third of a core.
This one writes each request in one piece and reads the answer by Content-Length (or chunks),
about a fifth of that. It is a `BaseRequest`, so python-telegram-bot still builds the calls,
maps the Bot API's errors (RetryAfter, Forbidden, BadRequest ...) and parses the results; the
wire format is the same form-encoded POST. Uploads, GETs and any configured HTTP proxy go
through the stock `HTTPXRequest` instead, built when first needed (`LazyRequest`).
"""

from __future__ import annotations

import asyncio
import select
import ssl
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

_HEAD_END = b"\r\n\r\n"


@dataclass(slots=True)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    def usable(self) -> bool:
        """Still open on our side and not closed by the server while idle: also when the loop
        has not yet read the server's close (it closed right after its last answer), as
        httpcore checks. An idle connection has nothing to read: anything readable (the close,
        or bytes nobody asked for) makes it unusable."""
        if self.writer.is_closing() or self.reader.at_eof():
            return False
        sock = self.writer.get_extra_info("socket")
        if sock is None:
            return True
        try:
            poller = select.poll()
            poller.register(sock.fileno(), select.POLLIN)
            return not poller.poll(0)
        except (OSError, ValueError):
            return False

    def close(self) -> None:
        self.writer.close()


class _Pool:
    """Idle keep-alive connections of one event loop (asyncio streams belong to their loop)."""

    def __init__(self, size: int) -> None:
        self.gate = asyncio.Semaphore(size)
        self.idle: dict[tuple[str, int, bool], list[_Connection]] = {}
        self.keeper: asyncio.Task[None] | None = None
        self.closed = False
        """Shut down: a send still under way closes its connection instead of pooling it
        (pooled here it would be left to the garbage collector, open)."""

    def close(self) -> None:
        self.closed = True
        if self.keeper is not None and not self.keeper.done():
            self.keeper.cancel()
        for connections in self.idle.values():
            for connection in connections:
                connection.close()
        self.idle.clear()


class LazyRequest(BaseRequest):
    """python-telegram-bot's stock `HTTPXRequest`, built at its first request: building it
    builds an httpx client, which imports httpcore and, through it, trio when installed (about
    5 MiB a process that never needs them: `serve` sends on `LeanRequest` and never polls)."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._request: HTTPXRequest | None = None

    @property
    def read_timeout(self) -> float | None:
        value = self._options.get("read_timeout", 5.0)  # HTTPXRequest's default
        return None if value is None else float(value)

    def _built(self) -> HTTPXRequest:
        if self._request is None:
            self._request = HTTPXRequest(**self._options)
        return self._request

    async def initialize(self) -> None:
        if self._request is not None:
            await self._request.initialize()

    async def shutdown(self) -> None:
        if self._request is not None:
            await self._request.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        timeouts = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        return await self._built().do_request(url, method, request_data, *timeouts)


class LeanRequest(BaseRequest):
    """`BaseRequest` on asyncio streams for form-encoded POSTs; the rest via `HTTPXRequest`."""

    def __init__(
        self,
        connection_pool_size: int = 8,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._size = connection_pool_size
        self._timeouts = {
            "read": read_timeout,
            "write": write_timeout,
            "connect": connect_timeout,
            "pool": pool_timeout,
        }
        self._fallback = LazyRequest(
            connection_pool_size=connection_pool_size,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )
        self._pools: dict[asyncio.AbstractEventLoop, _Pool] = {}
        self._tls: ssl.SSLContext | None = None
        self._direct: dict[tuple[str, str], bool] = {}
        """(scheme, host) -> no proxy applies (the environment read once per host)."""

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    async def initialize(self) -> None:
        await self._fallback.initialize()

    async def shutdown(self) -> None:
        loop = asyncio.get_running_loop()
        pool = self._pools.pop(loop, None)
        if pool is not None:
            pool.close()
        await self._fallback.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if not self._lean(method, request_data, parts.scheme, host):
            timeouts = (read_timeout, write_timeout, connect_timeout, pool_timeout)
            return await self._fallback.do_request(url, method, request_data, *timeouts)
        tls = parts.scheme == "https"
        port = parts.port or (443 if tls else 80)
        body = request_data.url_encoded_parameters().encode() if request_data else b""
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {parts.netloc.rpartition('@')[2]}\r\n"
            f"User-Agent: {self.USER_AGENT}\r\nAccept: */*\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        pool = self._pool()
        try:
            async with asyncio.timeout(self._timeout("pool", pool_timeout)):
                await pool.gate.acquire()
        except TimeoutError:
            raise TimedOut(
                "Pool timeout: All connections in the connection pool are occupied. "
                "Request was *not* sent to Telegram."
            ) from None
        try:
            key = (host, port, tls)
            connection = self._idle(pool, key)
            if connection is None:
                connection = await self._connect(host, port, tls, connect_timeout)
            try:
                total = _sum(
                    self._timeout("write", write_timeout), self._timeout("read", read_timeout)
                )
                async with asyncio.timeout(total):
                    connection.writer.write(head.encode("latin-1") + body)
                    status, payload, keep = await _response(connection.reader)
            except BaseException as exc:
                connection.close()
                if isinstance(exc, TimeoutError):
                    raise TimedOut from exc
                if isinstance(exc, (OSError, asyncio.IncompleteReadError, ValueError, IndexError)):
                    raise NetworkError(f"{type(exc).__name__}: {exc}") from exc
                raise
            if keep and not pool.closed:
                pool.idle.setdefault(key, []).append(connection)
            else:
                connection.close()
            return status, payload
        finally:
            pool.gate.release()

    def _lean(self, method: str, data: RequestData | None, scheme: str, host: str) -> bool:
        """A form-encoded POST, straight to the host (no proxy applies): this transport's."""
        if method != "POST" or (data is not None and data.contains_files):
            return False
        direct = self._direct.get((scheme, host))
        if direct is None:
            direct = scheme in ("http", "https") and not _proxied(scheme, host)
            self._direct[scheme, host] = direct
        return direct

    def _pool(self) -> _Pool:
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop)
        if pool is None:
            self._pools = {k: p for k, p in self._pools.items() if not k.is_closed()}
            pool = self._pools[loop] = _Pool(self._size)
            pool.keeper = loop.create_task(_close_at_the_end(pool))
        return pool

    def _timeout(self, name: str, given: Any) -> float | None:
        if isinstance(given, (int, float)) or given is None:
            return given
        return self._timeouts[name]  # DEFAULT_NONE: this request's own default

    @staticmethod
    def _idle(pool: _Pool, key: tuple[str, int, bool]) -> _Connection | None:
        connections = pool.idle.get(key)
        while connections:
            connection = connections.pop()
            if connection.usable():
                return connection
            connection.close()
        return None

    async def _connect(self, host: str, port: int, tls: bool, timeout: Any) -> _Connection:
        context = None
        if tls:
            if self._tls is None:
                self._tls = _tls_context()
            context = self._tls
        try:
            async with asyncio.timeout(self._timeout("connect", timeout)):
                reader, writer = await asyncio.open_connection(
                    host, port, ssl=context, server_hostname=host if tls else None
                )
        except TimeoutError as exc:
            raise TimedOut from exc
        except OSError as exc:
            raise NetworkError(f"connect failed: {type(exc).__name__}: {exc}") from exc
        return _Connection(reader, writer)


async def _close_at_the_end(pool: _Pool) -> None:
    """Waits for the loop's end (asyncio.run cancels what is left): then the idle connections
    are closed while the loop still runs, not left to the garbage collector."""
    try:
        await asyncio.Event().wait()
    finally:
        pool.keeper = None
        pool.close()


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, whether the connection may be reused) of one HTTP/1.1 response."""
    while True:
        lines = (await reader.readuntil(_HEAD_END)).split(b"\r\n")
        version, status_text = lines[0].split(None, 2)[:2]
        status = int(status_text)
        if not 100 <= status < 200:
            break  # 1xx interim answers (100 Continue) carry no body: read on
    length: int | None = None
    chunked = False
    keep = version == b"HTTP/1.1"
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            keep = b"close" not in value.lower() and (keep or b"keep-alive" in value.lower())
    if chunked:
        return status, await _chunks(reader), keep
    if length is not None:
        return status, await reader.readexactly(length), keep
    if status in (204, 304):
        return status, b"", keep
    return status, await reader.read(), False  # delimited by the server closing


async def _chunks(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                pass
            return bytes(body)
        body += (await reader.readexactly(size + 2))[:-2]


def _sum(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a + b


def _proxied(scheme: str, host: str) -> bool:
    """An HTTP proxy set in the environment applies (httpx would use it): leave it to httpx."""
    proxies = urllib.request.getproxies()
    return bool(proxies.get(scheme) or proxies.get("all")) and not urllib.request.proxy_bypass(host)


def _tls_context() -> ssl.SSLContext:
    """Certificate checks as httpx makes them (certifi's roots when it is installed)."""
    try:
        import certifi
    except ImportError:  # pragma: no cover - httpx depends on it
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=certifi.where())
