"""Fake Telegram Bot API served over real HTTP on 127.0.0.1.

Point a real python-telegram-bot 22 ``Bot`` at it::

    bot = telegram.Bot(fake.token, base_url=fake.url + "/bot")
    # or: Bot(token, base_url=fake.base_url)      (fake.base_url == fake.url + "/bot")
    # or: Application.builder().token(fake.token).base_url(fake.base_url).build()
    async with bot:          # Bot.initialize() calls getMe; shutdown() closes httpx clients
        await bot.send_message(chat_id=1, text="hi")

PTB composes the endpoint as ``f"{base_url}{token}/{method}"`` (``base_url + token`` unless
the base_url contains ``{token}``), so requests arrive at ``/bot<TOKEN>/<method>``.
PTB posts ``application/x-www-form-urlencoded`` bodies whose non-string values are JSON
encoded (e.g. ``reply_markup='{"inline_keyboard": ...}'``); JSON bodies and GET query
strings are accepted too.  Method names are matched case-insensitively, like Telegram.

Errors are returned with real Bot API bodies, e.g. ``{"ok": false, "error_code": 429,
"description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}}``,
which PTB maps to ``RetryAfter`` / ``Forbidden`` / ``BadRequest`` / ``NetworkError``.

The control API (``sent``, ``fail_next`` ...) is thread-safe: the server runs in its own
thread/event loop.  In async tests use :meth:`FakeTelegram.wait_for_async` -- the sync
:meth:`FakeTelegram.wait_for` blocks the calling thread (and so the bot's event loop if
the bot runs in the test's loop).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.server import ASGIServer

__all__ = [
    "FakeTelegram",
    "TelegramCall",
    "make_callback_update",
    "make_location_update",
    "make_message_update",
    "make_sticker_update",
    "make_voice_update",
]

T = TypeVar("T")

DEFAULT_TOKEN = "123456789:TEST-fake-token"
BOT_FIRST_NAME = "Defensoras Test Bot"
BOT_USERNAME = "defensoras_test_bot"

# Form-encoded parameters that PTB JSON-encodes (non-str values).
_JSON_FIELDS = {
    "reply_markup",
    "message_ids",
    "allowed_updates",
    "entities",
    "caption_entities",
    "link_preview_options",
    "reply_parameters",
}
_INT_FIELDS = {
    "chat_id",
    "message_id",
    "offset",
    "limit",
    "timeout",
    "cache_time",
    "max_connections",
    "message_thread_id",
}
_BOOL_FIELDS = {
    "show_alert",
    "drop_pending_updates",
    "disable_notification",
    "protect_content",
    "allow_sending_without_reply",
}
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
}
# Methods never consumed by fail_next() unless explicitly targeted (polling noise and the
# getMe done by Bot.initialize(), so fail_next() can be armed before the bot starts).
_UNTARGETED_BY_DEFAULT = {"getupdates", "getme"}
_NOT_RECORDED = {"getupdates"}


def _bot_user(token: str) -> dict[str, Any]:
    prefix = token.split(":", 1)[0]
    bot_id = int(prefix) if prefix.isdigit() else 123456789
    return {
        "id": bot_id,
        "is_bot": True,
        "first_name": BOT_FIRST_NAME,
        "username": BOT_USERNAME,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


def _chat(chat_id: int | str, *, first_name: str = "Ana", chat_type: str | None = None) -> dict:
    if chat_type is None:
        chat_type = "private" if isinstance(chat_id, int) and chat_id > 0 else "supergroup"
    chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
    if chat_type == "private":
        chat["first_name"] = first_name
    else:
        chat["title"] = f"Chat {chat_id}"
    return chat


def _user(
    user_id: int, first_name: str, username: str | None = None, language_code: str | None = "es"
) -> dict[str, Any]:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code is not None:  # the user's app language (IETF tag); optional in the API
        user["language_code"] = language_code
    if username:
        user["username"] = username
    return user


def _coerce(name: str, value: Any) -> Any:
    """Decode a (form) parameter value into its natural Python type."""
    if not isinstance(value, str):
        return value
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            return value
    if name in _INT_FIELDS:
        try:
            return int(value)
        except ValueError:
            return value  # e.g. chat_id="@channelusername"
    if name in _BOOL_FIELDS and value in ("true", "false"):
        return value == "true"
    return value


@dataclass
class TelegramCall:
    """One Bot API request received by the fake (getUpdates is not recorded)."""

    method: str
    params: dict[str, Any]
    at: float  # time.monotonic() at arrival
    status: int | None = None  # HTTP status returned (None while in flight)
    result: Any = None  # the "result" returned on success, or the error body
    token: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 200

    @property
    def chat_id(self) -> Any:
        return self.params.get("chat_id")

    @property
    def text(self) -> str | None:
        return self.params.get("text")

    @property
    def parse_mode(self) -> str | None:
        return self.params.get("parse_mode")

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        return self.params.get("reply_markup")

    @property
    def message_id(self) -> int | None:
        """Message id of the sent message (sendMessage) or the targeted one (delete/edit)."""
        if isinstance(self.result, dict) and "message_id" in self.result:
            return self.result["message_id"]
        return self.params.get("message_id")

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Flat list of inline keyboard buttons (dicts with text/callback_data/url)."""
        markup = self.reply_markup or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]


