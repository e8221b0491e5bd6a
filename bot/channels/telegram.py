"""Telegram channel: parse updates with python-telegram-bot, send through the Bot API."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import logging
import math
import os
import sys
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update, User
from telegram import Message as TgMessage
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter  # pinned; tests/test_botapi

from bot.channels.botapi import LazyRequest, LeanRequest
from bot.channels.envelope import Envelope, Message, Result, position, storable_text
from flows.cases import CaseWords, callback_ack
from flows.types import Channel, Inbound

log = logging.getLogger(__name__)
MAX_TEXT = 4000
IN_FLIGHT = 8
MAX_IN_FLIGHT = 32
"""Sends in flight per sender: a tenth of a second of its rate, at least IN_FLIGHT, at most
MAX_IN_FLIGHT. The Bot API answers in ~50-100 ms, so 8 carry the 30/s Telegram allows a bot
and 30 a 300/s paid broadcast. (With httpx each pooled connection cost CPU on every request;
the lean transport's do not.)"""


def in_flight(rate_per_second: float) -> int:
    return min(MAX_IN_FLIGHT, max(IN_FLIGHT, math.ceil(rate_per_second / 10)))


MEDIA_FIELDS = {
    "voice": "voice",
    "audio": "voice",
    "video_note": "voice",
    "photo": "image",
    "video": "video",
    "sticker": "sticker",
    "animation": "sticker",
    "document": "document",
    "contact": "contact",
}


class UpdateError(ValueError):
    """A body that is JSON but not a Telegram update."""


@dataclass(frozen=True, slots=True)
class Parsed:
    """An update the bot acts on, or the reason it is acknowledged and dropped."""

    envelope: Envelope | None
    ignored: str | None = None
    callback_query_id: str | None = None


def callback_text(parsed: Parsed, words: CaseWords) -> str | None:
    """What a button press shows at once: a defensora's command is acknowledged in words (its
    outcome follows as a message); a menu choice needs no toast."""
    payload = parsed.envelope.inbound.payload if parsed.envelope is not None else None
    if not payload or not payload.startswith("/"):
        return None
    return callback_ack(words, payload)


def make_bot(token: str, base_url: str) -> Bot:
    """A Bot whose API base is configurable (a local fake in tests)."""
    # PTB 22 warns on every duration read unless durations are timedeltas (its future default).
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    _remember_missing("sniffio")
    # Sends, callbacks answered and edits beside them, on a lean transport (the httpx one of
    # python-telegram-bot cost ~1 ms of CPU a message, this ~0.2 ms).
    request = LeanRequest(
        connection_pool_size=MAX_IN_FLIGHT + 4, read_timeout=15, connect_timeout=10
    )
    return Bot(token, base_url=base_url, request=request, get_updates_request=LazyRequest())


def _remember_missing(module: str) -> None:
    """httpcore tries `import sniffio` on every request and falls back when it is absent; a
    failed import searches the whole path again each time (7 % of a broadcast's CPU). Record
    the absence once, as Python's own negative entry, so the fallback is taken at once."""
    if module not in sys.modules and importlib.util.find_spec(module) is None:
        sys.modules[module] = None  # type: ignore[assignment]


def parse_update(data: Any) -> Parsed:
    """Translate an update to the neutral model; only private chats are answered."""
    update_id = data.get("update_id") if isinstance(data, dict) else None
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise UpdateError("not a Telegram update (no integer update_id)")
    plain = _plain_text(data)
    if plain is not None:
        return plain
    try:
        update = Update.de_json(data, None)
        return _parse(update)
    except UpdateError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError) as exc:  # wrong shapes or types
        raise UpdateError(f"malformed update: {type(exc).__name__}") from exc


_PLAIN_MESSAGE = frozenset({"message_id", "from", "chat", "date", "text"})
_PLAIN_CHAT = frozenset({"id", "type", "first_name", "last_name", "username"})
_PLAIN_USER = frozenset(
    {"id", "is_bot", "first_name", "last_name", "username", "language_code", "is_premium"}
)


