"""HTTP: Telegram and WhatsApp webhooks, delivery status, health and metrics."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import AbstractAsyncContextManager as AsyncContextManager
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.responses import JSONResponse

from bot import metrics
from bot.app import App
from bot.channels.envelope import Envelope
from bot.channels.telegram import UpdateError, callback_text, parse_update
from bot.channels.whatsapp import (
    FormError,
    parse_inbound,
    parse_status,
    record_status,
    verify_signature,
)
from bot.operations import RETRY, operations_routes
from bot.panel.mount import install_panel
from bot.service import Handled
from bot.settings import warn_misconfigured
from bot.store.engine import StoreBusy

log = logging.getLogger(__name__)
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
Background = Callable[[], Coroutine[Any, Any, None]]


class BodyTooLarge(Exception):
    pass


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refusing anything over `limit` bytes before reading it all."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def build_web(
    app: App, *, lifespan_tasks: Sequence[Background] = (), process_turns: bool = True
) -> FastAPI:
    """The web app; `lifespan_tasks` run beside it (dispatcher, scheduler) in `serve`.

    With `process_turns=False` (`serve`) a webhook only queues the message (one INSERT),
    wakes this process's intake if it has one, and answers; the intake (all-in-one `serve`)
    or the workers (`serve --no-worker`) run the turns. With `process_turns=True` (tests,
    embedding) the turn runs before the answer. Either way the message is durable first.
    """
    web = FastAPI(
        title="Defensoras al Parlante bot",
        lifespan=_lifespan(lifespan_tasks),
        docs_url=None,
        redoc_url=None,
    )
    web.exception_handler(BodyTooLarge)(_too_large)
    web.exception_handler(StoreBusy)(_busy)
    inbox = Inbox(app, process_turns)
    web.include_router(telegram_routes(app, inbox))
    web.include_router(whatsapp_routes(app, inbox))
    web.include_router(operations_routes(app, warn_misconfigured(app.settings)))
    install_panel(web, app)
    return web


def _lifespan(tasks: Sequence[Background]) -> Callable[[FastAPI], AsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        running = [asyncio.create_task(_supervised(task)) for task in tasks]
        try:
            yield
        finally:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    return lifespan


async def _too_large(_: Request, __: BodyTooLarge) -> Response:
    return JSONResponse({"error": "body too large"}, status_code=413)


async def _busy(_: Request, __: StoreBusy) -> Response:
    # Raised before anything was stored (a webhook's message that was stored answers 200 even
    # if its turn fails): 503 makes Telegram and Twilio deliver it again later.
    log.warning("request refused with 503: the database is locked")
    return JSONResponse({"error": "database busy"}, status_code=503, headers=RETRY)


@dataclass(frozen=True, slots=True)
class Inbox:
    """The webhooks' side of the inbound queue."""

    app: App
    process_turns: bool

    async def handle(self, envelope: Envelope, channel: str) -> Handled:
        """Queue durably; then run the turn here unless an intake or workers do it."""
        started = time.perf_counter()
        result = await asyncio.to_thread(self._accept, envelope)  # one hop to a thread, not two
        if result is None:
            metrics.INBOUND.labels(channel, "duplicate").inc()
            return Handled(duplicate=True)
        if result.outbox_ids:
            self.app.hand_over()  # the replies go now, not at the dispatcher's next poll
        metrics.TURN_SECONDS.labels(channel).observe(time.perf_counter() - started)
        metrics.INBOUND.labels(channel, "processed" if self.process_turns else "queued").inc()
        return result

    def _accept(self, envelope: Envelope) -> Handled | None:
        """Queue durably (committed before anything else); then the turn, unless an intake or
        workers run it. A `StoreBusy` from here means nothing was stored (503: sent again)."""
        receipt_id = self.app.service.accept(envelope)
        if receipt_id is None:
            return None
        if not self.process_turns:
            self.app.hand_in()  # this process's intake (`serve`) runs the turn now
            return Handled()
        try:
            return self.app.service.process(receipt_id)
        except Exception:  # stored and still pending: answered 200, its turn runs again later
            log.exception("turn of inbound receipt %s failed after it was queued", receipt_id)
            return Handled()