@dataclass
class _Failure:
    remaining: int
    status: int
    description: str
    parameters: dict[str, Any] | None
    method: str | None  # lower-cased method filter, None = any (except getUpdates)


@dataclass
class _State:
    calls: list[TelegramCall] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    failures: list[_Failure] = field(default_factory=list)
    chat_failures: dict[str, tuple[int, str]] = field(default_factory=dict)
    messages: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    deleted: list[tuple[Any, int]] = field(default_factory=list)
    webhook: dict[str, Any] = field(default_factory=dict)
    next_message_id: int = 1
    next_update_id: int = 1


class FakeTelegram:
    """Fake Bot API. ``FakeTelegram(token=None)`` accepts any token; with a token set,
    requests for another token get 401 Unauthorized (like Telegram)."""

    def __init__(self, token: str | None = None, *, latency: float = 0.0) -> None:
        self.token = token or DEFAULT_TOKEN
        self._strict_token = token is not None
        self.latency = latency
        self.max_long_poll = 30.0  # cap for getUpdates timeout
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._state = _State()
        self._server = ASGIServer(
            Starlette(
                routes=[
                    Route("/bot{token}/{method}", self._endpoint, methods=["GET", "POST"]),
                ]
            )
        )

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> FakeTelegram:
        self._closing.clear()
        self._server.start()
        return self

    def stop(self) -> None:
        self._closing.set()
        self._server.stop()

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (no trailing slash)."""
        return self._server.url

    @property
    def base_url(self) -> str:
        """Value for ``Bot(base_url=...)`` / ``ApplicationBuilder().base_url(...)``."""
        return self.url + "/bot"

    def make_bot(self, **kwargs: Any) -> Any:
        """A real ``telegram.Bot`` pointed at this fake (use ``async with`` to init/close)."""
        from telegram import Bot

        return Bot(kwargs.pop("token", self.token), base_url=self.base_url, **kwargs)

    # ------------------------------------------------------------------ control API
    @property
    def requests(self) -> list[TelegramCall]:
        """All recorded requests, including failed ones (snapshot)."""
        with self._lock:
            return list(self._state.calls)

    @property
    def sent(self) -> list[TelegramCall]:
        """Successfully answered requests of any method except getUpdates (snapshot)."""
        with self._lock:
            return [c for c in self._state.calls if c.status == 200]

    def sent_to(self, chat_id: int | str, method: str | None = "sendMessage") -> list[TelegramCall]:
        """Successful calls for ``chat_id`` (default: only sendMessage; method=None: all)."""
        key = str(chat_id)
        return [
            c
            for c in self.sent
            if str(c.chat_id) == key and (method is None or c.method.lower() == method.lower())
        ]

    def calls_of(self, method: str) -> list[TelegramCall]:
        """All requests (successful or not) of the given method."""
        return [c for c in self.requests if c.method.lower() == method.lower()]

    @property
    def deleted(self) -> list[tuple[Any, int]]:
        """(chat_id, message_id) pairs deleted via deleteMessage/deleteMessages."""
        with self._lock:
            return list(self._state.deleted)

    @property
    def webhook(self) -> dict[str, Any]:
        """Parameters of the last setWebhook ({} after deleteWebhook)."""
        with self._lock:
            return dict(self._state.webhook)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._state.updates)

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 429,
        retry_after: int | None = 1,
        description: str | None = None,
        method: str | None = None,
    ) -> None:
        """Fail the next ``n`` requests (any method except getUpdates/getMe, or only
        ``method``). 429 bodies carry ``parameters.retry_after`` (-> PTB ``RetryAfter``)."""
        parameters = None
        if status == 429:
            retry_after = 1 if retry_after is None else retry_after
            parameters = {"retry_after": retry_after}
            description = description or f"Too Many Requests: retry after {retry_after}"
        description = description or _DEFAULT_DESCRIPTIONS.get(status, "Error")
        with self._lock:
            self._state.failures.append(
                _Failure(n, status, description, parameters, method.lower() if method else None)
            )

    def fail_chat(
        self,
        chat_id: int | str,
        status: int = 403,
        description: str = "Forbidden: bot was blocked by the user",
    ) -> None:
        """Persistently fail every request addressed to ``chat_id`` (until unfail/reset)."""
        with self._lock:
            self._state.chat_failures[str(chat_id)] = (status, description)

    def unfail_chat(self, chat_id: int | str) -> None:
        with self._lock:
            self._state.chat_failures.pop(str(chat_id), None)

    def queue_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (``update_id`` auto-assigned if missing)."""
        update = dict(update)
        with self._lock:
            if "update_id" not in update:
                update["update_id"] = self._state.next_update_id
            self._state.next_update_id = max(self._state.next_update_id, update["update_id"] + 1)
            self._state.updates.append(update)
        return update

    def next_update_id(self) -> int:
        with self._lock:
            return self._state.next_update_id

    def reset(self) -> None:
        """Forget calls, queued updates, failures, webhook; restore latency to 0."""
        with self._lock:
            self._state = _State()
        self.latency = 0.0
        self.max_long_poll = 30.0

    def wait_for(
        self, predicate: Callable[[], T], timeout: float = 5.0, interval: float = 0.01
    ) -> T:
        """Poll ``predicate()`` (blocking) until truthy; return its value or raise
        AssertionError. Do NOT use from a coroutine running the bot: use wait_for_async."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise AssertionError(f"FakeTelegram.wait_for: condition not met in {timeout}s")
            time.sleep(interval)

    async def wait_for_async(
        self, predicate: Callable[[], T], timeout: float = 5.0, interval: float = 0.01
    ) -> T:
        """Async version of :meth:`wait_for` (yields to the event loop while polling)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() >= deadline:
                raise AssertionError(f"FakeTelegram.wait_for: condition not met in {timeout}s")
            await asyncio.sleep(interval)

    # ------------------------------------------------------------------ HTTP side
    @staticmethod
    def _error(status: int, description: str, parameters: dict | None = None) -> dict:
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return body

    async def _read_params(self, request: Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query_params)
        if request.method == "POST":
            ctype = request.headers.get("content-type", "")
            if "json" in ctype:
                body = await request.body()
                if body:
                    data = json.loads(body)
                    if isinstance(data, dict):
                        raw.update(data)
            elif "form" in ctype:
                form = await request.form()
                for key, value in form.multi_items():
                    raw[key] = value if isinstance(value, str) else f"<file {value.filename}>"
                await form.close()
        return {k: _coerce(k, v) for k, v in raw.items()}

    async def _endpoint(self, request: Request) -> JSONResponse:
        token = request.path_params["token"]
        method = request.path_params["method"]
        lmethod = method.lower()
        params = await self._read_params(request)
        call = TelegramCall(method=method, params=params, at=time.monotonic(), token=token)
        if lmethod not in _NOT_RECORDED:
            with self._lock:
                self._state.calls.append(call)

        if self.latency:
            await asyncio.sleep(self.latency)

        status, body = await self._dispatch(token, lmethod, params)
        with self._lock:
            call.status = status
            call.result = body.get("result") if body.get("ok") else body
        return JSONResponse(body, status_code=status)

    def _take_failure(self, lmethod: str) -> _Failure | None:
        for failure in self._state.failures:
            if failure.method is None and lmethod in _UNTARGETED_BY_DEFAULT:
                continue
            if failure.method is not None and failure.method != lmethod:
                continue
            failure.remaining -= 1
            if failure.remaining <= 0:
                self._state.failures.remove(failure)
            return failure
        return None

    async def _dispatch(self, token: str, lmethod: str, p: dict[str, Any]) -> tuple[int, dict]:
        if self._strict_token and token != self.token:
            return 401, self._error(401, "Unauthorized")
        with self._lock:
            failure = self._take_failure(lmethod)
            chat_failure = (
                self._state.chat_failures.get(str(p["chat_id"])) if "chat_id" in p else None
            )
        if failure is not None:
            return failure.status, self._error(
                failure.status, failure.description, failure.parameters
            )
        if chat_failure is not None:
            return chat_failure[0], self._error(chat_failure[0], chat_failure[1])

        if lmethod == "getupdates":
            return await self._get_updates(p)
        handler = getattr(self, f"_m_{lmethod}", None)
        if handler is None:
            return 404, self._error(404, "Not Found")
        try:
            with self._lock:
                result = handler(token, p)
        except _BadRequest as exc:
            return 400, self._error(400, f"Bad Request: {exc}")
        return 200, {"ok": True, "result": result}

    # ------------------------------------------------------------------ methods
    def _new_message(self, token: str, chat_id: Any, **content: Any) -> dict[str, Any]:
        message_id = self._state.next_message_id
        self._state.next_message_id += 1
        message = {
            "message_id": message_id,
            "from": _bot_user(token),
            "chat": _chat(chat_id),
            "date": int(time.time()),
            **{k: v for k, v in content.items() if v is not None},
        }
        self._state.messages[(str(chat_id), message_id)] = message
        return message

    @staticmethod
    def _require(p: dict[str, Any], *names: str) -> None:
        for name in names:
            if p.get(name) in (None, ""):
                raise _BadRequest(f"{name} is empty" if name == "text" else f"{name} is required")

    def _m_getme(self, token: str, p: dict) -> Any:
        return _bot_user(token)

    def _m_sendmessage(self, token: str, p: dict) -> Any:
        self._require(p, "chat_id", "text")
        markup = p.get("reply_markup")
        inline = markup if isinstance(markup, dict) and "inline_keyboard" in markup else None
        return self._new_message(token, p["chat_id"], text=p["text"], reply_markup=inline)

    def _m_sendlocation(self, token: str, p: dict) -> Any:
        self._require(p, "chat_id", "latitude", "longitude")
        location = {"latitude": float(p["latitude"]), "longitude": float(p["longitude"])}
        return self._new_message(token, p["chat_id"], location=location)

    def _m_sendchataction(self, token: str, p: dict) -> Any:
        self._require(p, "chat_id", "action")
        return True

    def _m_answercallbackquery(self, token: str, p: dict) -> Any:
        self._require(p, "callback_query_id")
        return True

    def _m_deletemessage(self, token: str, p: dict) -> Any:
        self._require(p, "chat_id", "message_id")
        self._state.messages.pop((str(p["chat_id"]), p["message_id"]), None)
        self._state.deleted.append((p["chat_id"], p["message_id"]))
        return True

    def _m_deletemessages(self, token: str, p: dict) -> Any:
        self._require(p, "chat_id", "message_ids")
        for mid in p["message_ids"]:
            self._state.messages.pop((str(p["chat_id"]), mid), None)
            self._state.deleted.append((p["chat_id"], mid))
        return True

    def _edit(self, token: str, p: dict, **changes: Any) -> Any:
        if p.get("inline_message_id"):
            return True
        self._require(p, "chat_id", "message_id")
        key = (str(p["chat_id"]), p["message_id"])
        message = dict(
            self._state.messages.get(key)
            or {
                "message_id": p["message_id"],
                "from": _bot_user(token),
                "chat": _chat(p["chat_id"]),
                "date": int(time.time()),
                "text": "",
            }
        )
        message["edit_date"] = int(time.time())
        for k, v in changes.items():
            if v is None:
                message.pop(k, None)
            else:
                message[k] = v
        self._state.messages[key] = message
        return message

    def _m_editmessagereplymarkup(self, token: str, p: dict) -> Any:
        markup = p.get("reply_markup")
        return self._edit(token, p, reply_markup=markup if markup else None)

    def _m_editmessagetext(self, token: str, p: dict) -> Any:
        self._require(p, "text")
        markup = p.get("reply_markup")
        return self._edit(token, p, text=p["text"], reply_markup=markup if markup else None)

    def _m_setwebhook(self, token: str, p: dict) -> Any:
        self._require(p, "url")
        self._state.webhook = dict(p)
        if p.get("drop_pending_updates"):
            self._state.updates.clear()
        return True

    def _m_deletewebhook(self, token: str, p: dict) -> Any:
        self._state.webhook = {}
        if p.get("drop_pending_updates"):
            self._state.updates.clear()
        return True

    def _m_getwebhookinfo(self, token: str, p: dict) -> Any:
        info: dict[str, Any] = {
            "url": self._state.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._state.updates),
        }
        if "max_connections" in self._state.webhook:
            info["max_connections"] = self._state.webhook["max_connections"]
        return info

    async def _get_updates(self, p: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        offset = p.get("offset")
        limit = p.get("limit") or 100
        timeout = min(float(p.get("timeout") or 0), self.max_long_poll)
        with self._lock:
            if self._state.webhook.get("url"):
                return 409, self._error(
                    409,
                    "Conflict: can't use getUpdates method while webhook is active; "
                    "use deleteWebhook to delete the webhook first",
                )
            if isinstance(offset, int) and offset > 0:
                # Telegram forgets updates confirmed by offset.
                self._state.updates = [u for u in self._state.updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                batch = list(self._state.updates[:limit])
            if batch or time.monotonic() >= deadline or self._closing.is_set():
                return 200, {"ok": True, "result": batch}
            await asyncio.sleep(0.01)


class _BadRequest(Exception):
    pass


# ---------------------------------------------------------------------- update builders
def make_message_update(
    update_id: int,
    chat_id: int,
    text: str,
    *,
    first_name: str = "Ana",
    chat_type: str = "private",
    message_id: int | None = None,
    user_id: int | None = None,
    username: str | None = None,
    date: int | None = None,
    language_code: str | None = "es",
) -> dict[str, Any]:
    """A text-message update (``Update.de_json(d, bot)`` compatible)."""
    return _message_update(
        update_id,
        chat_id,
        {"text": text},
        first_name=first_name,
        chat_type=chat_type,
        message_id=message_id,
        user_id=user_id,
        username=username,
        date=date,
        language_code=language_code,
    )


def make_location_update(
    update_id: int,
    chat_id: int,
    latitude: float = -12.0464,
    longitude: float = -77.0428,
    *,
    first_name: str = "Ana",
    chat_type: str = "private",
    message_id: int | None = None,
    live_period: int | None = None,
) -> dict[str, Any]:
    """A location-message update (default: Lima centro)."""
    location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
    if live_period is not None:
        location["live_period"] = live_period
    return _message_update(
        update_id,
        chat_id,
        {"location": location},
        first_name=first_name,
        chat_type=chat_type,
        message_id=message_id,
    )


def make_voice_update(
    update_id: int,
    chat_id: int,
    *,
    duration: int = 3,
    first_name: str = "Ana",
    chat_type: str = "private",
    message_id: int | None = None,
) -> dict[str, Any]:
    """A voice-note message update."""
    voice = {
        "file_id": f"voice-{update_id}",
        "file_unique_id": f"uvoice{update_id}",
        "duration": duration,
        "mime_type": "audio/ogg",
        "file_size": 1024 * duration,
    }
    return _message_update(
        update_id,
        chat_id,
        {"voice": voice},
        first_name=first_name,
        chat_type=chat_type,
        message_id=message_id,
    )


def make_sticker_update(
    update_id: int,
    chat_id: int,
    *,
    emoji: str = "👍",
    first_name: str = "Ana",
    chat_type: str = "private",
    message_id: int | None = None,
) -> dict[str, Any]:
    """A sticker message update."""
    sticker = {
        "file_id": f"sticker-{update_id}",
        "file_unique_id": f"usticker{update_id}",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "emoji": emoji,
    }
    return _message_update(
        update_id,
        chat_id,
        {"sticker": sticker},
        first_name=first_name,
        chat_type=chat_type,
        message_id=message_id,
    )


def make_callback_update(
    update_id: int,
    chat_id: int,
    data: str,
    message_id: int,
    *,
    first_name: str = "Ana",
    message_text: str = "¿En qué te puedo ayudar?",
    callback_id: str | None = None,
    token: str = DEFAULT_TOKEN,
) -> dict[str, Any]:
    """An inline-button press on bot message ``message_id`` in a private chat."""
    user_id = chat_id if chat_id > 0 else 1000 + update_id
    return {
        "update_id": update_id,
        "callback_query": {
            "id": callback_id or f"cbq-{update_id}",
            "from": _user(user_id, first_name),
            "chat_instance": f"ci-{chat_id}",
            "data": data,
            "message": {
                "message_id": message_id,
                "from": _bot_user(token),
                "chat": _chat(chat_id, first_name=first_name),
                "date": int(time.time()),
                "text": message_text,
            },
        },
    }


def _message_update(
    update_id: int,
    chat_id: int,
    content: dict[str, Any],
    *,
    first_name: str,
    chat_type: str,
    message_id: int | None = None,
    user_id: int | None = None,
    username: str | None = None,
    date: int | None = None,
    language_code: str | None = "es",
) -> dict[str, Any]:
    if user_id is None:
        user_id = chat_id if chat_type == "private" else 1000 + update_id
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id if message_id is not None else 10_000 + update_id,
            "from": _user(user_id, first_name, username, language_code),
            "chat": _chat(chat_id, first_name=first_name, chat_type=chat_type),
            "date": date if date is not None else int(time.time()),
            **content,
        },
    }
