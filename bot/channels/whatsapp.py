"""WhatsApp channel through Twilio: signed webhooks in, REST client out."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import col, select
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator

from bot.channels.envelope import Envelope, Message, Result, position, render_plain
from bot.store.engine import unit_of_work
from bot.store.models import Outbox, OutboxStatus
from bot.store.outbox import PRIVATE_KINDS
from flows.types import Channel, Inbound

if TYPE_CHECKING:  # the REST client (and requests under it) loads only where WhatsApp sends
    from twilio.rest import Client

PREFIX = "whatsapp:"
HTTP_TIMEOUT = 15.0
MAX_BODY = 1600
MEDIA_TYPES = {"audio": "voice", "image": "image", "video": "video", "application": "document"}
TEMPLATE_NEEDED = {63016}
"""Outside the 24-hour window: only an approved template may be sent."""
RATE_LIMITED = {20429}
TERMINAL_FOR_RECIPIENT = {21211, 21408, 21610, 21614, 63003, 63024}


class FormError(ValueError):
    """A Twilio webhook body missing what every Twilio message carries."""


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    message_sid: str
    status: str
    error_code: int | None


def verify_signature(auth_token: str, url: str, params: Mapping[str, str], signature: str) -> bool:
    """Twilio's own validator over the public URL and every posted field."""
    return bool(RequestValidator(auth_token).validate(url, dict(params), signature))


def parse_inbound(form: Mapping[str, str]) -> Envelope:
    """Body, shared location, button payload or media, from Twilio's form fields."""
    sid, sender = form.get("MessageSid") or form.get("SmsMessageSid"), form.get("From", "")
    if not sid or not sender:
        raise FormError("missing MessageSid or From")
    if not sender.startswith(PREFIX) or len(sender) == len(PREFIX):
        # An SMS (or anything else) reaching this webhook must not pose as a WhatsApp contact.
        raise FormError("From is not a WhatsApp address")
    address = sender.removeprefix(PREFIX)
    if form.get("Latitude") and form.get("Longitude"):
        try:
            location = position(float(form["Latitude"]), float(form["Longitude"]))
        except ValueError as exc:
            raise FormError("Latitude/Longitude are not numbers") from exc
        if location is None:
            raise FormError("Latitude/Longitude are not a position on Earth")
        return Envelope(Inbound(Channel.WHATSAPP, location=location), address, sid)
    payload = form.get("ButtonPayload") or None
    text = form.get("Body", "")
    media = None
    if not text and not payload and form.get("NumMedia", "0") not in {"", "0"}:
        kind = form.get("MediaContentType0", "").split("/")[0]
        media = MEDIA_TYPES.get(kind, "document")
    inbound = Inbound(Channel.WHATSAPP, text=text, payload=payload, media=media)
    replied_to = (form.get("OriginalRepliedMessageSid") or "")[:64] or None
    return Envelope(inbound, address, sid, replied_to=replied_to)


def parse_status(form: Mapping[str, str]) -> StatusUpdate:
    sid, status = form.get("MessageSid"), form.get("MessageStatus")
    if not sid or not status:
        raise FormError("missing MessageSid or MessageStatus")
    code = form.get("ErrorCode")
    number = code is not None and 0 < len(code) <= 9 and code.isascii() and code.isdigit()
    return StatusUpdate(sid, status, int(code) if number and code else None)


def make_client(account_sid: str, auth_token: str, base_url: str) -> Client:
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    # A hung request must not hold the dispatcher (and its claim) forever.
    client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=HTTP_TIMEOUT))
    client.api.base_url = base_url.rstrip("/")
    return client


class WhatsAppSender:
    channel = Channel.WHATSAPP.value

    def __init__(
        self, client: Client, sender: str, rate_per_second: float, status_callback: str | None
    ) -> None:
        self.client = client
        self.sender = sender if sender.startswith(PREFIX) else PREFIX + sender
        self.rate_per_second = rate_per_second
        self.status_callback = status_callback

    async def send(self, message: Message) -> Result:
        return await asyncio.to_thread(self._send_sync, message)

    def _send_sync(self, message: Message) -> Result:
        fields: dict[str, object] = {"from_": self.sender, "to": PREFIX + message.address}
        if self.status_callback:
            fields["status_callback"] = self.status_callback
        if message.template is not None:
            fields["content_sid"] = message.template
            fields["content_variables"] = json.dumps(
                {"1": _preview(message.text)}, ensure_ascii=False
            )
        else:
            body = render_plain(message.text, message.options)
            fields["body"] = body if len(body) <= MAX_BODY else body[: MAX_BODY - 1] + "…"
        try:
            created = self.client.messages.create(**fields)
        except TwilioRestException as exc:
            return _classify(exc)
        return Result("sent", provider_id=created.sid)


def _preview(text: str) -> str:
    """Template variables are short; the first line carries the meaning."""
    return text.split("\n", 1)[0][:200]


def _classify(exc: TwilioRestException) -> Result:
    code = exc.code if isinstance(exc.code, int) else None
    if exc.status == 429 or code in RATE_LIMITED:
        return Result("retry", retry_after=1.0, error=f"twilio_{code or 429}", pause_channel=True)
    if code in TEMPLATE_NEEDED:
        return Result("template", error=f"twilio_{code}")
    if code in TERMINAL_FOR_RECIPIENT:
        return Result("failed", error=f"twilio_{code}", unreachable=code == 21610)
    if exc.status >= 500:
        return Result("retry", error=f"twilio_{exc.status}")
    return Result("failed", error=f"twilio_{code or exc.status}")


def record_status(engine: Engine, update: StatusUpdate, templates: Mapping[str, str]) -> bool:
    """Apply a delivery callback to the outbox row; 63016 resends as a template when one exists."""
    with unit_of_work(engine) as db:
        row = db.exec(select(Outbox).where(col(Outbox.provider_id) == update.message_sid)).first()
        if row is None:
            return False
        if update.status in {"delivered", "read"}:
            row.status = OutboxStatus.DELIVERED
        elif update.status in {"failed", "undelivered"}:
            template = templates.get(row.kind)
            resendable = template and row.template is None and row.address_enc  # not erased
            if update.error_code in TEMPLATE_NEEDED and resendable:
                row.status, row.template, row.provider_id = OutboxStatus.PENDING, template, None
            elif update.error_code in TEMPLATE_NEEDED:
                row.status = OutboxStatus.NOT_SENT
            else:
                row.status = OutboxStatus.FAILED
            row.error = f"twilio_{update.error_code or update.status}"
        final = update.status in {"delivered", "read", "failed", "undelivered"}
        # Keep a private text until the outcome is final: "undelivered 63016" may follow "sent".
        if final and row.status != OutboxStatus.PENDING and row.kind in PRIVATE_KINDS:
            row.text = ""
    return True