def telegram_routes(app: App, inbox: Inbox) -> APIRouter:
    """`POST /telegram/webhook`, checked against the secret token Telegram sends back."""
    router = APIRouter()
    background: set[asyncio.Task[None]] = set()

    @router.post("/telegram/webhook")
    async def telegram_webhook(request: Request) -> Response:
        secret = app.settings.telegram_webhook_secret
        given = request.headers.get("x-telegram-bot-api-secret-token", "")
        if secret is None or not hmac.compare_digest(
            given.encode(), secret.get_secret_value().encode()
        ):
            metrics.INBOUND.labels("telegram", "refused").inc()
            return JSONResponse({"error": "forbidden"}, status_code=403 if given else 401)
        body = await read_body(request, app.settings.max_body_bytes)
        try:
            parsed = parse_update(json.loads(body))
        except (json.JSONDecodeError, UnicodeDecodeError):
            return JSONResponse({"error": "body is not JSON"}, status_code=400)
        except UpdateError as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)
        if parsed.callback_query_id is not None and app.telegram_bot is not None:
            ack = callback_text(parsed, app.content.cases)
            task = asyncio.create_task(_answer_callback(app, parsed.callback_query_id, ack))
            background.add(task)
            task.add_done_callback(background.discard)
        if parsed.envelope is None:
            metrics.INBOUND.labels("telegram", "ignored").inc()
            return JSONResponse({"ok": True, "ignored": parsed.ignored})
        result = await inbox.handle(parsed.envelope, "telegram")
        return JSONResponse({"ok": True, "duplicate": result.duplicate})

    return router


def whatsapp_routes(app: App, inbox: Inbox) -> APIRouter:
    """`POST /whatsapp/webhook` and `/whatsapp/status`, signed by Twilio."""
    router = APIRouter()

    @router.post("/whatsapp/webhook")
    async def whatsapp_webhook(request: Request) -> Response:
        form = await _twilio_form(app, request, "/whatsapp/webhook")
        if isinstance(form, Response):
            return form
        try:
            envelope = parse_inbound(form)
        except FormError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        await inbox.handle(envelope, "whatsapp")
        return Response(EMPTY_TWIML, media_type="text/xml")

    @router.post("/whatsapp/status")
    async def whatsapp_status(request: Request) -> Response:
        form = await _twilio_form(app, request, "/whatsapp/status")
        if isinstance(form, Response):
            return form
        try:
            update = parse_status(form)
        except FormError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        await asyncio.to_thread(record_status, app.engine, update, app.templates())
        return Response(status_code=204)

    return router


async def _twilio_form(app: App, request: Request, path: str) -> dict[str, str] | Response:
    """The posted form when Twilio's signature over it holds, else the error response."""
    settings = app.settings
    body = await read_body(request, settings.max_body_bytes)
    try:
        form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
    except UnicodeDecodeError:
        return JSONResponse({"error": "body is not UTF-8 form data"}, status_code=400)
    token = settings.twilio_auth_token
    # Twilio signs the URL it called: PUBLIC_BASE_URL, else this request's own origin
    # (scheme from X-Forwarded-Proto behind a trusted proxy, host from the Host header).
    base = settings.public_base_url or f"{request.url.scheme}://{request.url.netloc}"
    signature = request.headers.get("x-twilio-signature", "")
    url = f"{base.rstrip('/')}{path}"
    if request.url.query:
        url += "?" + request.url.query
    if (
        token is None
        or not signature
        or not verify_signature(token.get_secret_value(), url, form, signature)
    ):
        metrics.INBOUND.labels("whatsapp", "refused").inc()
        return JSONResponse({"error": "invalid signature"}, status_code=403)
    return form


async def _supervised(task: Background) -> None:
    """A background task (dispatcher, scheduler) that dies is logged and started again."""
    while True:
        try:
            await task()
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background task failed; restarting in 2 s")
            await asyncio.sleep(2)


async def _answer_callback(app: App, query_id: str, text: str | None) -> None:
    try:
        assert app.telegram_bot is not None
        await app.telegram_bot.answer_callback_query(query_id, text=text)
    except Exception as exc:  # a spinner left turning is cosmetic; never fail the turn
        log.info("answerCallbackQuery failed: %s", type(exc).__name__)
