"""The lean Bot API transport (bot/channels/botapi.py) against raw HTTP answers: framing
(Content-Length, chunks, close-delimited), keep-alive reuse, a connection the server closed
while idle, timeouts, and python-telegram-bot's error mapping on top of it."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.channels.botapi import LazyRequest, LeanRequest
from bot.channels.envelope import Message
from bot.channels.telegram import TelegramSender, make_bot
from tests.fakes import FakeTelegram

Answer = Callable[[bytes], bytes | None]
"""The raw bytes to answer a request with (None: close without answering)."""


@dataclass
class RawServer:
    answer: Answer
    requests: list[bytes] = field(default_factory=list)
    connections: int = 0
    close_after: bool = False
    """Close each connection right after its first answer (keep-alive refused silently)."""
    port: int = 0
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length")
                )
                request = head + await reader.readexactly(length)
                self.requests.append(request)
                reply = self.answer(request)
                if reply is None:
                    return
                writer.write(reply)
                await writer.drain()
                if self.close_after:
                    return
        finally:
            writer.close()


async def serve(raw_server: RawServer) -> asyncio.Server:
    server = await asyncio.start_server(raw_server.handle, "127.0.0.1", 0)
    raw_server.port = server.sockets[0].getsockname()[1]
    return server


async def stop(server: asyncio.Server, raw_server: RawServer | None = None) -> None:
    """The listening socket and every accepted connection, closed before the loop ends."""
    server.close()
    for writer in raw_server.writers if raw_server else []:
        writer.close()
    await asyncio.sleep(0.01)


def ok(result: object, *, headers: str = "") -> bytes:
    body = json.dumps({"ok": True, "result": result}).encode()
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{headers}"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def error(status: int, description: str, parameters: dict[str, object] | None = None) -> bytes:
    payload: dict[str, object] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        payload["parameters"] = parameters
    body = json.dumps(payload).encode()
    return f"HTTP/1.1 {status} Whatever\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body


def message(address: str = "42", text: str = "hola") -> Message:
    return Message(
        id=1,
        channel="telegram",
        address=address,
        kind="reply",
        text=text,
        options=(),
        attempts=1,
        contact_id=1,
    )


async def test_keep_alive_reuses_one_connection_and_sends_the_form() -> None:
    raw = RawServer(lambda _: ok({"message_id": 7, "chat": {"id": 42, "type": "private"}}))
    server = await serve(raw)
    bot = make_bot("123:abc", f"http://127.0.0.1:{raw.port}/bot")
    try:
        sender = TelegramSender(bot, 1000)
        for _ in range(3):
            result = await sender.send(message(text="¿dónde queda el CEM? 📻"))
            assert result.status == "sent" and result.provider_id == "7"
        assert raw.connections == 1
        first = raw.requests[0]
        assert first.startswith(b"POST /bot123:abc/sendMessage HTTP/1.1\r\n")
        assert b"application/x-www-form-urlencoded" in first
        assert b"chat_id=42&text=%C2%BFd%C3%B3nde" in first
    finally:
        await bot.shutdown()
        await stop(server, raw)


async def test_chunked_and_close_delimited_answers_are_read_whole() -> None:
    body = json.dumps({"ok": True, "result": {"message_id": 9}}).encode()
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + f"{5:x}\r\n".encode()
        + body[:5]
        + b"\r\n"
        + f"{len(body) - 5:x};ext=1\r\n".encode()
        + body[5:]
        + b"\r\n0\r\nX-Trailer: 1\r\n\r\n"
    )
    closing = b"HTTP/1.0 200 OK\r\n\r\n" + body
    answers = iter([chunked, chunked, closing])
    raw = RawServer(lambda _: next(answers))
    server = await serve(raw)
    request = LeanRequest()
    try:
        url = f"http://127.0.0.1:{raw.port}/bot1:a/sendMessage"
        for _ in range(2):
            assert await request.post(url) == {"message_id": 9}
        assert raw.connections == 1  # chunked: the connection stays usable
        raw.close_after = True
        assert await request.post(url) == {"message_id": 9}
    finally:
        await request.shutdown()
        await stop(server, raw)


async def test_a_connection_the_server_closed_while_idle_is_not_reused() -> None:
    raw = RawServer(lambda _: ok(True))
    raw.close_after = True
    server = await serve(raw)
    request = LeanRequest()
    try:
        url = f"http://127.0.0.1:{raw.port}/bot1:a/getMe"
        assert await request.post(url) is True
        await asyncio.sleep(0.05)  # the server's FIN arrives while the connection is idle
        assert await request.post(url) is True
        assert raw.connections == 2
    finally:
        await request.shutdown()
        await stop(server, raw)


async def test_a_close_right_after_the_answer_is_seen_before_the_next_send() -> None:
    """A server (or proxy) that closes a kept-alive connection right after answering, with no
    'Connection: close': the next send comes before the loop has read that close. It must go
    on a new connection, not fail and wait out the dispatcher's backoff (httpx does the same)."""
    raw = RawServer(lambda _: ok({"message_id": 5}))
    raw.close_after = True
    server = await serve(raw)
    bot = make_bot("1:a", f"http://127.0.0.1:{raw.port}/bot")
    sender = TelegramSender(bot, 30)
    try:
        results = [await sender.send(message()) for _ in range(5)]
        assert [(r.status, r.error) for r in results] == [("sent", None)] * 5
        assert len(raw.requests) == raw.connections == 5
    finally:
        await bot.request.shutdown()
        await stop(server, raw)