def _plain_text(data: dict[str, Any]) -> Parsed | None:
    """Most updates: a text message in a private chat, nothing else in it. Read straight from
    the JSON (python-telegram-bot's objects cost 0.1-0.2 ms of a webhook's CPU) when every
    field is there with its type; None sends any other update through python-telegram-bot,
    which parses and checks it as before."""
    message = data.get("message")
    if len(data) != 2 or not isinstance(message, dict) or not message.keys() <= _PLAIN_MESSAGE:
        return None
    chat, user = message.get("chat"), message.get("from")
    text, message_id = message.get("text"), message.get("message_id")
    if not isinstance(text, str) or not (
        isinstance(chat, dict)
        and chat.keys() <= _PLAIN_CHAT
        and _exactly(chat.get("id"), int)
        and chat.get("type") == "private"
        and all(_exactly(chat.get(k), str | None) for k in ("first_name", "last_name", "username"))
        and _exactly(message_id, int)
        and _exactly(message.get("date"), int)
        and 0 <= message["date"] < 2**32
        and (user is None or _plain_user(user))
    ):
        return None
    code = user.get("language_code") if user is not None else None
    inbound = Inbound(Channel.TELEGRAM, text=storable_text(text))
    hint = code[:16] if code else None
    envelope = Envelope(
        inbound, str(chat["id"]), str(data["update_id"]), message_id, None, None, hint
    )
    return Parsed(envelope)


def _plain_user(user: object) -> bool:
    return (
        isinstance(user, dict)
        and user.keys() <= _PLAIN_USER
        and _exactly(user.get("id"), int)
        and isinstance(user.get("is_bot"), bool)
        and _exactly(user.get("first_name"), str)
        and all(
            _exactly(user.get(k), str | None) for k in ("last_name", "username", "language_code")
        )
        and isinstance(user.get("is_premium", False), bool)
    )


def _exactly(value: object, kind: Any) -> bool:
    """Of this type, a bool never counting as an int (JSON's true is not a number)."""
    return isinstance(value, kind) and not isinstance(value, bool)


def _parse(update: Update) -> Parsed:
    external_id = str(update.update_id)
    if update.callback_query is not None:
        query = update.callback_query
        chat = query.message.chat if query.message is not None else None
        if chat is None or chat.type != "private":
            return Parsed(None, "callback outside a private chat", query.id)
        _require_types(query.data, str | None, chat.id, int)
        inbound = Inbound(Channel.TELEGRAM, payload=storable_text(query.data or ""))
        hint = _language_code(query.from_user)
        envelope = Envelope(inbound, str(chat.id), external_id, language_hint=hint)
        return Parsed(envelope, callback_query_id=query.id)
    if update.edited_message is not None:  # an edit is not a new message: no second turn
        return Parsed(None, "edited message")
    message = update.message
    if message is None:
        return Parsed(None, "update kind not handled")
    if message.chat.type != "private":
        return Parsed(None, "group chat")
    _require_types(message.chat.id, int, message.message_id, int)
    _require_types(message.text, str | None, message.caption, str | None)
    received = _inbound(message)
    if received is None:  # only a forged update carries NaN or 1e999: acknowledged, dropped
        return Parsed(None, "location is not a position on Earth")
    quoted = message.reply_to_message.text if message.reply_to_message is not None else None
    _require_types(quoted, str | None)
    quoted = storable_text(quoted or "")[:500] or None
    replied = message.reply_to_message
    replied_to = str(replied.message_id) if replied is not None else None
    envelope = Envelope(
        received,
        str(message.chat.id),
        external_id,
        message.message_id,
        quoted,
        replied_to,
        _language_code(message.from_user),
    )
    return Parsed(envelope)


def _language_code(user: User | None) -> str | None:
    """The language of her Telegram app ('en', 'es-419'), when the update says it."""
    code = user.language_code if user is not None else None
    _require_types(code, str | None)
    return code[:16] if code else None


def _require_types(*pairs: Any) -> None:
    """PTB's de_json trusts the JSON types; a forged update must not reach the core."""
    for value, kind in zip(pairs[::2], pairs[1::2], strict=True):
        if not isinstance(value, kind) or isinstance(value, bool):
            raise UpdateError(f"malformed update: {type(value).__name__} field")