async def test_a_send_cancelled_mid_answer_never_leaves_its_connection_to_the_next() -> None:
    """A task cancelled while its answer is half read: the connection is closed, never pooled,
    so the next send reads its own answer, not the rest of the cancelled one's."""
    first = ok({"message_id": 1})

    def answer(request: bytes) -> bytes | None:
        return first[:20] if b"text=first" in request else ok({"message_id": 2})

    raw = RawServer(answer)
    server = await serve(raw)
    request = LeanRequest()
    url = f"http://127.0.0.1:{raw.port}/bot1:a/sendMessage"
    try:

        def form(text: str) -> RequestData:
            return RequestData([RequestParameter("text", text, None)])

        task = asyncio.create_task(request.post(url, request_data=form("first")))
        while len(raw.requests) < 1:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # the first 20 bytes of its answer have arrived
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        for writer in raw.writers:
            writer.write(first[20:])  # the rest of the cancelled answer, late
        assert await request.post(url, request_data=form("second")) == {"message_id": 2}
    finally:
        await request.shutdown()
        await stop(server, raw)


async def test_a_send_under_way_at_shutdown_closes_its_connection() -> None:
    """Shut down while an answer is still on its way (a callback's answer sent from another
    task, say): the send finishes, and its connection is closed, not put back into the pool
    just shut down, where nothing would ever close it (the garbage collector would, later,
    warning 'unclosed' in whatever runs then)."""
    answer = ok({"message_id": 1})
    raw = RawServer(lambda _: answer[:20])
    server = await serve(raw)
    request = LeanRequest()
    url = f"http://127.0.0.1:{raw.port}/bot1:a/sendMessage"
    try:
        form = RequestData([RequestParameter("text", "hola", None)])
        task = asyncio.create_task(request.post(url, request_data=form))
        while len(raw.requests) < 1:
            await asyncio.sleep(0.01)
        await request.shutdown()
        for writer in raw.writers:
            writer.write(answer[20:])
        assert await task == {"message_id": 1}
        for _ in range(100):  # the server sees our close: its side of the connection ends
            if all(writer.is_closing() for writer in raw.writers):
                break
            await asyncio.sleep(0.01)
        assert raw.writers and all(writer.is_closing() for writer in raw.writers)
    finally:
        await request.shutdown()
        await stop(server, raw)


async def test_connection_close_header_is_honoured() -> None:
    raw = RawServer(lambda _: ok(True, headers="Connection: close\r\n"))
    server = await serve(raw)
    request = LeanRequest()
    try:
        url = f"http://127.0.0.1:{raw.port}/bot1:a/getMe"
        assert await request.post(url) is True
        assert await request.post(url) is True
        assert raw.connections == 2
    finally:
        await request.shutdown()
        await stop(server, raw)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (error(429, "Too Many Requests: retry after 3", {"retry_after": 3}), RetryAfter),
        (error(403, "Forbidden: bot was blocked by the user"), Forbidden),
        (error(400, "Bad Request: chat not found"), BadRequest),
        (error(500, "Internal Server Error"), NetworkError),
        (None, NetworkError),  # the server hangs up without answering
        (b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{", NetworkError),  # cut short
    ],
)
async def test_errors_are_python_telegram_bots(reply: bytes | None, expected: type) -> None:
    raw = RawServer(lambda _: reply)
    raw.close_after = True
    server = await serve(raw)
    request = LeanRequest()
    try:
        with pytest.raises(expected):
            await request.post(f"http://127.0.0.1:{raw.port}/bot1:a/sendMessage")
    finally:
        await request.shutdown()
        await stop(server, raw)