def _inbound(message: TgMessage) -> Inbound | None:
    if message.location is not None:
        location = position(float(message.location.latitude), float(message.location.longitude))
        return None if location is None else Inbound(Channel.TELEGRAM, location=location)
    media = next((kind for attr, kind in MEDIA_FIELDS.items() if getattr(message, attr)), None)
    text = storable_text(message.text or message.caption or "")
    return Inbound(Channel.TELEGRAM, text=text, media=media if not text else None)


def keyboard(message: Message) -> InlineKeyboardMarkup | None:
    if not message.options:
        return None
    rows = [
        [
            InlineKeyboardButton(
                f"{o.key}. {o.label}" if o.key.isdigit() else o.label, callback_data=o.key[:64]
            )
        ]
        for o in message.options
    ]
    return InlineKeyboardMarkup(rows)


class TelegramSender:
    channel = Channel.TELEGRAM.value

    def __init__(self, bot: Bot, rate_per_second: float) -> None:
        self.bot = bot
        self.rate_per_second = rate_per_second
        self._send_url = f"{bot.base_url}/sendMessage"
        self._gates: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}

    def _gate(self) -> asyncio.Semaphore:
        """`in_flight` sends at a time, per event loop (a semaphore belongs to one loop)."""
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            self._gates = {k: g for k, g in self._gates.items() if not k.is_closed()}
            gate = self._gates[loop] = asyncio.Semaphore(in_flight(self.rate_per_second))
        return gate

    async def send(self, message: Message) -> Result:
        async with self._gate():
            return await self._send(message)

    async def _send(self, message: Message) -> Result:
        try:
            if message.kind == "delete":
                ids = [int(i) for i in json.loads(message.text)]
                for start in range(0, len(ids), 100):
                    await self.bot.delete_messages(int(message.address), ids[start : start + 100])
                return Result("sent")
            if message.kind == "edit":
                return await self._edit(message)
            text = message.text if len(message.text) <= MAX_TEXT else message.text[:MAX_TEXT] + "…"
            params: dict[str, object] = {"chat_id": int(message.address), "text": text}
            markup = keyboard(message)
            if markup is not None:
                params["reply_markup"] = markup.to_dict()
            # python-telegram-bot's request (its errors: RetryAfter, Forbidden ...) without its
            # Message object for the answer: only the id is kept (a third of a send's CPU).
            form = RequestData([RequestParameter(k, v, None) for k, v in params.items()])
            sent = await self.bot.request.post(self._send_url, request_data=form)
            assert isinstance(sent, dict)
            return Result("sent", provider_id=str(sent["message_id"]))
        except RetryAfter as exc:
            wait = retry_seconds(exc.retry_after)
            return Result("retry", retry_after=wait, error="telegram_429", pause_channel=True)
        except Forbidden:
            return Result("failed", error="telegram_403_blocked", unreachable=True)
        except BadRequest as exc:
            if message.kind in {"delete", "edit"}:  # too old or already gone: nothing to do
                return Result("sent", error=f"telegram_{message.kind}_partial")
            return Result("failed", error=f"telegram_400:{exc.message[:60]}")
        except NetworkError as exc:
            return Result("retry", error=f"telegram_network:{type(exc).__name__}")
        except TelegramError as exc:
            return Result("retry", error=f"telegram_error:{type(exc).__name__}")

    async def _edit(self, message: Message) -> Result:
        """A ping whose case was taken: its buttons become one that says by whom."""
        target = json.loads(message.text)
        await self.bot.edit_message_reply_markup(
            chat_id=int(message.address),
            message_id=int(target["message_id"]),
            reply_markup=keyboard(message),
        )
        return Result("sent")


async def answer_callback(bot: Bot, query_id: str, text: str | None = None) -> None:
    """Stop the button's spinner. A stale or unknown query (after a restart, or older than
    Telegram keeps them) is refused by Telegram: cosmetic, never a reason to fail the update."""
    try:
        await bot.answer_callback_query(query_id, text=text)
    except TelegramError as exc:
        log.info("answerCallbackQuery refused: %s", type(exc).__name__)


def retry_seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