async def test_a_silent_server_times_out() -> None:
    raw = RawServer(lambda _: b"")  # reads the request, never answers
    server = await serve(raw)
    port = raw.port
    request = LeanRequest(read_timeout=0.2, write_timeout=0.1)
    try:
        with pytest.raises(TimedOut):
            await request.post(f"http://127.0.0.1:{port}/bot1:a/sendMessage")
    finally:
        await request.shutdown()
        await stop(server, raw)


async def test_the_sender_maps_the_fakes_failures(fake_telegram: FakeTelegram) -> None:
    """Through the real sender and the fake Bot API: a 429 pauses the channel, a block marks
    her unreachable, a keyboard goes out as Telegram's JSON."""
    from flows.types import Option

    bot = make_bot(fake_telegram.token, fake_telegram.base_url)
    await bot.initialize()
    try:
        sender = TelegramSender(bot, 1000)
        options = (Option("1", "Un CEM cerca"), Option("menu", "Menú"))
        menu = Message(1, "telegram", "77", "reply", "elige", options, 1, 1)
        assert (await sender.send(menu)).status == "sent"
        [call] = fake_telegram.sent_to(77)
        buttons = call.reply_markup["inline_keyboard"]  # type: ignore[index]
        assert buttons == [
            [{"text": "1. Un CEM cerca", "callback_data": "1"}],
            [{"text": "Menú", "callback_data": "menu"}],
        ]
        fake_telegram.fail_next(status=429, retry_after=5, method="sendMessage")
        limited = await sender.send(message("78"))
        assert (limited.status, limited.retry_after, limited.pause_channel) == ("retry", 5, True)
        fake_telegram.fail_chat(79, 403, "Forbidden: bot was blocked by the user")
        blocked = await sender.send(message("79"))
        assert (blocked.status, blocked.unreachable) == ("failed", True)
    finally:
        await bot.shutdown()


def test_uploads_gets_and_proxied_hosts_go_through_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [k for k in os.environ if k.lower().endswith("_proxy")]:
        monkeypatch.delenv(name)
    request = LeanRequest()
    assert request._lean("POST", None, "https", "api.telegram.org")
    assert not request._lean("GET", None, "https", "api.telegram.org")
    monkeypatch.setenv("https_proxy", "http://proxy.invalid:3128")
    monkeypatch.setenv("no_proxy", "localhost")
    proxied = LeanRequest()
    assert not proxied._lean("POST", None, "https", "api.telegram.org")
    assert proxied._lean("POST", None, "http", "localhost")


async def test_the_httpx_transport_is_built_at_its_first_request(
    fake_telegram: FakeTelegram,
) -> None:
    """A bot built and started has no httpx client (httpx's client imports httpcore and trio:
    ~5 MiB a process that only sends); a GET, which the lean transport leaves to httpx, builds
    it and is answered; getUpdates' request is lazy too."""
    bot = make_bot(fake_telegram.token, fake_telegram.base_url)
    await bot.initialize()
    try:
        lean = bot.request
        assert isinstance(lean, LeanRequest)
        assert isinstance(lean._fallback, LazyRequest) and lean._fallback._request is None
        updates = bot._request[0]  # python-telegram-bot keeps getUpdates' request first
        assert isinstance(updates, LazyRequest) and updates._request is None
        status, body = await lean.do_request(f"{fake_telegram.base_url}{bot.token}/getMe", "GET")
        assert status == 200 and json.loads(body)["ok"]
        assert lean._fallback._request is not None
        assert lean.read_timeout == 15 and updates.read_timeout == 5.0
    finally:
        await bot.shutdown()
    assert lean._fallback._request is not None and lean._fallback._request._client.is_closed
